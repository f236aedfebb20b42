package obie

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/kobo"
)

func (f *Face) links(r *http.Request) map[string]string { return map[string]string{"Self": f.self(r)} }

// sortCode is the UK sort code the face gives the bank: 60, the bank's
// three-digit CBN code, 0. Real sort codes are assigned; this one only
// has to be stable and six digits.
func (f *Face) sortCode() string {
	code := f.inst.BankCode
	for len(code) < 3 {
		code = "0" + code
	}
	return "60" + code[len(code)-3:] + "0"
}

// SchemeNUBAN names the Nigerian account number among an account's
// identifications (the simulator's banks are Nigerian; a UK sort code and
// number come first, as UK TPPs expect).
const SchemeNUBAN = "NG.CBN.NUBAN"

func (f *Face) accountBody(a banksim.StdAccount, c *consent) map[string]any {
	savings := strings.HasPrefix(a.Type, "SAVINGS")
	cat := f.prof.Personal
	if a.Business {
		cat = f.prof.Business
	}
	desc := a.Type
	if len(desc) > 35 {
		desc = desc[:35]
	}
	m := map[string]any{"AccountId": a.ID, "Currency": f.c.Currency, "Description": desc, "Status": "Enabled",
		"StatusUpdateDateTime": a.Opened, "OpeningDate": a.Opened}
	if f.prof.Version == "v3.1" {
		m["AccountType"], m["AccountSubType"] = cat, f.prof.accountKind(savings)
	} else {
		m["AccountCategory"], m["AccountTypeCode"] = cat, f.prof.accountKind(savings)
	}
	if c.has("ReadAccountsDetail") {
		m["Account"] = []map[string]string{
			{"SchemeName": "UK.OBIE.SortCodeAccountNumber", "Identification": f.sortCode() + a.Number[len(a.Number)-8:], "Name": a.Name},
			{"SchemeName": SchemeNUBAN, "Identification": a.Number, "Name": a.Name},
		}
		m["Servicer"] = map[string]string{"SchemeName": "UK.OBIE.BICFI", "Identification": strings.ToUpper(slug(f.inst.Name)) + "NGLA"}
	}
	return m
}

func slug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(name) {
		if r >= 'A' && r <= 'Z' && b.Len() < 4 {
			b.WriteRune(r)
		}
	}
	for b.Len() < 4 {
		b.WriteByte('X')
	}
	return b.String()
}

func (f *Face) userAccounts(w http.ResponseWriter, r *http.Request, c *consent) ([]banksim.StdAccount, bool) {
	if !c.has("ReadAccountsBasic") && !c.has("ReadAccountsDetail") {
		f.fail(w, http.StatusForbidden, errConsentMismatch, "the consent does not include ReadAccountsBasic or ReadAccountsDetail")
		return nil, false
	}
	accts, err := f.sim.StdAccounts(r.Context(), "", f.inst.ID, c.User)
	if err != nil {
		f.fail(w, 500, errUnexpected, "the bank's systems are unavailable")
		return nil, false
	}
	return accts, true
}

func (f *Face) findAccount(w http.ResponseWriter, r *http.Request, c *consent) (banksim.StdAccount, bool) {
	accts, err := f.sim.StdAccounts(r.Context(), "", f.inst.ID, c.User)
	if err != nil {
		f.fail(w, 500, errUnexpected, "the bank's systems are unavailable")
		return banksim.StdAccount{}, false
	}
	for _, a := range accts {
		if a.ID == r.PathValue("AccountId") {
			return a, true
		}
	}
	f.failAt(w, http.StatusBadRequest, errNotFound, "no such account under this consent", "AccountId")
	return banksim.StdAccount{}, false
}

func (f *Face) accounts(w http.ResponseWriter, r *http.Request, c *consent, now time.Time) {
	accts, ok := f.userAccounts(w, r, c)
	if !ok {
		return
	}
	list := []map[string]any{}
	for _, a := range accts {
		list = append(list, f.accountBody(a, c))
	}
	writeJSON(w, 200, map[string]any{"Data": map[string]any{"Account": list}, "Links": f.links(r), "Meta": map[string]any{"TotalPages": 1}})
}

func (f *Face) account(w http.ResponseWriter, r *http.Request, c *consent, now time.Time) {
	if _, ok := f.userAccounts(w, r, c); !ok {
		return
	}
	a, ok := f.findAccount(w, r, c)
	if !ok {
		return
	}
	writeJSON(w, 200, map[string]any{"Data": map[string]any{"Account": []map[string]any{f.accountBody(a, c)}}, "Links": f.links(r), "Meta": map[string]any{"TotalPages": 1}})
}

// amount is OBActiveOrHistoricCurrencyAndAmount.
func (f *Face) amount(v int64) map[string]string {
	if v < 0 {
		v = -v
	}
	return map[string]string{"Amount": kobo.FormatDecimalAmount(v, f.c.Currency), "Currency": f.c.Currency}
}

