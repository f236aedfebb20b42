package kobo

import "strings"

// TxnMeta is what a source reports of a transaction that Mono's transaction
// shape has no field for: the open-banking standards' counterparty,
// merchant, references and codes. The API shows it as the transaction's
// "meta" object, only when it is not empty, so rows from banksim's own API
// and Mono keep Mono's exact shape.
//
// It is a map of documented keys, not a struct: the standards carry many
// optional details, most rows have a few, and a key the next standard adds
// needs no migration or API change; the vocabulary below is the contract.
// Both standard connectors use one key where the concept is the same.
//
//	counterparty_name          the other party: creditor on a debit, debtor on a credit
//	counterparty_account_last4 the last 4 characters of its account (IBAN, BBAN, sort code and number)
//	counterparty_scheme        what names that account: "IBAN", "BBAN", "UK.OBIE.SortCodeAccountNumber", …
//	counterparty_bank          its bank (agent name, BIC or identification)
//	ultimate_counterparty      the party on whose behalf it paid or was paid (Berlin Group ultimateCreditor/ultimateDebtor)
//	merchant_name              the card acceptor (OBIE MerchantDetails)
//	merchant_category_code     ISO 18245 MCC
//	end_to_end_id              the payer's end-to-end id (Berlin Group endToEndId)
//	mandate_id                 the direct-debit mandate (Berlin Group mandateId)
//	creditor_id                the direct-debit creditor id (Berlin Group creditorId)
//	entry_reference            the bank's entry reference (Berlin Group entryReference)
//	reference                  the payment's reference (OBIE TransactionReference)
//	remittance_structured      structured remittance information, as the bank sent it (JSON or text)
//	statement_reference        OBIE StatementReference, comma-separated
//	bank_transaction_code      ISO 20022 code: "Code/SubCode" (OBIE) or the Berlin Group string
//	proprietary_code           the bank's own code ("Issuer:Code" where OBIE names an issuer)
//	purpose_code               ISO 20022 purpose (Berlin Group purposeCode)
//	value_date                 the value date (RFC 3339, or YYYY-MM-DD as Berlin Group sends it)
//	card_scheme, card_last4    the card used (OBIE CardInstrument)
//	charge_amount              a charge on the transaction: "1.50 GBP"
//	fx_rate, fx_source_currency, fx_target_currency  the currency exchange
//	address                    OBIE AddressLine
//	status                     the standard's status as the bank sent it
//
// Account numbers appear only as their last 4 characters: kobo seals
// every account number at rest (atrest), and a sealed value differs on
// every write, which the merge could not tell from a changed row; the last
// 4 are what a statement or Plaid's mask shows, like Account.BVNLast4.
// Names stay clear, as the narration (which often carries them) does.
type TxnMeta map[string]string

// The keys of TxnMeta, as documented on it.
const (
	MetaCounterpartyName   = "counterparty_name"
	MetaCounterpartyLast4  = "counterparty_account_last4"
	MetaCounterpartyScheme = "counterparty_scheme"
	MetaCounterpartyBank   = "counterparty_bank"
	MetaUltimateParty      = "ultimate_counterparty"
	MetaMerchantName       = "merchant_name"
	MetaMerchantCategory   = "merchant_category_code"
	MetaEndToEndID         = "end_to_end_id"
	MetaMandateID          = "mandate_id"
	MetaCreditorID         = "creditor_id"
	MetaEntryReference     = "entry_reference"
	MetaReference          = "reference"
	MetaRemittance         = "remittance_structured"
	MetaStatementReference = "statement_reference"
	MetaBankTxnCode        = "bank_transaction_code"
	MetaProprietaryCode    = "proprietary_code"
	MetaPurposeCode        = "purpose_code"
	MetaValueDate          = "value_date"
	MetaCardScheme         = "card_scheme"
	MetaCardLast4          = "card_last4"
	MetaChargeAmount       = "charge_amount"
	MetaFXRate             = "fx_rate"
	MetaFXSource           = "fx_source_currency"
	MetaFXTarget           = "fx_target_currency"
	MetaAddress            = "address"
	MetaStatus             = "status"
)

// Set puts v under k, trimmed; an empty value is not set. It makes the
// map on first use, so a row without detail keeps a nil Meta.
func (m *TxnMeta) Set(k, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	if *m == nil {
		*m = TxnMeta{}
	}
	(*m)[k] = v
}

// SetLast4 puts the last 4 characters of an account or card number under
// k, spaces and dashes dropped: all TxnMeta keeps of one.
func (m *TxnMeta) SetLast4(k, number string) {
	r := []rune(strings.NewReplacer(" ", "", "-", "").Replace(number))
	m.Set(k, string(r[max(len(r)-4, 0):]))
}
