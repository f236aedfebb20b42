package obie

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

type consentResponse struct {
	Data struct {
		ConsentID          string     `json:"ConsentId"`
		Status             string     `json:"Status"`
		ExpirationDateTime *time.Time `json:"ExpirationDateTime"`
	} `json:"Data"`
}

type amount struct {
	Amount   string `json:"Amount"`
	Currency string `json:"Currency"`
}

type acctID struct {
	SchemeName, Identification, Name, SecondaryIdentification string
}

type obAccount struct {
	AccountID       string   `json:"AccountId"`
	Currency        string   `json:"Currency"`
	Description     string   `json:"Description"`
	Nickname        string   `json:"Nickname"`
	Status          string   `json:"Status"`
	AccountType     string   `json:"AccountType"`
	AccountSubType  string   `json:"AccountSubType"`
	AccountCategory string   `json:"AccountCategory"`
	AccountTypeCode string   `json:"AccountTypeCode"`
	Account         []acctID `json:"Account"`
}

type obBalance struct {
	AccountID            string `json:"AccountId"`
	Amount               amount `json:"Amount"`
	CreditDebitIndicator string `json:"CreditDebitIndicator"`
	Type                 string `json:"Type"`
	DateTime             time.Time
}

// Transaction is an OBTransaction6 as kobo reads it (both versions).
type Transaction struct {
	AccountID              string     `json:"AccountId"`
	TransactionID          string     `json:"TransactionId"`
	TransactionReference   string     `json:"TransactionReference"`
	StatementReference     []string   `json:"StatementReference"`
	Amount                 amount     `json:"Amount"`
	CreditDebitIndicator   string     `json:"CreditDebitIndicator"`
	Status                 string     `json:"Status"`
	BookingDateTime        time.Time  `json:"BookingDateTime"`
	ValueDateTime          *time.Time `json:"ValueDateTime"`
	TransactionInformation string     `json:"TransactionInformation"`
	AddressLine            string     `json:"AddressLine"`
	BankTransactionCode    *struct{ Code, SubCode string }
	ProprietaryCode        *struct{ Code, Issuer string } `json:"ProprietaryBankTransactionCode"`
	Balance                *struct {
		Amount               amount
		CreditDebitIndicator string
		Type                 string
	}
	MerchantDetails  *struct{ MerchantName, MerchantCategoryCode string }
	CreditorAccount  *acctID
	DebtorAccount    *acctID
	CreditorAgent    *struct{ Name, Identification, SchemeName string }
	DebtorAgent      *struct{ Name, Identification, SchemeName string }
	CardInstrument   *struct{ CardSchemeName, Identification, Name, AuthorisationType string }
	ChargeAmount     *amount
	CurrencyExchange *struct {
		SourceCurrency, TargetCurrency string
		ExchangeRate                   float64
	}
	SupplementaryData json.RawMessage
}

type links struct {
	Self, Next string
}

// Page is an OBReadTransaction6.
type Page struct {
	Data struct {
		Transaction []Transaction `json:"Transaction"`
	} `json:"Data"`
	Links links `json:"Links"`
}

// DecodePage reads a transactions page.
func DecodePage(body []byte) (Page, error) {
	var p Page
	if err := json.Unmarshal(body, &p); err != nil {
		return p, err
	}
	return p, nil
}

// Accounts implements kobo.Provider, with each account's booked balance.
func (p *Provider) Accounts(ctx context.Context, s kobo.BankSession) ([]kobo.BankAccount, error) {
	b, at, err := p.open(s)
	if err != nil {
		return nil, err
	}
	var r struct {
		Data struct{ Account []obAccount }
	}
	if err := p.call(ctx, b, http.MethodGet, b.BaseURL+"/accounts", at, nil, &r); err != nil {
		return nil, err
	}
	out := make([]kobo.BankAccount, 0, len(r.Data.Account))
	for _, a := range r.Data.Account {
		ba, err := MapAccount(a.AccountID, a.Currency, a.Description, a.Nickname, a.Status, a.AccountSubType+a.AccountTypeCode, a.Account)
		if err != nil {
			return nil, err
		}
		bal, err := p.Balance(ctx, s, a.AccountID)
		if err != nil {
			return nil, err
		}
		ba.Balance = bal.Balance
		out = append(out, ba)
	}
	return out, nil
}

