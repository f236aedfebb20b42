package simplefin

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// maxTokenURL bounds a decoded setup token: a claim URL is a root URL and a
// one-time code.
const maxTokenURL = 2048

// DecodeSetupToken turns a pasted setup token (Base64 of the claim URL,
// with or without padding, standard or URL alphabet, with the whitespace a
// paste may add) into the claim URL. live requires https; every token must
// decode to an absolute http(s) URL with a host and no credentials. Its
// errors are sentences for the customer.
func DecodeSetupToken(token string, live bool) (*url.URL, error) {
	tok := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, token)
	if tok == "" {
		return nil, errors.New("Paste the SimpleFIN setup token.")
	}
	var raw []byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(tok); err == nil {
			raw = b
			break
		}
	}
	if raw == nil || len(raw) > maxTokenURL || !utf8.Valid(raw) {
		return nil, errors.New("That is not a SimpleFIN setup token: it should be the long code the SimpleFIN Bridge showed when you created a token.")
	}
	u, err := url.Parse(strings.TrimSpace(string(raw)))
	if err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return nil, errors.New("That is not a SimpleFIN setup token: it does not decode to a claim URL.")
	}
	if u.User != nil {
		return nil, errors.New("That is not a SimpleFIN setup token: its claim URL carries credentials.")
	}
	if err := checkScheme(u, live); err != nil {
		return nil, err
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

func checkScheme(u *url.URL, live bool) error {
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if live {
			return errors.New("This setup token's URL is not https; live apps reach SimpleFIN servers over https only.")
		}
		return nil
	}
	return fmt.Errorf("That is not a SimpleFIN setup token: its URL scheme %q is not https.", u.Scheme)
}

// parseAccessURL checks an Access URL: absolute http(s) with a host and
// Basic-auth credentials in it. Its errors never repeat the URL.
func parseAccessURL(raw string, live bool) (*url.URL, error) {
	if raw == "" || len(raw) > maxAccessURL {
		return nil, errors.New("access URL missing or too long")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("access URL does not parse")
	}
	if !u.IsAbs() || u.Hostname() == "" || u.Opaque != "" {
		return nil, errors.New("access URL is not an absolute URL with a host")
	}
	if u.User == nil || u.User.Username() == "" {
		return nil, errors.New("access URL carries no credentials")
	}
	if _, ok := u.User.Password(); !ok {
		return nil, errors.New("access URL carries no password")
	}
	if err := checkScheme(u, live); err != nil {
		return nil, errors.New("access URL scheme is not allowed")
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	return u, nil
}

// epoch is a UNIX timestamp. Servers send integers; a fractional or
// quoted number is taken too, and anything else is malformed.
type epoch int64

func (e *epoch) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*e = 0
		return nil
	}
	s := string(bytes.Trim(b, `"`))
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*e = epoch(n)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != f || f > 1<<40 || f < -(1<<40) {
		return fmt.Errorf("timestamp %s is not a number of seconds", b)
	}
	*e = epoch(int64(f))
	return nil
}

func (e epoch) time() time.Time { return time.Unix(int64(e), 0).UTC() }

// decimal is a numeric string; a bare JSON number is taken as its text.
type decimal string

func (d *decimal) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = decimal(s)
		return nil
	}
	if string(b) == "null" {
		*d = ""
		return nil
	}
	if _, err := strconv.ParseFloat(string(b), 64); err != nil {
		return fmt.Errorf("amount %s is not a number", b)
	}
	*d = decimal(b)
	return nil
}

// accountSet is the protocol's Account Set. Errlist and Connections are
// from the protocol's later revision (structured error codes, accounts
// naming a connection instead of an org), which the Bridge sends beside
// the original fields while servers migrate; either shape is read.
type accountSet struct {
	Errors      []string     `json:"errors"`
	Errlist     []errItem    `json:"errlist"`
	Connections []connection `json:"connections"`
	Accounts    []account    `json:"accounts"`

	codes []string // Errlist's codes, for classification
}

type errItem struct {
	Code    string `json:"code"` // "con.auth", "gen.api", …
	Message string `json:"message"`
	Msg     string `json:"msg"`
	ConnID  string `json:"conn_id"`
}

type connection struct {
	ConnID  string `json:"conn_id"`
	Name    string `json:"name"`
	OrgName string `json:"org_name"`
	OrgURL  string `json:"org_url"`
}

