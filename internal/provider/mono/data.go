package mono

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// lagos is the day boundary of Mono's DD-MM-YYYY date filters (Nigeria,
// UTC+1, no daylight saving).
var lagos = time.FixedZone("WAT", 3600)

func accountOf(s kobo.BankSession) (string, error) {
	id := s.Token.Reveal()
	if strings.HasPrefix(id, pendingPrefix) || !validID(id) {
		return "", &kobo.BankError{Kind: kobo.BankNotFound, Message: "this Mono link was never completed"}
	}
	return id, nil
}

// Accounts implements kobo.Provider: a linked Mono session is one account
// (GET /v2/accounts/{id}); a pending one lists what Mono offered at 101.
func (p *Provider) Accounts(ctx context.Context, s kobo.BankSession) ([]kobo.BankAccount, error) {
	if _, accts, ok := decodePending(s.Token.Reveal()); ok {
		out := make([]kobo.BankAccount, 0, len(accts))
		for _, a := range accts {
			out = append(out, kobo.BankAccount{Ref: pendingRef(a.Number), Number: kobo.AccountNumber(a.Number), Name: a.Name, Type: a.Type,
				Currency: cmp.Or(a.Currency, "NGN"), Balance: a.Balance, Status: cmp.Or(strings.ToLower(a.Status), "active"),
				Identifiers: []kobo.AccountIdentifier{{Scheme: kobo.SchemeNUBAN, Value: kobo.AccountNumber(a.Number)}}})
		}
		return out, nil
	}
	id, err := accountOf(s)
	if err != nil {
		return nil, err
	}
	sk, err := secretKey(s.Credentials, nil)
	if err != nil {
		return nil, err
	}
	res, err := p.do(ctx, call{method: "GET", path: "/v2/accounts/" + url.PathEscape(id), key: sk, retry: true})
	if err != nil {
		return nil, err
	}
	d, err := parseDetails(res.body)
	if err != nil {
		return nil, err
	}
	return []kobo.BankAccount{d.account()}, nil
}

// details is GET /v2/accounts/{id}
// (docs.mono.co/api/bank-data/accounts/details).
type details struct {
	Account struct {
		ID            string          `json:"id"`
		Name          string          `json:"name"`
		AccountNumber string          `json:"account_number"`
		Currency      string          `json:"currency"`
		Balance       json.RawMessage `json:"balance"`
		Type          string          `json:"type"`
		BVN           *string         `json:"bvn"`
		Institution   struct {
			Name     string `json:"name"`
			BankCode string `json:"bank_code"`
			Type     string `json:"type"`
		} `json:"institution"`
	} `json:"account"`
	Meta struct {
		DataStatus    string   `json:"data_status"`
		AuthMethod    string   `json:"auth_method"`
		RetrievedData []string `json:"retrieved_data"`
	} `json:"meta"`

	balance int64
}

func (d details) account() kobo.BankAccount {
	a := d.Account
	bvn := ""
	if a.BVN != nil {
		bvn = *a.BVN // the last 4 digits only; the full BVN comes with identity
	}
	return kobo.BankAccount{Ref: a.ID, Number: kobo.AccountNumber(a.AccountNumber), Name: a.Name, Type: a.Type, Currency: cmp.Or(currency(a.Currency), "NGN"),
		Balance: d.balance, Status: "active", BVN: kobo.BVN(bvn), Institution: a.Institution.Name,
		Identifiers: []kobo.AccountIdentifier{{Scheme: kobo.SchemeNUBAN, Value: kobo.AccountNumber(a.AccountNumber)}}}
}

// currency maps Mono's currency: ISO codes, and the "Naira" of older
// payloads (docs.mono.co/docs/data-sync-1).
func currency(c string) string {
	c = strings.TrimSpace(c)
	if strings.EqualFold(c, "naira") {
		return "NGN"
	}
	if len(c) == 3 {
		return strings.ToUpper(c)
	}
	return ""
}