// MapAccount makes a kobo account of an OBIE one: the NUBAN (or, for a
// UK account, the 8-digit number) as the number, every identification
// kept as an identifier.
func MapAccount(id, currency, desc, nickname, status, kind string, ids []acctID) (kobo.BankAccount, error) {
	if id == "" || len(currency) != 3 {
		return kobo.BankAccount{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "an account without an id or currency"}
	}
	a := kobo.BankAccount{Ref: id, Currency: strings.ToUpper(currency), Type: strings.ToUpper(cmpOr(desc, kind)), Name: nickname, Status: "active"}
	if status != "" && status != "Enabled" {
		a.Status = strings.ToLower(status)
	}
	for _, x := range ids {
		if a.Name == "" {
			a.Name = x.Name
		}
		switch x.SchemeName {
		case "UK.OBIE.SortCodeAccountNumber", "SortCodeAccountNumber":
			a.Identifiers = append(a.Identifiers, kobo.AccountIdentifier{Scheme: kobo.SchemeSortCode, Value: kobo.AccountNumber(x.Identification)})
			if a.Number == "" && len(x.Identification) == 14 {
				a.Number = kobo.AccountNumber(x.Identification[6:])
			}
		case "UK.OBIE.IBAN", "IBAN":
			a.Identifiers = append(a.Identifiers, kobo.AccountIdentifier{Scheme: kobo.SchemeIBAN, Value: kobo.AccountNumber(x.Identification)})
		case "NG.CBN.NUBAN":
			a.Identifiers = append(a.Identifiers, kobo.AccountIdentifier{Scheme: kobo.SchemeNUBAN, Value: kobo.AccountNumber(x.Identification)})
			a.Number = kobo.AccountNumber(x.Identification) // kobo's account_number is the NUBAN where there is one
		default:
			a.Identifiers = append(a.Identifiers, kobo.AccountIdentifier{Scheme: kobo.SchemeOther, Value: kobo.AccountNumber(x.SchemeName + ":" + x.Identification)})
		}
	}
	return a, nil
}

// signed reads an amount with its indicator as signed minor units.
func signed(a amount, indicator string) (int64, error) {
	v, err := kobo.ParseDecimalAmount(a.Amount, a.Currency)
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, fmt.Errorf("amount %q is negative; the standard signs with CreditDebitIndicator", a.Amount)
	}
	switch indicator {
	case "Credit":
	case "Debit":
		v = -v
	default:
		return 0, fmt.Errorf("CreditDebitIndicator %q", indicator)
	}
	return v, nil
}

// Balance implements kobo.Provider: the booked balance (ClosingBooked,
// InterimBooked; v4 CLBD, ITBD) and the available one (InterimAvailable,
// ClosingAvailable, Expected; v4 ITAV, CLAV, XPCD).
func (p *Provider) Balance(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankBalance, error) {
	b, at, err := p.open(s)
	if err != nil {
		return kobo.BankBalance{}, err
	}
	var r struct {
		Data struct{ Balance []obBalance }
	}
	if err := p.call(ctx, b, http.MethodGet, b.BaseURL+"/accounts/"+url.PathEscape(ref)+"/balances", at, nil, &r); err != nil {
		return kobo.BankBalance{}, err
	}
	return MapBalances(ref, r.Data.Balance)
}