func indicator(v int64) string {
	if v < 0 {
		return "Debit"
	}
	return "Credit"
}

func (f *Face) balances(w http.ResponseWriter, r *http.Request, c *consent, now time.Time) {
	if !c.has("ReadBalances") {
		f.fail(w, http.StatusForbidden, errConsentMismatch, "the consent does not include ReadBalances")
		return
	}
	a, ok := f.findAccount(w, r, c)
	if !ok {
		return
	}
	var list []map[string]any
	for _, kind := range []string{balanceAvailable, balanceBooked} {
		list = append(list, map[string]any{"AccountId": a.ID, "Amount": f.amount(a.Balance), "CreditDebitIndicator": indicator(a.Balance),
			"Type": f.prof.Balance[kind], "DateTime": now.Truncate(time.Second)})
	}
	writeJSON(w, 200, map[string]any{"Data": map[string]any{"Balance": list}, "Links": f.links(r), "Meta": map[string]any{"TotalPages": 1}})
}

// ParseDateTime reads the standard's query date-times: ISO 8601 with a
// zone, or without one (UTC), as UK banks accept both.
func ParseDateTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date-time", s)
}

func (f *Face) transactions(w http.ResponseWriter, r *http.Request, c *consent, now time.Time) {
	credits, debits := c.has("ReadTransactionsCredits"), c.has("ReadTransactionsDebits")
	detail := c.has("ReadTransactionsDetail")
	if !c.has("ReadTransactionsBasic") && !detail || !credits && !debits {
		f.fail(w, http.StatusForbidden, errConsentMismatch, "the consent does not include transactions")
		return
	}
	a, ok := f.findAccount(w, r, c)
	if !ok {
		return
	}
	if a.TxnsFail {
		f.fail(w, http.StatusInternalServerError, errUnexpected, "the statement service cannot serve this account")
		return
	}
	q := r.URL.Query()
	from, to := a.Opened, now
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"fromBookingDateTime", &from}, {"toBookingDateTime", &to}} {
		if v := q.Get(p.name); v != "" {
			t, err := ParseDateTime(v)
			if err != nil {
				f.failAt(w, 400, errFieldInvalid, err.Error(), p.name)
				return
			}
			*p.dst = t
		}
	}
	if c.TxFrom != nil && from.Before(*c.TxFrom) {
		from = *c.TxFrom
	}
	if c.TxTo != nil && to.After(*c.TxTo) {
		to = *c.TxTo
	}
	if to.After(now) {
		to = now
	}
	txns, next, err := f.sim.StdTransactions(r.Context(), "", f.inst.ID, c.User, a.ID, from, to, q.Get("page"), f.c.PageSize)
	if errors.Is(err, banksim.ErrStdCursor) {
		f.failAt(w, 400, errFieldInvalid, "page is not a page this bank gave", "page")
		return
	}
	if err != nil {
		f.fail(w, 500, errUnexpected, "the bank's systems are unavailable")
		return
	}
	list := make([]map[string]any, 0, len(txns))
	for _, x := range txns {
		if x.Credit && !credits || !x.Credit && !debits {
			continue
		}
		list = append(list, f.txnBody(a, x, now, detail))
	}
	links := f.links(r)
	if next != "" {
		nq := url.Values{"page": {next}}
		if v := q.Get("fromBookingDateTime"); v != "" {
			nq.Set("fromBookingDateTime", v)
		}
		if v := q.Get("toBookingDateTime"); v != "" {
			nq.Set("toBookingDateTime", v)
		}
		links["Next"] = f.c.Issuer + r.URL.Path + "?" + nq.Encode()
	}
	writeJSON(w, 200, map[string]any{"Data": map[string]any{"Transaction": list}, "Links": links,
		"Meta": map[string]any{"FirstAvailableDateTime": a.Opened, "LastAvailableDateTime": now.Truncate(time.Second)}})
}

