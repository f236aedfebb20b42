package berlingroup_test

import (
	"maps"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/berlingroup"
)

// TestTransactionMetaKeepsTheDetail maps a Berlin Group transaction with
// every detail kobo's Mono shape has no field for: each lands under its
// documented key (the same key OBIE's uses where the concept is the same),
// account numbers only as their last 4, and the counterparty is the side
// the money went to or came from.
func TestTransactionMetaKeepsTheDetail(t *testing.T) {
	r, err := berlingroup.ParseTransactionsReport([]byte(`{"transactions":{"booked":[{"transactionId":"t1","entryReference":"E-1",
		"endToEndId":"E2E-1","mandateId":"M-7","checkId":"CHK-9","creditorId":"DE98ZZZ09999999999","bookingDate":"2026-11-30","valueDate":"2026-12-01",
		"transactionAmount":{"currency":"EUR","amount":"-12.30"},
		"creditorName":"Stadtwerke","creditorAccount":{"iban":"DE89 3704 0044 0532 0130 00"},"creditorAgent":"COBADEFFXXX","ultimateCreditor":"Stadtwerke Nord",
		"debtorName":"Me","debtorAccount":{"iban":"DE02120300000000202051"},
		"remittanceInformationUnstructured":"Strom 11/2026","remittanceInformationStructured":{"reference":"RF18539007547034","referenceType":"SCOR"},
		"purposeCode":"ELEC","bankTransactionCode":"PMNT-RDDT-ESDD","proprietaryBankTransactionCode":"DD",
		"currencyExchange":[{"sourceCurrency":"CHF","exchangeRate":"1.0452","unitCurrency":"CHF","targetCurrency":"EUR"}]}],
		"pending":[{"transactionId":"t2","valueDate":"2026-12-02","transactionAmount":{"currency":"EUR","amount":"40.00"},
		"debtorName":"Ada","debtorAccount":{"bban":"0123456789"},"merchantCategoryCode":"5411","remittanceInformationStructured":"RF18 5390"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	booked, err := berlingroup.MapTransaction(r.Transactions.Booked[0], false)
	if err != nil {
		t.Fatal(err)
	}
	want := kobo.TxnMeta{"counterparty_name": "Stadtwerke", "counterparty_scheme": "IBAN", "counterparty_account_last4": "3000",
		"counterparty_bank": "COBADEFFXXX", "ultimate_counterparty": "Stadtwerke Nord", "end_to_end_id": "E2E-1", "mandate_id": "M-7",
		"creditor_id": "DE98ZZZ09999999999", "entry_reference": "E-1", "reference": "CHK-9",
		"remittance_structured": `{"reference":"RF18539007547034","referenceType":"SCOR"}`, "bank_transaction_code": "PMNT-RDDT-ESDD",
		"proprietary_code": "DD", "purpose_code": "ELEC", "value_date": "2026-12-01", "fx_rate": "1.0452", "fx_source_currency": "CHF",
		"fx_target_currency": "EUR"}
	if !maps.Equal(booked.Meta, want) {
		t.Errorf("booked meta\n got %v\nwant %v", booked.Meta, want)
	}
	pending, err := berlingroup.MapTransaction(r.Transactions.Pending[0], true)
	if err != nil {
		t.Fatal(err)
	}
	want = kobo.TxnMeta{"counterparty_name": "Ada", "counterparty_scheme": "BBAN", "counterparty_account_last4": "6789",
		"merchant_category_code": "5411", "remittance_structured": "RF18 5390", "value_date": "2026-12-02"}
	if !maps.Equal(pending.Meta, want) {
		t.Errorf("pending meta\n got %v\nwant %v", pending.Meta, want)
	}
	bare, err := berlingroup.MapTransaction(berlingroup.Transaction{BookingDate: "2026-11-30", TransactionAmount: berlingroup.Amount{Currency: "EUR", Amount: "1.00"}}, false)
	if err != nil || bare.Meta != nil {
		t.Errorf("a bare row's meta = %v (%v), want nil", bare.Meta, err)
	}
}
