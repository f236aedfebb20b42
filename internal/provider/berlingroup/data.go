package berlingroup

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// sessionGrant reads the grant a session carries.
func (p *Provider) sessionGrant(s kobo.BankSession) (Bank, grant, error) {
	g, err := parseGrant(s.Token)
	if err != nil {
		return Bank{}, g, &kobo.BankError{Kind: kobo.BankTokenExpired, Message: "the session is unusable", Err: err}
	}
	b, err := p.bankOf(g)
	return b, g, err
}

// Amount is the standard's amount.
type Amount struct {
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
}

// AccountRef names an account in the standard.
type AccountRef struct {
	IBAN     string `json:"iban,omitempty"`
	BBAN     string `json:"bban,omitempty"`
	PAN      string `json:"pan,omitempty"`
	MSISDN   string `json:"msisdn,omitempty"`
	Currency string `json:"currency,omitempty"`
}

// Account is an account as GET /v1/accounts lists it.
type Account struct {
	ResourceID      string    `json:"resourceId"`
	IBAN            string    `json:"iban"`
	BBAN            string    `json:"bban"`
	Currency        string    `json:"currency"`
	Name            string    `json:"name"`
	OwnerName       string    `json:"ownerName"`
	Product         string    `json:"product"`
	CashAccountType string    `json:"cashAccountType"`
	Status          string    `json:"status"`
	Balances        []Balance `json:"balances"` // with ?withBalance=true, where the bank supports it
}

// AccountList is the body of GET /v1/accounts.
type AccountList struct {
	Accounts []Account `json:"accounts"`
}

// Balance is one balance of an account.
type Balance struct {
	BalanceAmount      Amount `json:"balanceAmount"`
	BalanceType        string `json:"balanceType"`
	ReferenceDate      string `json:"referenceDate"`
	LastChangeDateTime string `json:"lastChangeDateTime"`
}

// Balances is the body of GET /v1/accounts/{id}/balances.
type Balances struct {
	Balances []Balance `json:"balances"`
}

// Transaction is one transaction of an account report.
type Transaction struct {
	TransactionID                     string      `json:"transactionId"`
	EntryReference                    string      `json:"entryReference"`
	EndToEndID                        string      `json:"endToEndId"`
	MandateID                         string      `json:"mandateId"`
	CheckID                           string      `json:"checkId"`
	CreditorID                        string      `json:"creditorId"`
	BookingDate                       string      `json:"bookingDate"`
	ValueDate                         string      `json:"valueDate"`
	TransactionAmount                 Amount      `json:"transactionAmount"`
	CreditorName                      string      `json:"creditorName"`
	CreditorAccount                   *AccountRef `json:"creditorAccount"`
	CreditorAgent                     string      `json:"creditorAgent"`
	UltimateCreditor                  string      `json:"ultimateCreditor"`
	DebtorName                        string      `json:"debtorName"`
	DebtorAccount                     *AccountRef `json:"debtorAccount"`
	DebtorAgent                       string      `json:"debtorAgent"`
	UltimateDebtor                    string      `json:"ultimateDebtor"`
	RemittanceInformationUnstructured string      `json:"remittanceInformationUnstructured"`
	RemittanceInformationStructured   any         `json:"remittanceInformationStructured"` // a string in 1.3.11, an object in 1.3.12
	RemittanceStructuredArray         any         `json:"remittanceInformationStructuredArray"`
	CurrencyExchange                  []struct {
		SourceCurrency string `json:"sourceCurrency"`
		ExchangeRate   string `json:"exchangeRate"`
		TargetCurrency string `json:"targetCurrency"`
	} `json:"currencyExchange"`
	AdditionalInformation          string   `json:"additionalInformation"`
	PurposeCode                    string   `json:"purposeCode"`
	BankTransactionCode            string   `json:"bankTransactionCode"`
	ProprietaryBankTransactionCode string   `json:"proprietaryBankTransactionCode"`
	MerchantCategoryCode           string   `json:"merchantCategoryCode"`
	BalanceAfterTransaction        *Balance `json:"balanceAfterTransaction"`
}

// TransactionsReport is the body of GET /v1/accounts/{id}/transactions.
type TransactionsReport struct {
	Transactions struct {
		Booked  []Transaction `json:"booked"`
		Pending []Transaction `json:"pending"`
		Links   struct {
			Next *href `json:"next"`
		} `json:"_links"`
	} `json:"transactions"`
}