// txnBody is an OBTransaction6. The simulator's narrations are Nigerian
// statement lines; the face reads the card merchant, the transfer's
// counterparty and its purpose out of them, as a bank's core does before
// it fills these fields.
func (f *Face) txnBody(a banksim.StdAccount, x banksim.Txn, now time.Time, detail bool) map[string]any {
	signed := x.Amount
	if !x.Credit {
		signed = -signed
	}
	pending := now.Sub(x.Date) < f.c.PendingWindow
	status := f.prof.Status[txnBooked]
	if pending {
		status = f.prof.Status[txnPending]
	}
	m := map[string]any{"AccountId": a.ID, "TransactionId": x.Ref, "Amount": f.amount(x.Amount), "CreditDebitIndicator": indicator(signed),
		"Status": status, "BookingDateTime": x.Date, "ValueDateTime": x.Date}
	if pending {
		m["TransactionMutability"] = "Mutable"
	} else {
		m["TransactionMutability"] = "Immutable"
	}
	n := Narration(x.Narration, x.Credit)
	m["ProprietaryBankTransactionCode"] = map[string]string{"Code": n.Code, "Issuer": slug(f.inst.Name)}
	m["BankTransactionCode"] = map[string]string{"Code": n.Family, "SubCode": n.SubFamily}
	if n.Reference != "" {
		m["TransactionReference"] = n.Reference
	}
	if !detail {
		return m
	}
	m["TransactionInformation"] = x.Narration
	if !pending {
		m["Balance"] = map[string]any{"Amount": f.amount(x.Balance), "CreditDebitIndicator": indicator(x.Balance), "Type": f.prof.Balance[balanceBooked]}
	}
	if n.Merchant != "" {
		md := map[string]string{"MerchantName": n.Merchant}
		if n.MCC != "" {
			md["MerchantCategoryCode"] = n.MCC
		}
		m["MerchantDetails"] = md
	}
	if n.Card {
		m["CardInstrument"] = map[string]string{"CardSchemeName": "VISA", "AuthorisationType": "PIN", "Identification": "4" + strings.Repeat("*", 11) + a.Number[len(a.Number)-4:]}
	}
	if n.Counterparty != "" {
		party := map[string]string{"Name": n.Counterparty}
		if x.Credit {
			m["DebtorAccount"] = party
		} else {
			m["CreditorAccount"] = party
		}
		if n.CounterpartyBank != "" {
			agent := map[string]string{"Name": n.CounterpartyBank}
			if x.Credit {
				m["DebtorAgent"] = agent
			} else {
				m["CreditorAgent"] = agent
			}
		}
	}
	return m
}

// NarrationParts is what the face reads out of a simulated statement line.
type NarrationParts struct {
	Code, Family, SubFamily string // proprietary code, ISO domain family and sub-family
	Merchant, MCC           string
	Card                    bool
	Counterparty            string
	CounterpartyBank        string
	Reference               string
}

// Narration splits a simulated narration into the OBIE transaction's
// parts.
func Narration(n string, credit bool) NarrationParts {
	p := NarrationParts{Code: "OTHER", Family: "ReceivedCreditTransfers", SubFamily: "DomesticCreditTransfer"}
	if !credit {
		p.Family = "IssuedCreditTransfers"
	}
	switch {
	case strings.HasPrefix(n, "POS PURCHASE "):
		p.Code, p.Family, p.SubFamily, p.Card = "POS", "CardTransactions", "PointOfSale", true
		p.Merchant, p.MCC = strings.TrimSuffix(strings.TrimPrefix(n, "POS PURCHASE "), " NG"), "5411"
	case strings.HasPrefix(n, "REVERSAL: POS PURCHASE "):
		p.Code, p.Family, p.SubFamily, p.Card = "REVERSAL", "CardTransactions", "Reversal", true
		p.Merchant = strings.TrimSuffix(strings.TrimPrefix(n, "REVERSAL: POS PURCHASE "), " NG")
	case strings.HasPrefix(n, "WEB PURCHASE "):
		p.Code, p.Family, p.SubFamily, p.Card = "WEB", "CardTransactions", "eCommerce", true
		p.Merchant, p.MCC = strings.TrimPrefix(n, "WEB PURCHASE "), "5969"
	case strings.HasPrefix(n, "ATM WDL "):
		p.Code, p.Family, p.SubFamily, p.Card = "ATM", "CardTransactions", "CashWithdrawal", true
		p.Merchant, p.MCC = strings.TrimSuffix(strings.TrimPrefix(n, "ATM WDL "), " LAGOS"), "6011"
	case strings.HasPrefix(n, "NIP FRM "):
		p.Code = "NIP"
		who, why, _ := strings.Cut(strings.TrimPrefix(n, "NIP FRM "), "/")
		p.Counterparty, p.Reference = who, why
	case strings.HasPrefix(n, "NIP/"):
		p.Code = "NIP"
		parts := strings.SplitN(strings.TrimPrefix(n, "NIP/"), "/", 3)
		if len(parts) == 3 {
			p.CounterpartyBank, p.Counterparty, p.Reference = parts[0], parts[1], parts[2]
		}
	case strings.HasPrefix(n, "MOB/UTO/"):
		p.Code = "MOB"
		who, why, _ := strings.Cut(strings.TrimPrefix(n, "MOB/UTO/"), "/")
		p.Counterparty, p.Reference = who, why
	case strings.HasPrefix(n, "SALARY "):
		p.Code, p.SubFamily = "SALARY", "SalaryPayment"
		p.Counterparty = strings.TrimPrefix(n, "SALARY ")
	case strings.HasPrefix(n, "AIRTIME/"), strings.HasPrefix(n, "DATA BUNDLE "), strings.HasPrefix(n, "BILLS PAYMENT "):
		p.Code, p.Family, p.SubFamily = "BILL", "IssuedDirectDebits", "DirectDebitPayment"
		p.Merchant = strings.SplitN(strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(n, "AIRTIME/"), "DATA BUNDLE "), "BILLS PAYMENT "), "/", 2)[0]
	case strings.Contains(n, "CHARGES"), strings.Contains(n, "FEE"), strings.Contains(n, "LEVY"), strings.HasPrefix(n, "VAT "), strings.HasPrefix(n, "WHT "):
		p.Code, p.Family, p.SubFamily = "CHARGE", "AccountManagement", "Charges"
	case strings.HasPrefix(n, "INTEREST"):
		p.Code, p.Family, p.SubFamily = "INTEREST", "AccountManagement", "Interest"
	}
	if len(p.Reference) > 35 {
		p.Reference = p.Reference[:35]
	}
	return p
}