func parseDetails(body []byte) (details, error) {
	var env struct {
		Data *details `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return details{}, invalid("account", err)
	}
	if env.Data == nil || !validID(env.Data.Account.ID) || env.Data.Account.AccountNumber == "" || len(env.Data.Account.AccountNumber) > 34 {
		return details{}, invalid("account", errors.New("account without id or number"))
	}
	d := *env.Data
	if len(d.Account.Balance) > 0 && string(d.Account.Balance) != "null" {
		b, err := minorUnits(d.Account.Balance)
		if err != nil {
			return details{}, invalid("account balance", err)
		}
		d.balance = b
	}
	return d, nil
}

// minorUnits reads one of Mono's amounts. Mono sends integers already in
// the currency's minor unit ("in lowest denomination e.g Kobo",
// docs.mono.co/api/bank-data/accounts/details), so kobo keeps the number;
// a whole number written as a float (500.0) is accepted, a fraction of a
// kobo is malformed.
func minorUnits(raw json.RawMessage) (int64, error) {
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return 0, err
		}
		s = strings.TrimSpace(str)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("amount %.40q is not a whole number of minor units", s)
	}
	return int64(f), nil
}

// Balance implements kobo.Provider (GET /v2/accounts/{id}/balance,
// docs.mono.co/docs/financial-data/realtime-data). While Mono is still
// fetching the account its data is empty; the read waits for it.
func (p *Provider) Balance(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankBalance, error) {
	sk, err := secretKey(s.Credentials, nil)
	if err != nil {
		return kobo.BankBalance{}, err
	}
	if ref, err = p.refOf(s, ref); err != nil {
		return kobo.BankBalance{}, err
	}
	for waited := false; ; waited = true {
		res, err := p.do(ctx, call{method: "GET", path: "/v2/accounts/" + url.PathEscape(ref) + "/balance", key: sk, retry: true, read: true})
		if err != nil {
			return kobo.BankBalance{}, err
		}
		b, ok, err := parseBalance(res.body)
		if err != nil {
			return kobo.BankBalance{}, err
		}
		if ok {
			b.Ref, b.AsOf = cmp.Or(b.Ref, ref), p.c.Clock.Now()
			return b, nil
		}
		if waited {
			return kobo.BankBalance{}, invalid("balance", errors.New("no balance once Mono finished the account"))
		}
		if err := p.waitReady(ctx, sk, ref); err != nil {
			return kobo.BankBalance{}, err
		}
	}
}

// refOf is the Mono account the call is about: the session's (one Mono
// link is one account), and a ref that disagrees is refused.
func (p *Provider) refOf(s kobo.BankSession, ref string) (string, error) {
	id, err := accountOf(s)
	if err != nil {
		return "", err
	}
	if ref != "" && ref != id {
		return "", &kobo.BankError{Kind: kobo.BankNotFound, Message: "this Mono session does not hold that account"}
	}
	return id, nil
}

// parseBalance reads the balance; ok false is Mono's empty answer for an
// account still PROCESSING.
func parseBalance(body []byte) (kobo.BankBalance, bool, error) {
	var env struct {
		Data *struct {
			ID       string          `json:"id"`
			Balance  json.RawMessage `json:"balance"`
			Currency string          `json:"currency"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return kobo.BankBalance{}, false, invalid("balance", err)
	}
	if env.Data == nil {
		return kobo.BankBalance{}, false, nil
	}
	if len(env.Data.Balance) == 0 || string(env.Data.Balance) == "null" {
		return kobo.BankBalance{}, false, invalid("balance", errors.New("balance missing"))
	}
	b, err := minorUnits(env.Data.Balance)
	if err != nil {
		return kobo.BankBalance{}, false, invalid("balance", err)
	}
	// Mono's balance carries one figure: the ledger balance is what is available
	return kobo.BankBalance{Ref: env.Data.ID, Balance: b, Available: b, Currency: cmp.Or(currency(env.Data.Currency), "NGN")}, true, nil
}

// waitReady waits while Mono is still fetching the account (data_status
// PROCESSING): "calling the data endpoints while the status is PROCESSING
// won't return any data" (docs.mono.co/docs/quickstart). It polls the
// details with backoff up to ProcessingWait, then answers unavailable so
// kobo's job retries later.
func (p *Provider) waitReady(ctx context.Context, sk, id string) error {
	// counted in the delays slept, not the clock: a test's frozen clock
	// must not make the wait endless
	var slept time.Duration
	delay := 100 * time.Millisecond
	// the wait holds a worker as surely as a hanging call: it takes one of
	// the slots for its whole length (its polls then need none)
	select {
	case p.slots <- struct{}{}:
		defer func() { <-p.slots }()
	default:
		return &kobo.BankError{Kind: kobo.BankUnavailable, Message: "Mono is still fetching this account's data", RetryAfter: 30 * time.Second, Err: errBusy}
	}
	for {
		res, err := p.do(ctx, call{method: "GET", path: "/v2/accounts/" + url.PathEscape(id), key: sk, retry: true})
		if err != nil {
			return err
		}
		d, err := parseDetails(res.body)
		if err != nil {
			return err
		}
		if !strings.EqualFold(d.Meta.DataStatus, "PROCESSING") {
			return nil
		}
		if slept+delay > p.c.ProcessingWait {
			return &kobo.BankError{Kind: kobo.BankUnavailable, Message: "Mono is still fetching this account's data", RetryAfter: time.Minute}
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return &kobo.BankError{Kind: kobo.BankUnavailable, Message: "Mono is still fetching this account's data", Err: ctx.Err()}
		case <-t.C:
		}
		slept += delay
		delay = min(delay*2, 2*time.Second)
	}
}