// ParseTransactionsReport decodes a transactions page.
func ParseTransactionsReport(b []byte) (TransactionsReport, error) {
	var r TransactionsReport
	err := json.Unmarshal(b, &r)
	return r, err
}

// Accounts implements kobo.Provider.
func (p *Provider) Accounts(ctx context.Context, s kobo.BankSession) ([]kobo.BankAccount, error) {
	b, g, err := p.sessionGrant(s)
	if err != nil {
		return nil, err
	}
	// withBalance saves a balances call per account, and so the
	// consent's frequencyPerDay for the syncs to come
	var l AccountList
	if _, err := p.call(ctx, b, &g, "GET", "/v1/accounts?withBalance=true", nil, nil, &l); err != nil {
		return nil, err
	}
	out := make([]kobo.BankAccount, 0, len(l.Accounts))
	for _, a := range l.Accounts {
		ba := kobo.BankAccount{Ref: a.ResourceID, Name: firstNonEmpty(a.OwnerName, a.Name), Type: firstNonEmpty(a.Product, a.CashAccountType),
			Currency: a.Currency, Status: "active"}
		if a.Status != "" && a.Status != "enabled" {
			ba.Status = a.Status
		}
		switch {
		case a.BBAN != "":
			ba.Number = kobo.AccountNumber(a.BBAN)
		case a.IBAN != "":
			ba.Number = kobo.AccountNumber(a.IBAN)
		}
		if a.IBAN != "" {
			ba.Identifiers = append(ba.Identifiers, kobo.AccountIdentifier{Scheme: kobo.SchemeIBAN, Value: kobo.AccountNumber(a.IBAN)})
		}
		if a.BBAN != "" && a.Currency == "NGN" {
			ba.Identifiers = append(ba.Identifiers, kobo.AccountIdentifier{Scheme: kobo.SchemeNUBAN, Value: kobo.AccountNumber(a.BBAN)})
		}
		var bal kobo.BankBalance
		if len(a.Balances) > 0 {
			bal, err = MapBalances(a.ResourceID, Balances{Balances: a.Balances}, p.c.Clock.Now())
		} else {
			bal, err = p.Balance(ctx, s, a.ResourceID)
		}
		if err != nil && kobo.BankErrorKindOf(err) != kobo.BankNotFound {
			return nil, err
		}
		ba.Balance = bal.Balance
		out = append(out, ba)
	}
	return out, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Balance implements kobo.Provider: the ledger balance is the booked one
// (closingBooked, else interimBooked), the available one interimAvailable
// (else the ledger).
func (p *Provider) Balance(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankBalance, error) {
	b, g, err := p.sessionGrant(s)
	if err != nil {
		return kobo.BankBalance{}, err
	}
	var bs Balances
	if _, err := p.call(ctx, b, &g, "GET", "/v1/accounts/"+url.PathEscape(ref)+"/balances", nil, nil, &bs); err != nil {
		return kobo.BankBalance{}, err
	}
	return MapBalances(ref, bs, p.c.Clock.Now())
}

// MapBalances picks kobo's ledger and available balances from the
// standard's list.
func MapBalances(ref string, bs Balances, now time.Time) (kobo.BankBalance, error) {
	pick := func(types ...string) *Balance {
		for _, t := range types {
			for i := range bs.Balances {
				if bs.Balances[i].BalanceType == t {
					return &bs.Balances[i]
				}
			}
		}
		return nil
	}
	ledger := pick("closingBooked", "interimBooked", "openingBooked", "expected", "interimAvailable")
	if ledger == nil {
		return kobo.BankBalance{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank sent no balance", Err: errors.New("berlingroup: no balances")}
	}
	avail := pick("interimAvailable", "forwardAvailable")
	if avail == nil {
		avail = ledger
	}
	cur := ledger.BalanceAmount.Currency
	l, err := kobo.ParseDecimalAmount(ledger.BalanceAmount.Amount, cur)
	if err != nil {
		return kobo.BankBalance{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank sent an unreadable balance", Err: err}
	}
	a, err := kobo.ParseDecimalAmount(avail.BalanceAmount.Amount, avail.BalanceAmount.Currency)
	if err != nil {
		return kobo.BankBalance{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank sent an unreadable balance", Err: err}
	}
	asOf := now
	if t, err := time.Parse(time.RFC3339, avail.LastChangeDateTime); err == nil {
		asOf = t.UTC()
	}
	return kobo.BankBalance{Ref: ref, Balance: l, Available: a, Currency: cur, AsOf: asOf}, nil
}

// Transactions implements kobo.Provider: booked and pending in one
// listing, page by page along _links.next.
func (p *Provider) Transactions(ctx context.Context, s kobo.BankSession, ref string, q kobo.TxnQuery, fn func([]kobo.BankTransaction) error) error {
	b, g, err := p.sessionGrant(s)
	if err != nil {
		return err
	}
	from := q.From
	if from.IsZero() {
		from = p.c.Clock.Now().AddDate(-2, 0, 0)
	}
	v := url.Values{"bookingStatus": {"both"}, "dateFrom": {from.Format(time.DateOnly)}}
	if !q.To.IsZero() {
		v.Set("dateTo", q.To.Format(time.DateOnly))
	}
	next := "/v1/accounts/" + url.PathEscape(ref) + "/transactions?" + v.Encode()
	for pages := 0; next != ""; pages++ {
		if pages > 100_000 {
			return &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank's pages do not end", Err: errors.New("berlingroup: too many pages")}
		}
		var r TransactionsReport
		if _, err := p.call(ctx, b, &g, "GET", next, nil, nil, &r); err != nil {
			return err
		}
		page := make([]kobo.BankTransaction, 0, len(r.Transactions.Booked)+len(r.Transactions.Pending))
		for _, set := range []struct {
			l       []Transaction
			pending bool
		}{{r.Transactions.Booked, false}, {r.Transactions.Pending, true}} {
			for _, t := range set.l {
				bt, err := MapTransaction(t, set.pending)
				if err != nil {
					return err
				}
				page = append(page, bt)
			}
		}
		if err := fn(page); err != nil {
			return err
		}
		next = ""
		if r.Transactions.Links.Next != nil {
			var err error
			if next, err = link(b, r.Transactions.Links.Next.Href); err != nil {
				return err
			}
		}
	}
	return nil
}

// MapTransaction turns a standard transaction into kobo's. The narration
// is the remittance information (else the counterparty's name); the
// transaction id, or the entry reference, is the stable Ref.
func MapTransaction(t Transaction, pending bool) (kobo.BankTransaction, error) {
	amt, err := kobo.ParseDecimalAmount(t.TransactionAmount.Amount, t.TransactionAmount.Currency)
	if err != nil || t.TransactionAmount.Currency == "" {
		return kobo.BankTransaction{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank sent an unreadable amount", Err: errors.Join(errors.New("berlingroup: transactionAmount"), err)}
	}
	day := firstNonEmpty(t.BookingDate, t.ValueDate)
	date, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return kobo.BankTransaction{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank sent a transaction without a date", Err: err}
	}
	bt := kobo.BankTransaction{Ref: firstNonEmpty(t.TransactionID, t.EntryReference), Date: date.UTC(), Amount: amt, Type: kobo.Credit,
		Currency: t.TransactionAmount.Currency, Pending: pending, ProviderID: true,
		Narration: firstNonEmpty(t.RemittanceInformationUnstructured, t.AdditionalInformation, t.CreditorName, t.DebtorName)}
	if amt < 0 {
		bt.Amount, bt.Type = -amt, kobo.Debit
	}
	if bt.Ref == "" {
		// no id from the bank: kobo makes one from date, amount and text
		bt.ProviderID = false
	}
	if b := t.BalanceAfterTransaction; b != nil && b.BalanceAmount.Currency == bt.Currency {
		if v, err := kobo.ParseDecimalAmount(b.BalanceAmount.Amount, b.BalanceAmount.Currency); err == nil {
			bt.Balance = &v
		}
	}
	bt.Meta = TransactionMeta(t, amt < 0)
	return bt, nil
}

// TransactionMeta is what of a Berlin Group transaction kobo's
// Mono-shaped transaction has no field for, under kobo.TxnMeta's shared
// keys (debit says the money went out, so the counterparty is the
// creditor):
//
//	counterparty_name                  creditorName (debits) or debtorName (credits)
//	counterparty_scheme                which of its account's names is kept: IBAN, BBAN, PAN or MSISDN
//	counterparty_account_last4         the last 4 of that account name (kobo seals whole account numbers)
//	counterparty_bank                  creditorAgent or debtorAgent (a BIC)
//	ultimate_counterparty              ultimateCreditor or ultimateDebtor
//	end_to_end_id, mandate_id, creditor_id, entry_reference  endToEndId, mandateId, creditorId, entryReference
//	reference                          checkId
//	remittance_structured              remittanceInformationStructured (its JSON when an object), else the array's JSON
//	bank_transaction_code              bankTransactionCode
//	proprietary_code                   proprietaryBankTransactionCode
//	purpose_code                       purposeCode
//	merchant_category_code             merchantCategoryCode
//	value_date                         valueDate (YYYY-MM-DD)
//	fx_rate, fx_source_currency, fx_target_currency  the first currencyExchange
//
// It is nil for a transaction with none of these.
func TransactionMeta(t Transaction, debit bool) kobo.TxnMeta {
	var m kobo.TxnMeta
	name, acct, agent, ultimate := t.DebtorName, t.DebtorAccount, t.DebtorAgent, t.UltimateDebtor
	if debit {
		name, acct, agent, ultimate = t.CreditorName, t.CreditorAccount, t.CreditorAgent, t.UltimateCreditor
	}
	m.Set(kobo.MetaCounterpartyName, name)
	if acct != nil {
		for _, id := range []struct{ scheme, v string }{{"IBAN", acct.IBAN}, {"BBAN", acct.BBAN}, {"PAN", acct.PAN}, {"MSISDN", acct.MSISDN}} {
			if strings.TrimSpace(id.v) != "" {
				m.Set(kobo.MetaCounterpartyScheme, id.scheme)
				m.SetLast4(kobo.MetaCounterpartyLast4, id.v)
				break
			}
		}
	}
	m.Set(kobo.MetaCounterpartyBank, agent)
	m.Set(kobo.MetaUltimateParty, ultimate)
	m.Set(kobo.MetaEndToEndID, t.EndToEndID)
	m.Set(kobo.MetaMandateID, t.MandateID)
	m.Set(kobo.MetaCreditorID, t.CreditorID)
	m.Set(kobo.MetaEntryReference, t.EntryReference)
	m.Set(kobo.MetaReference, t.CheckID)
	m.Set(kobo.MetaRemittance, firstNonEmpty(textOf(t.RemittanceInformationStructured), textOf(t.RemittanceStructuredArray)))
	m.Set(kobo.MetaBankTxnCode, t.BankTransactionCode)
	m.Set(kobo.MetaProprietaryCode, t.ProprietaryBankTransactionCode)
	m.Set(kobo.MetaPurposeCode, t.PurposeCode)
	m.Set(kobo.MetaMerchantCategory, t.MerchantCategoryCode)
	m.Set(kobo.MetaValueDate, t.ValueDate)
	if len(t.CurrencyExchange) > 0 {
		fx := t.CurrencyExchange[0]
		m.Set(kobo.MetaFXRate, fx.ExchangeRate)
		m.Set(kobo.MetaFXSource, fx.SourceCurrency)
		m.Set(kobo.MetaFXTarget, fx.TargetCurrency)
	}
	return m
}

// textOf is a free-form JSON value as meta keeps it: a string as it is,
// anything else (an object, an array) as its JSON; nothing for null.
func textOf(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) == "[]" || string(b) == "{}" {
		return ""
	}
	return string(b)
}

// Identity implements kobo.Provider: the standard's AIS shares only the
// account owner's name.
func (p *Provider) Identity(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankIdentity, error) {
	b, g, err := p.sessionGrant(s)
	if err != nil {
		return kobo.BankIdentity{}, err
	}
	var l AccountList
	if _, err := p.call(ctx, b, &g, "GET", "/v1/accounts", nil, nil, &l); err != nil {
		return kobo.BankIdentity{}, err
	}
	for _, a := range l.Accounts {
		if a.ResourceID == ref && a.OwnerName != "" {
			return kobo.BankIdentity{FullName: a.OwnerName}, nil
		}
	}
	return kobo.BankIdentity{}, &kobo.BankError{Kind: kobo.BankNotFound, Message: "the bank shares no identity for this account", Err: errors.New("berlingroup: no ownerName")}
}