// party is an OBParty2 from the simulator's identity.
func (f *Face) party(w http.ResponseWriter, r *http.Request, c *consent, now time.Time) {
	if !c.has("ReadPartyPSU") {
		f.fail(w, http.StatusForbidden, errConsentMismatch, "the consent does not include ReadPartyPSU")
		return
	}
	p, ok := f.partyBody(w, r, c, "")
	if ok {
		writeJSON(w, 200, map[string]any{"Data": map[string]any{"Party": p}, "Links": f.links(r), "Meta": map[string]any{"TotalPages": 1}})
	}
}

func (f *Face) accountParty(w http.ResponseWriter, r *http.Request, c *consent, now time.Time) {
	f.writeAccountParty(w, r, c, func(p map[string]any) any { return p })
}

func (f *Face) accountParties(w http.ResponseWriter, r *http.Request, c *consent, now time.Time) {
	f.writeAccountParty(w, r, c, func(p map[string]any) any { return []map[string]any{p} })
}

// writeAccountParty answers an account's party (one OBParty2) and its
// parties (a list of them): the same check and the same party, shaped.
func (f *Face) writeAccountParty(w http.ResponseWriter, r *http.Request, c *consent, shape func(map[string]any) any) {
	if !c.has("ReadParty") {
		f.fail(w, http.StatusForbidden, errConsentMismatch, "the consent does not include ReadParty")
		return
	}
	a, ok := f.findAccount(w, r, c)
	if !ok {
		return
	}
	if p, ok := f.partyBody(w, r, c, a.ID); ok {
		writeJSON(w, 200, map[string]any{"Data": map[string]any{"Party": shape(p)}, "Links": f.links(r), "Meta": map[string]any{"TotalPages": 1}})
	}
}

// Mobile is a Nigerian phone number in the standard's "+code-number" form.
func Mobile(phone string) string {
	d := strings.TrimPrefix(strings.TrimSpace(phone), "+")
	switch {
	case strings.HasPrefix(d, "234"):
		d = d[3:]
	case strings.HasPrefix(d, "0"):
		d = d[1:]
	}
	for _, r := range d {
		if r < '0' || r > '9' {
			return ""
		}
	}
	if d == "" || len(d) > 30 {
		return ""
	}
	return "+234-" + d
}

func (f *Face) partyBody(w http.ResponseWriter, r *http.Request, c *consent, accountID string) (map[string]any, bool) {
	id, ok, err := f.sim.StdIdentity(r.Context(), "", f.inst.ID, c.User)
	if err != nil {
		f.fail(w, 500, errUnexpected, "the bank's systems are unavailable")
		return nil, false
	}
	if !ok {
		f.fail(w, http.StatusForbidden, errConsentMismatch, "this bank shares no party data")
		return nil, false
	}
	p := map[string]any{"PartyId": "P" + strconv.FormatUint(fnv(c.User), 16), "PartyType": "Sole", "Name": id["full_name"], "FullLegalName": id["full_name"],
		"EmailAddress": id["email"]}
	if m := Mobile(id["phone"]); m != "" {
		p["Mobile"] = m
	}
	addr := map[string]any{"AddressType": f.prof.Address, "Country": "NG"}
	if l := id["address_line1"]; l != "" {
		addr["AddressLine"] = []string{l}
	}
	if l2 := id["address_line2"]; l2 != "" {
		town, region, _ := strings.Cut(l2, ", ")
		addr["TownName"], addr["CountrySubDivision"] = town, region
	}
	p["Address"] = []map[string]any{addr}
	if accountID != "" {
		p["AccountRole"] = "UK.OBIE.Principal"
		p["Relationships"] = map[string]any{"Account": map[string]string{"Id": accountID, "Related": f.c.Issuer + f.BasePath() + "/accounts/" + accountID}}
	}
	return p, true
}

func fnv(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