// MapBalances picks the booked and available balances.
func MapBalances(ref string, list []obBalance) (kobo.BankBalance, error) {
	out := kobo.BankBalance{Ref: ref}
	rank := func(t string, order []string) int {
		for i, o := range order {
			if o == t {
				return i
			}
		}
		return -1
	}
	booked := []string{"ClosingBooked", "CLBD", "InterimBooked", "ITBD", "OpeningBooked", "OPBD"}
	avail := []string{"InterimAvailable", "ITAV", "ClosingAvailable", "CLAV", "Expected", "XPCD", "ForwardAvailable", "FWAV"}
	bi, ai := -1, -1
	for _, x := range list {
		v, err := signed(x.Amount, x.CreditDebitIndicator)
		if err != nil {
			return out, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank sent an unreadable balance", Err: err}
		}
		if r := rank(x.Type, booked); r >= 0 && (bi < 0 || r < bi) {
			bi, out.Balance, out.Currency, out.AsOf = r, v, x.Amount.Currency, x.DateTime.UTC()
		}
		if r := rank(x.Type, avail); r >= 0 && (ai < 0 || r < ai) {
			ai, out.Available = r, v
			if out.Currency == "" {
				out.Currency, out.AsOf = x.Amount.Currency, x.DateTime.UTC()
			}
		}
	}
	switch {
	case bi < 0 && ai < 0:
		return out, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank sent no booked or available balance"}
	case bi < 0:
		out.Balance = out.Available
	case ai < 0:
		out.Available = out.Balance
	}
	return out, nil
}

// Transactions implements kobo.Provider: the window's pages, following
// Links.Next, which must stay on the bank's API host (the token goes with
// it).
func (p *Provider) Transactions(ctx context.Context, s kobo.BankSession, ref string, q kobo.TxnQuery, fn func([]kobo.BankTransaction) error) error {
	b, at, err := p.open(s)
	if err != nil {
		return err
	}
	v := url.Values{}
	if !q.From.IsZero() {
		v.Set("fromBookingDateTime", q.From.UTC().Format("2006-01-02T15:04:05Z"))
	}
	if !q.To.IsZero() {
		v.Set("toBookingDateTime", q.To.UTC().Format("2006-01-02T15:04:05Z"))
	}
	next := b.BaseURL + "/accounts/" + url.PathEscape(ref) + "/transactions"
	if len(v) > 0 {
		next += "?" + v.Encode()
	}
	base, _ := url.Parse(b.BaseURL)
	seen := map[string]bool{}
	for pages := 0; next != ""; pages++ {
		if pages > 100_000 {
			return &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank's transaction pages do not end"}
		}
		nu, err := url.Parse(next)
		if err != nil || nu.Scheme != base.Scheme || nu.Host != base.Host || seen[next] {
			return &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank's next page link leaves its API or repeats", Err: fmt.Errorf("next %q", next)}
		}
		seen[next] = true
		var page Page
		if err := p.call(ctx, b, http.MethodGet, next, at, nil, &page); err != nil {
			return err
		}
		rows, err := MapTransactions(page.Data.Transaction)
		if err != nil {
			return err
		}
		if len(rows) > 0 {
			if err := fn(rows); err != nil {
				return err
			}
		}
		next = page.Links.Next
	}
	return nil
}