type org struct {
	Domain  string `json:"domain"`
	Name    string `json:"name"`
	SfinURL string `json:"sfin-url"`
	URL     string `json:"url"`
	ID      string `json:"id"`
}

type account struct {
	Org          org           `json:"org"`
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Currency     string        `json:"currency"`
	Balance      decimal       `json:"balance"`
	Available    *decimal      `json:"available-balance"`
	BalanceDate  epoch         `json:"balance-date"`
	Transactions []transaction `json:"transactions"`
	ConnID       string        `json:"conn_id"`

	// filled by ParseAccountSet
	connOrg  string // the connection's organisation, when there is no org
	currency string // ISO code, or XXX for a custom currency
	custom   string // the custom currency's URL
	balance  int64
	avail    int64
}

type transaction struct {
	ID           string  `json:"id"`
	Posted       epoch   `json:"posted"`
	Amount       decimal `json:"amount"`
	Description  string  `json:"description"`
	TransactedAt epoch   `json:"transacted_at"`
	Pending      bool    `json:"pending"`
}

// customCurrency is ISO 4217's code for "no currency": what kobo reports
// for points, miles and other custom currencies (the account's Type names
// the currency's URL).
const customCurrency = "XXX"

// ParseAccountSet decodes and checks a GET /accounts answer: every
// required field present, balances and amounts exact in the account's
// currency. The errors strings come back sanitised for display.
func ParseAccountSet(body []byte) (*accountSet, error) {
	var set accountSet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, err
	}
	if set.Accounts == nil && set.Errors == nil && set.Errlist == nil {
		return nil, errors.New("neither accounts nor errors: not an Account Set")
	}
	msgs := make([]string, 0, len(set.Errors)+len(set.Errlist))
	add := func(e string) {
		if s := sanitize(e, 300); s != "" && !slices.Contains(msgs, s) && len(msgs) < 5 {
			msgs = append(msgs, s)
		}
	}
	for _, e := range set.Errlist {
		add(cmp.Or(e.Message, e.Msg))
		if c := sanitize(e.Code, 40); c != "" {
			set.codes = append(set.codes, strings.ToLower(c))
		}
	}
	for _, e := range set.Errors {
		add(e)
	}
	set.Errors = msgs
	orgs := map[string]string{}
	for _, c := range set.Connections {
		orgs[c.ConnID] = cmp.Or(sanitize(c.OrgName, 100), sanitize(c.Name, 100))
	}
	ids := map[string]bool{}
	for i := range set.Accounts {
		a := &set.Accounts[i]
		if a.ID == "" {
			return nil, fmt.Errorf("account %d has no id", i)
		}
		if ids[a.ID] {
			return nil, fmt.Errorf("account id %q repeats", a.ID)
		}
		ids[a.ID] = true
		a.connOrg = orgs[a.ConnID]
		a.currency, a.custom = currencyOf(a.Currency)
		if a.currency == "" {
			return nil, fmt.Errorf("account %q has no currency", a.ID)
		}
		var err error
		if a.balance, err = kobo.ParseDecimalAmount(string(a.Balance), a.currency); err != nil {
			return nil, fmt.Errorf("account %q balance: %w", a.ID, err)
		}
		a.avail = a.balance
		if a.Available != nil && *a.Available != "" {
			if a.avail, err = kobo.ParseDecimalAmount(string(*a.Available), a.currency); err != nil {
				return nil, fmt.Errorf("account %q available-balance: %w", a.ID, err)
			}
		}
		for j, t := range a.Transactions {
			if t.ID == "" {
				return nil, fmt.Errorf("account %q transaction %d has no id", a.ID, j)
			}
			if _, err := kobo.ParseDecimalAmount(string(t.Amount), a.currency); err != nil {
				return nil, fmt.Errorf("account %q transaction %q amount: %w", a.ID, t.ID, err)
			}
		}
	}
	return &set, nil
}

// currencyOf returns the ISO code of an account's currency, or XXX and the
// URL of a custom one; "" when there is none.
func currencyOf(c string) (code, custom string) {
	c = strings.TrimSpace(c)
	if len(c) == 3 && strings.Trim(strings.ToUpper(c), "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
		return strings.ToUpper(c), ""
	}
	if u, err := url.Parse(c); err == nil && u.IsAbs() && u.Host != "" {
		return customCurrency, sanitize(c, 200)
	}
	return "", ""
}