// txnRow is one of Mono's transactions (docs.mono.co/api/bank-data/transactions;
// v1 spelled the id _id).
type txnRow struct {
	ID        string          `json:"id"`
	OldID     string          `json:"_id"`
	Type      string          `json:"type"`
	Amount    json.RawMessage `json:"amount"`
	Balance   json.RawMessage `json:"balance"`
	Narration string          `json:"narration"`
	Date      string          `json:"date"`
	Currency  string          `json:"currency"`
}

// txnPage is one page: data[] and meta{total, page, previous, next}
// (v1 named the paging "paging").
type txnPage struct {
	Data   json.RawMessage `json:"data"`
	Meta   *pageMeta       `json:"meta"`
	Paging *pageMeta       `json:"paging"`
}

type pageMeta struct {
	Total int     `json:"total"`
	Page  int     `json:"page"`
	Next  *string `json:"next"`
}

// parseTxnPage reads one page: its rows, the next page number (0: none)
// and whether the answer was Mono's empty one for a PROCESSING account
// (data [] or null with meta null).
func parseTxnPage(body []byte, cur string) ([]kobo.BankTransaction, int, bool, error) {
	var pg txnPage
	if err := json.Unmarshal(body, &pg); err != nil {
		return nil, 0, false, invalid("transactions", err)
	}
	meta := cmp.Or(pg.Meta, pg.Paging)
	var rows []txnRow
	if d := bytes.TrimSpace(pg.Data); len(d) > 0 && string(d) != "null" {
		if err := json.Unmarshal(d, &rows); err != nil {
			return nil, 0, false, invalid("transactions", err)
		}
	}
	if meta == nil {
		return nil, 0, len(rows) == 0, nil
	}
	out := make([]kobo.BankTransaction, 0, len(rows))
	for i, r := range rows {
		t, err := r.txn(cur)
		if err != nil {
			return nil, 0, false, invalid(fmt.Sprintf("transaction %d", i), err)
		}
		out = append(out, t)
	}
	next := 0
	if meta.Next != nil && *meta.Next != "" {
		// the page number, never the URL: Mono's sample links omit
		// /accounts/, and kobo calls only its configured host
		u, err := url.Parse(*meta.Next)
		if err != nil {
			return nil, 0, false, invalid("transactions paging", err)
		}
		n, err := strconv.Atoi(u.Query().Get("page"))
		if err != nil || n < 1 {
			return nil, 0, false, invalid("transactions paging", errors.New("next link without a page"))
		}
		next = n
	}
	return out, next, false, nil
}

func (r txnRow) txn(cur string) (kobo.BankTransaction, error) {
	id := cmp.Or(r.ID, r.OldID)
	if id == "" || len(id) > 128 {
		return kobo.BankTransaction{}, errors.New("no id")
	}
	var typ kobo.TxnType
	switch strings.ToLower(r.Type) {
	case "debit":
		typ = kobo.Debit
	case "credit":
		typ = kobo.Credit
	default:
		return kobo.BankTransaction{}, errors.New("type is neither debit nor credit")
	}
	amt, err := minorUnits(r.Amount)
	if err != nil {
		return kobo.BankTransaction{}, err
	}
	if amt < 0 {
		amt = -amt // the direction is in type (every Mono sample's amount is positive)
	}
	var bal *int64
	if len(r.Balance) > 0 && string(r.Balance) != "null" {
		b, err := minorUnits(r.Balance)
		if err != nil {
			return kobo.BankTransaction{}, err
		}
		bal = &b
	}
	date, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(r.Date))
	if err != nil {
		return kobo.BankTransaction{}, fmt.Errorf("date: %w", err)
	}
	return kobo.BankTransaction{Ref: id, Date: date.UTC(), Type: typ, Amount: amt, Balance: bal, Narration: strings.TrimSpace(r.Narration),
		Currency: cmp.Or(currency(r.Currency), cur), ProviderID: true}, nil
}

// maxPages bounds one fetch, against a Mono whose next links never end.
const maxPages = 100_000