// MapTransactions maps a page, oldest first as kobo wants; rejected,
// informational and future-dated rows are not transactions.
func MapTransactions(in []Transaction) ([]kobo.BankTransaction, error) {
	out := make([]kobo.BankTransaction, 0, len(in))
	for _, t := range in {
		switch t.Status {
		case "Rejected", "RJCT", "INFO", "FUTR":
			continue
		}
		bt, err := MapTransaction(t)
		if err != nil {
			return nil, err
		}
		out = append(out, bt)
	}
	// banks page newest first or oldest first; kobo wants oldest first
	if n := len(out); n > 1 && out[0].Date.After(out[n-1].Date) {
		for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

// MapTransaction maps one transaction.
func MapTransaction(t Transaction) (kobo.BankTransaction, error) {
	v, err := signed(t.Amount, t.CreditDebitIndicator)
	if err != nil {
		return kobo.BankTransaction{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank sent an unreadable transaction amount", Err: err}
	}
	if t.BookingDateTime.IsZero() {
		return kobo.BankTransaction{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "a transaction without BookingDateTime"}
	}
	bt := kobo.BankTransaction{Date: t.BookingDateTime.UTC(), Currency: strings.ToUpper(t.Amount.Currency), Type: kobo.Credit, Amount: v,
		Pending: t.Status == "Pending" || t.Status == "PDNG"}
	if v < 0 {
		bt.Type, bt.Amount = kobo.Debit, -v
	}
	if t.Balance != nil {
		if bal, err := signed(t.Balance.Amount, t.Balance.CreditDebitIndicator); err == nil {
			bt.Balance = &bal
		}
	}
	bt.Narration = t.TransactionInformation
	if bt.Narration == "" {
		switch {
		case t.MerchantDetails != nil && t.MerchantDetails.MerchantName != "":
			bt.Narration = t.MerchantDetails.MerchantName
		case t.TransactionReference != "":
			bt.Narration = t.TransactionReference
		case t.ProprietaryCode != nil:
			bt.Narration = t.ProprietaryCode.Code
		}
	}
	if t.TransactionID != "" {
		bt.Ref, bt.ProviderID = t.TransactionID, true
	} else {
		// no id from the bank: one from what identifies the row
		sum := sha256.Sum256([]byte(bt.Date.Format(time.RFC3339Nano) + "|" + t.Amount.Amount + "|" + t.CreditDebitIndicator + "|" + bt.Narration + "|" + t.TransactionReference))
		bt.Ref = "obie-" + hex.EncodeToString(sum[:12])
	}
	bt.Meta = TransactionMeta(t)
	return bt, nil
}

// TransactionMeta is what of an OBIE transaction kobo's Mono-shaped
// transaction has no field for, under kobo.TxnMeta's shared keys:
//
//	merchant_name, merchant_category_code   MerchantDetails
//	counterparty_name                        CreditorAccount.Name (debits) or DebtorAccount.Name (credits)
//	counterparty_scheme                      its SchemeName
//	counterparty_account_last4               the last 4 of its Identification (kobo seals whole account numbers)
//	counterparty_bank                        CreditorAgent/DebtorAgent name or identification
//	reference                                TransactionReference
//	statement_reference                      StatementReference, comma-separated
//	bank_transaction_code                    BankTransactionCode "Code/SubCode"
//	proprietary_code                         ProprietaryBankTransactionCode "Issuer:Code"
//	value_date                               ValueDateTime (RFC 3339)
//	card_scheme, card_last4                  CardInstrument (the last 4 of the number the bank masks)
//	charge_amount                            ChargeAmount "1.50 GBP"
//	fx_rate, fx_source_currency, fx_target_currency  CurrencyExchange
//	address                                  AddressLine
//	status                                   Status as the bank sent it
//
// It is nil for a transaction with none of these.
func TransactionMeta(t Transaction) kobo.TxnMeta {
	var m kobo.TxnMeta
	if md := t.MerchantDetails; md != nil {
		m.Set(kobo.MetaMerchantName, md.MerchantName)
		m.Set(kobo.MetaMerchantCategory, md.MerchantCategoryCode)
	}
	party, agent := t.CreditorAccount, t.CreditorAgent
	if t.CreditDebitIndicator == "Credit" {
		party, agent = t.DebtorAccount, t.DebtorAgent
	}
	if party != nil {
		m.Set(kobo.MetaCounterpartyName, party.Name)
		if strings.TrimSpace(party.Identification) != "" {
			m.Set(kobo.MetaCounterpartyScheme, party.SchemeName)
		}
		m.SetLast4(kobo.MetaCounterpartyLast4, party.Identification)
	}
	if agent != nil {
		m.Set(kobo.MetaCounterpartyBank, cmpOr(agent.Name, agent.Identification))
	}
	m.Set(kobo.MetaReference, t.TransactionReference)
	m.Set(kobo.MetaStatementReference, strings.Join(t.StatementReference, ","))
	if c := t.BankTransactionCode; c != nil && (c.Code != "" || c.SubCode != "") {
		m.Set(kobo.MetaBankTxnCode, c.Code+"/"+c.SubCode)
	}
	if c := t.ProprietaryCode; c != nil && c.Code != "" {
		code := c.Code
		if c.Issuer != "" {
			code = c.Issuer + ":" + code
		}
		m.Set(kobo.MetaProprietaryCode, code)
	}
	if t.ValueDateTime != nil {
		m.Set(kobo.MetaValueDate, t.ValueDateTime.UTC().Format(time.RFC3339))
	}
	if c := t.CardInstrument; c != nil {
		m.Set(kobo.MetaCardScheme, c.CardSchemeName)
		m.SetLast4(kobo.MetaCardLast4, c.Identification)
	}
	if c := t.ChargeAmount; c != nil && c.Amount != "" {
		m.Set(kobo.MetaChargeAmount, c.Amount+" "+c.Currency)
	}
	if fx := t.CurrencyExchange; fx != nil {
		if fx.ExchangeRate != 0 {
			m.Set(kobo.MetaFXRate, strconv.FormatFloat(fx.ExchangeRate, 'f', -1, 64))
		}
		m.Set(kobo.MetaFXSource, fx.SourceCurrency)
		m.Set(kobo.MetaFXTarget, fx.TargetCurrency)
	}
	m.Set(kobo.MetaAddress, t.AddressLine)
	m.Set(kobo.MetaStatus, t.Status)
	return m
}

type obParty struct {
	PartyID       string `json:"PartyId"`
	Name          string
	FullLegalName string
	EmailAddress  string
	Mobile, Phone string
	Address       []struct {
		AddressLine                                    []string
		StreetName, BuildingNumber, TownName, PostCode string
		CountrySubDivision, Country                    string
	}
}

// Identity implements kobo.Provider from the account's party (ReadParty).
func (p *Provider) Identity(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankIdentity, error) {
	b, at, err := p.open(s)
	if err != nil {
		return kobo.BankIdentity{}, err
	}
	var r struct {
		Data struct{ Party *obParty }
	}
	if err := p.call(ctx, b, http.MethodGet, b.BaseURL+"/accounts/"+url.PathEscape(ref)+"/party", at, nil, &r); err != nil {
		if kobo.BankErrorKindOf(err) == kobo.BankMFARequired {
			// 403 here is a consent without ReadParty, not a lapsed one
			return kobo.BankIdentity{}, &kobo.BankError{Kind: kobo.BankNotFound, Message: "the bank shares no identity under this consent", Err: err}
		}
		return kobo.BankIdentity{}, err
	}
	if r.Data.Party == nil {
		return kobo.BankIdentity{}, &kobo.BankError{Kind: kobo.BankNotFound, Message: "the bank shares no identity"}
	}
	return MapParty(*r.Data.Party), nil
}

// MapParty maps a party: a "+234-803…" mobile back to the national form.
func MapParty(pt obParty) kobo.BankIdentity {
	id := kobo.BankIdentity{FullName: cmpOr(pt.FullLegalName, pt.Name), Email: pt.EmailAddress}
	phone := cmpOr(pt.Mobile, pt.Phone)
	if cc, n, ok := strings.Cut(phone, "-"); ok && cc == "+234" {
		phone = "0" + n
	}
	id.Phone = phone
	if len(pt.Address) > 0 {
		a := pt.Address[0]
		line := strings.Join(a.AddressLine, ", ")
		if line == "" {
			line = strings.TrimSpace(a.BuildingNumber + " " + a.StreetName)
		}
		id.AddressLine1 = line
		var rest []string
		for _, s := range []string{a.TownName, a.CountrySubDivision, a.PostCode} {
			if s != "" {
				rest = append(rest, s)
			}
		}
		id.AddressLine2 = strings.Join(rest, ", ")
	}
	return id
}