// ansiEscape matches terminal control sequences (CSI and OSC), which a
// log viewer or console would act on.
var ansiEscape = regexp.MustCompile(`\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?)`)

// sanitize makes a server's string safe to show: no control or
// bidirectional-override characters (which can disguise text), runs of
// space collapsed, at most max runes.
func sanitize(s string, max int) string {
	s = ansiEscape.ReplaceAllString(s, "")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r), r == '\u200b', r == '\ufeff':
			continue
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		if n >= max {
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

func (a *account) institution() string {
	return cmp.Or(sanitize(a.Org.Name, 100), sanitize(a.Org.Domain, 100), a.connOrg)
}

func (a *account) bankAccount() kobo.BankAccount {
	out := kobo.BankAccount{Ref: a.ID, Number: kobo.AccountNumber(a.ID), Name: cmp.Or(sanitize(a.Name, 100), "Account"),
		Currency: a.currency, Balance: a.balance, Status: "active", Institution: a.institution()}
	if a.custom != "" {
		out.Type = "custom currency " + a.custom
	}
	return out
}

func (a *account) bankBalance() kobo.BankBalance {
	return kobo.BankBalance{Ref: a.ID, Balance: a.balance, Available: a.avail, Currency: a.currency, AsOf: a.BalanceDate.time()}
}

// bankTransactions maps the account's rows, oldest first. A row is dated
// when it happened (transacted_at) when the server says, else when it
// posted: a pending row and its posted self then share a date, and so
// kobo's id. A pending row with neither is dated at the balance date.
func (a *account) bankTransactions() ([]kobo.BankTransaction, error) {
	out := make([]kobo.BankTransaction, 0, len(a.Transactions))
	for _, t := range a.Transactions {
		amt, err := kobo.ParseDecimalAmount(string(t.Amount), a.currency)
		if err != nil {
			return nil, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the SimpleFIN server sent a malformed amount", Err: err}
		}
		typ := kobo.Credit
		if amt < 0 {
			typ, amt = kobo.Debit, -amt
		}
		date := a.BalanceDate
		switch {
		case t.TransactedAt > 0:
			date = t.TransactedAt
		case t.Posted > 0:
			date = t.Posted
		}
		out = append(out, kobo.BankTransaction{Ref: t.ID, Date: date.time(), Type: typ, Amount: amt,
			Narration: sanitize(t.Description, 500), Currency: a.currency,
			// posted 0 is the protocol's mark of a row that has not posted
			Pending: t.Pending || t.Posted == 0, ProviderID: true})
	}
	slices.SortStableFunc(out, func(x, y kobo.BankTransaction) int { return x.Date.Compare(y.Date) })
	return out, nil
}

// errorsAsBankError classifies the Account Set's errors when the data
// asked for is missing: the strings are for people, so the kind comes from
// what they say, and the message is the server's own (sanitised). nil
// when there are none.
func (s *accountSet) errorsAsBankError() *kobo.BankError {
	if len(s.Errors) == 0 {
		return nil
	}
	msg := "SimpleFIN: " + strings.Join(s.Errors, " ")
	return &kobo.BankError{Kind: classify(s.codes, s.Errors), Message: msg}
}

// classify reads the structured codes first (con.auth: the bank
// connection needs the customer), then the words.
func classify(codes, msgs []string) kobo.BankErrorKind {
	for _, c := range codes {
		if strings.Contains(c, "auth") {
			return kobo.BankMFARequired
		}
	}
	for _, c := range codes {
		if strings.Contains(c, "rate") || strings.Contains(c, "limit") || strings.Contains(c, "quota") {
			return kobo.BankRateLimited
		}
	}
	return classifyMessages(msgs)
}

func classifyMessages(msgs []string) kobo.BankErrorKind {
	text := strings.ToLower(strings.Join(msgs, " "))
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(text, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("authenticat", "log in", "login", "sign in", "credential", "password", "verif", "mfa", "consent", "revoked"):
		// the customer must act at the bridge (or its bank)
		return kobo.BankMFARequired
	case has("rate limit", "too many", "quota", "limit exceeded", "try again later"):
		return kobo.BankRateLimited
	}
	return kobo.BankUnavailable
}