// Transactions implements kobo.Provider: every page of
// GET /v2/accounts/{id}/transactions (paginate, limit, page; start and
// end as DD-MM-YYYY), following meta.next. Mono answers newest first and
// kobo wants oldest first, so the pages are gathered, deduplicated by
// Mono's id and handed on oldest first in chunks.
func (p *Provider) Transactions(ctx context.Context, s kobo.BankSession, ref string, q kobo.TxnQuery, fn func([]kobo.BankTransaction) error) error {
	sk, err := secretKey(s.Credentials, nil)
	if err != nil {
		return err
	}
	if ref, err = p.refOf(s, ref); err != nil {
		return err
	}
	v := url.Values{}
	v.Set("paginate", "true")
	v.Set("limit", strconv.Itoa(p.c.PageSize))
	if !q.From.IsZero() {
		v.Set("start", q.From.In(lagos).Format("02-01-2006"))
	}
	if !q.To.IsZero() {
		v.Set("end", q.To.In(lagos).Format("02-01-2006"))
	}
	seen := map[string]struct{}{}
	var all []kobo.BankTransaction
	waited := false
	for page, n := 1, 0; page > 0; n++ {
		if n >= maxPages {
			return invalid("transactions paging", errors.New("too many pages"))
		}
		v.Set("page", strconv.Itoa(page))
		res, err := p.do(ctx, call{method: "GET", path: "/v2/accounts/" + url.PathEscape(ref) + "/transactions?" + v.Encode(), key: sk, retry: true, read: true})
		if err != nil {
			return err
		}
		rows, next, empty, err := parseTxnPage(res.body, "NGN")
		if err != nil {
			return err
		}
		if empty && page == 1 && !waited {
			if err := p.waitReady(ctx, sk, ref); err != nil {
				return err
			}
			waited = true
			continue
		}
		for _, t := range rows {
			if _, dup := seen[t.Ref]; dup {
				continue // a row that moved pages while kobo read them
			}
			seen[t.Ref] = struct{}{}
			all = append(all, t)
		}
		if next != 0 && next <= page {
			return invalid("transactions paging", errors.New("the next page goes backwards"))
		}
		page = next
	}
	slices.SortStableFunc(all, func(a, b kobo.BankTransaction) int { return a.Date.Compare(b.Date) })
	if !q.From.IsZero() || !q.To.IsZero() {
		// Mono filters by whole days; kobo asked for instants
		all = slices.DeleteFunc(all, func(t kobo.BankTransaction) bool {
			return (!q.From.IsZero() && t.Date.Before(q.From)) || (!q.To.IsZero() && t.Date.After(q.To))
		})
	}
	chunk := cmp.Or(q.PageSize, p.c.PageSize)
	for len(all) > 0 {
		n := min(chunk, len(all))
		if err := fn(all[:n]); err != nil {
			return err
		}
		all = all[n:]
	}
	return nil
}

// Identity implements kobo.Provider (GET /v2/accounts/{id}/identity,
// docs.mono.co/docs/financial-data/identity).
func (p *Provider) Identity(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankIdentity, error) {
	sk, err := secretKey(s.Credentials, nil)
	if err != nil {
		return kobo.BankIdentity{}, err
	}
	if ref, err = p.refOf(s, ref); err != nil {
		return kobo.BankIdentity{}, err
	}
	for waited := false; ; waited = true {
		res, err := p.do(ctx, call{method: "GET", path: "/v2/accounts/" + url.PathEscape(ref) + "/identity", key: sk, retry: true, read: true})
		if err != nil {
			return kobo.BankIdentity{}, err
		}
		id, ok, err := parseIdentity(res.body)
		if err != nil || ok || waited {
			return id, err
		}
		if err := p.waitReady(ctx, sk, ref); err != nil {
			return kobo.BankIdentity{}, err
		}
	}
}

func parseIdentity(body []byte) (kobo.BankIdentity, bool, error) {
	var env struct {
		Data *struct {
			FullName      string  `json:"full_name"`
			Email         string  `json:"email"`
			Phone         string  `json:"phone"`
			Gender        string  `json:"gender"`
			DOB           string  `json:"dob"`
			BVN           string  `json:"bvn"`
			MaritalStatus *string `json:"marital_status"`
			AddressLine1  string  `json:"address_line1"`
			AddressLine2  string  `json:"address_line2"`
			StateOfOrigin string  `json:"state_of_origin"`
			LGAOfOrigin   string  `json:"lga_of_origin"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return kobo.BankIdentity{}, false, invalid("identity", err)
	}
	d := env.Data
	if d == nil {
		return kobo.BankIdentity{}, false, nil
	}
	ms := ""
	if d.MaritalStatus != nil {
		ms = *d.MaritalStatus
	}
	return kobo.BankIdentity{FullName: d.FullName, Email: d.Email, Phone: d.Phone, Gender: d.Gender, DOB: isoDate(d.DOB), BVN: kobo.BVN(d.BVN),
		MaritalStatus: ms, AddressLine1: d.AddressLine1, AddressLine2: d.AddressLine2, StateOfOrigin: d.StateOfOrigin, LGAOfOrigin: d.LGAOfOrigin}, true, nil
}

// isoDate writes Mono's dates of birth as YYYY-MM-DD: v2 already does
// (1997-08-07), v1 wrote DD-MM-YYYY (docs.mono.co/docs/identity-1).
func isoDate(s string) string {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "02-01-2006", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02")
		}
	}
	return ""
}
