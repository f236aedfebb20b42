package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Lagos is Africa/Lagos (WAT, UTC+1, no daylight saving): the calendar
// partners' DD-MM-YYYY dates and statement periods are read in.
var Lagos = time.FixedZone("WAT", 3600)

// Paging limits.
const (
	DefaultPageSize = 20   // Mono's apparent default (clients compute pages as total/20)
	MaxPageSize     = 1000 // larger pages: use paginate=false, which streams
)

// TxnQuery is a parsed transactions request.
type TxnQuery struct {
	Start, End *time.Time
	Narration  string
	Type       kobo.TxnType
	Paginate   bool
	Limit      int
	Page       int
	Cursor     string
}

// ParseDate reads Mono's DD-MM-YYYY in Lagos time.
func ParseDate(s string) (time.Time, error) {
	t, err := time.ParseInLocation("02-01-2006", strings.TrimSpace(s), Lagos)
	if err != nil {
		return time.Time{}, fmt.Errorf("must be a date like 31-01-2026 (DD-MM-YYYY)")
	}
	return t, nil
}

// ParseTxnQuery reads and checks the query of a transactions request.
func ParseTxnQuery(q url.Values) (TxnQuery, error) {
	v := kobo.Invalid{}
	out := TxnQuery{Paginate: true, Limit: DefaultPageSize, Page: 1}
	if s := q.Get("start"); s != "" {
		t, err := ParseDate(s)
		if err != nil {
			v.Add("start", err.Error())
		} else {
			out.Start = &t
		}
	}
	if s := q.Get("end"); s != "" {
		t, err := ParseDate(s)
		if err != nil {
			v.Add("end", err.Error())
		} else {
			end := t.Add(24*time.Hour - time.Microsecond) // the whole end day
			out.End = &end
		}
	}
	if out.Start != nil && out.End != nil && out.Start.After(*out.End) {
		v.Add("start", "must not be after end")
	}
	if n := q.Get("narration"); n != "" {
		if len(n) > 200 {
			v.Add("narration", "must be at most 200 characters")
		}
		out.Narration = n
	}
	switch t := strings.ToLower(q.Get("type")); t {
	case "":
	case "debit", "credit":
		out.Type = kobo.TxnType(t)
	default:
		v.Add("type", `must be "debit" or "credit"`)
	}
	if p := q.Get("paginate"); p != "" {
		b, err := strconv.ParseBool(p)
		if err != nil {
			v.Add("paginate", "must be true or false")
		}
		out.Paginate = err != nil || b
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		switch {
		case err != nil:
			v.Add("limit", "must be a whole number")
		case n < 1 || n > MaxPageSize:
			v.Add("limit", fmt.Sprintf("must be between 1 and %d (use paginate=false for everything)", MaxPageSize))
		default:
			out.Limit = n
		}
	}
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 10_000_000 {
			v.Add("page", "must be a whole number from 1")
		} else {
			out.Page = n
		}
	}
	out.Cursor = q.Get("cursor")
	return out, v.Err()
}

func (q TxnQuery) filter(accountID string) kobo.TxnFilter {
	return kobo.TxnFilter{AccountID: accountID, From: q.Start, To: q.End, Type: q.Type, Narration: q.Narration}
}

// pageCursor is the keyset position a next/previous link carries, so deep
// pages cost the same as the first: "n|p", the page it leads to, the
// account, and the (date, id) key of the edge row.
type pageCursor struct {
	dir     byte // 'n' next (older rows), 'p' previous (newer rows)
	page    int
	account string
	key     kobo.TxnKey
}

func (c pageCursor) encode() string {
	s := fmt.Sprintf("%c|%d|%s|%d|%s", c.dir, c.page, c.account, c.key.Date.UnixMicro(), c.key.ID)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodePageCursor(s, account string) (pageCursor, error) {
	bad := &kobo.Error{Code: kobo.EINVALID, Message: "cursor is not one kobo issued for this account (follow paging.next / meta.next as given)", Fields: map[string]string{"cursor": "is invalid"}}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return pageCursor{}, bad
	}
	parts := strings.SplitN(string(b), "|", 5)
	if len(parts) != 5 || len(parts[0]) != 1 || (parts[0] != "n" && parts[0] != "p") || parts[2] != account {
		return pageCursor{}, bad
	}
	page, err1 := strconv.Atoi(parts[1])
	us, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || page < 1 || parts[4] == "" {
		return pageCursor{}, bad
	}
	return pageCursor{dir: parts[0][0], page: page, account: account, key: kobo.TxnKey{Date: time.UnixMicro(us).UTC(), ID: parts[4]}}, nil
}

// TxnPage is one page of transactions.
type TxnPage struct {
	Transactions []kobo.Transaction
	Total        int
	Page         int
	Limit        int
	Next, Prev   string // cursors; "" at the ends
}

// readyAccount loads an account whose data can be read. While the first
// fetch runs, Mono asks callers to wait for account_updated; kobo answers
// the same way, with a message saying so, rather than partial data.
func (s *Service) readyAccount(ctx context.Context, c *kobo.Caller, id string) (*kobo.Account, error) {
	a, err := s.ownedAccount(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if a.DataStatus == kobo.DataProcessing {
		return nil, errProcessing()
	}
	return a, nil
}

func errProcessing() error {
	return kobo.Errorf(kobo.EPROCESSING, "This account's data is still being processed; try again when mono.events.account_updated reports it (usually within seconds).")
}

// readyAccountState is readyAccount for the transactions hot path: the
// same checks on the few columns they need, without the account's other
// twenty or its institution.
func (s *Service) readyAccountState(ctx context.Context, c *kobo.Caller, id string) (*kobo.AccountState, error) {
	if id == "" {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "account not found")
	}
	var a *kobo.AccountState
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		a, err = tx.AccountState(ctx, id)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "account not found")
	}
	if err != nil {
		return nil, err
	}
	if a.AppID != c.App.ID || a.Live != c.Mode.IsLive() {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "account not found")
	}
	if a.DataStatus == kobo.DataProcessing {
		return nil, errProcessing()
	}
	return a, nil
}

// Transactions returns a page of an account's transactions, newest first.
// Pages are cached by the history's version (see pageCache); the page
// returned is shared and must not be modified.
func (s *Service) Transactions(ctx context.Context, c *kobo.Caller, id string, q TxnQuery) (*TxnPage, error) {
	a, err := s.readyAccountState(ctx, c, id)
	if err != nil {
		return nil, err
	}
	key := pageKey(a.ID, a.TxnSeq, q)
	if p, ok := s.pages.get(key); ok {
		return p, nil
	}
	f := q.filter(a.ID)
	f.Limit = q.Limit + 1 // one more tells whether there is a next page
	page := q.Page
	if q.Cursor != "" {
		cur, err := decodePageCursor(q.Cursor, a.ID)
		if err != nil {
			return nil, err
		}
		page = cur.page
		if cur.dir == 'n' {
			f.After = &cur.key
		} else {
			f.Before = &cur.key
			f.Limit = q.Limit
		}
	} else {
		f.Offset = (page - 1) * q.Limit
	}
	out := &TxnPage{Page: page, Limit: q.Limit}
	err = s.store.View(ctx, func(tx kobo.Tx) error {
		rows, err := tx.ListTransactions(ctx, f)
		if err != nil {
			return err
		}
		switch cf := q.filter(a.ID); {
		case cf.Unfiltered():
			out.Total = a.TxnCount // kept with the rows, read with the account
		case f.After == nil && f.Before == nil && len(rows) <= q.Limit && (len(rows) > 0 || f.Offset == 0):
			// the last page by offset, or the only one: what it holds and
			// what came before it is the total, without a second scan (a
			// search for a rare word reads the whole history once, not twice)
			out.Total = f.Offset + len(rows)
		default:
			if out.Total, err = tx.CountFiltered(ctx, cf); err != nil {
				return err
			}
		}
		hasNext := f.Before != nil // coming back from a later page, there is one
		if len(rows) > q.Limit {
			rows, hasNext = rows[:q.Limit], true
		}
		out.Transactions = rows
		if len(rows) > 0 {
			if hasNext {
				last := rows[len(rows)-1]
				out.Next = pageCursor{dir: 'n', page: page + 1, account: a.ID, key: kobo.TxnKey{Date: last.Date, ID: last.ID}}.encode()
			}
			if page > 1 {
				first := rows[0]
				out.Prev = pageCursor{dir: 'p', page: page - 1, account: a.ID, key: kobo.TxnKey{Date: first.Date, ID: first.ID}}.encode()
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// A page past the end is an empty page with the total, not an error:
	// clients that walk pages by number until the data runs out stop there.
	s.pages.put(a.ID, a.TxnSeq, key, out)
	return out, nil
}

// EachTransaction streams every transaction matching q (paginate=false),
// newest first, in keyset chunks: memory stays flat however long the
// history is.
func (s *Service) EachTransaction(ctx context.Context, c *kobo.Caller, id string, q TxnQuery, fn func([]kobo.Transaction) error) (*kobo.Account, error) {
	a, err := s.readyAccount(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return a, s.eachTxn(ctx, q.filter(a.ID), fn)
}

// ClosingBalances is the account's closing balance per 24-hour day from
// from to to (see kobo.DayBalance), for a balance chart: the store sums it
// up, so a long history costs a day's row each, not every row.
func (s *Service) ClosingBalances(ctx context.Context, c *kobo.Caller, id string, from, to time.Time) ([]kobo.DayBalance, error) {
	a, err := s.readyAccount(ctx, c, id)
	if err != nil {
		return nil, err
	}
	var out []kobo.DayBalance
	err = s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		out, err = tx.ClosingBalances(ctx, a.ID, from, to)
		return err
	})
	return out, err
}

func (s *Service) eachTxn(ctx context.Context, f kobo.TxnFilter, fn func([]kobo.Transaction) error) error {
	f.Limit = 2000
	for {
		var rows []kobo.Transaction
		if err := s.store.View(ctx, func(tx kobo.Tx) error {
			var err error
			rows, err = tx.ListTransactions(ctx, f)
			return err
		}); err != nil {
			return err
		}
		if len(rows) > 0 {
			if err := fn(rows); err != nil {
				return err
			}
		}
		if len(rows) < f.Limit {
			return nil
		}
		last := rows[len(rows)-1]
		f.After = &kobo.TxnKey{Date: last.Date, ID: last.ID}
	}
}

// Balance returns an account with its balance (GET /v2/accounts/{id}/balance).
func (s *Service) Balance(ctx context.Context, c *kobo.Caller, id string) (*kobo.Account, error) {
	return s.readyAccount(ctx, c, id)
}

// Identity returns the account holder's identity.
func (s *Service) Identity(ctx context.Context, c *kobo.Caller, id string) (*kobo.Identity, error) {
	a, err := s.readyAccount(ctx, c, id)
	if err != nil {
		return nil, err
	}
	var idt *kobo.Identity
	err = s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		idt, err = tx.Identity(ctx, a.ID)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "identity is not available for this account: %s does not share it", a.Institution.Name)
	}
	return idt, err
}

// MonthlyTotals returns credits and debits per month over the last 12
// months (GET /accounts/{id}/credits and /debits).
func (s *Service) MonthlyTotals(ctx context.Context, c *kobo.Caller, id string) ([]kobo.MonthTotal, error) {
	a, err := s.readyAccount(ctx, c, id)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var out []kobo.MonthTotal
	err = s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		out, err = tx.MonthlyTotals(ctx, a.ID, now.AddDate(-1, 0, 0), now)
		return err
	})
	return out, err
}

// Period is a statement period: lastNmonths.
type Period struct {
	Name     string
	Months   int
	From, To time.Time
}

// ParsePeriod reads last1months … last12months.
func (s *Service) ParsePeriod(p string) (Period, error) {
	bad := &kobo.Error{Code: kobo.EINVALID, Message: "period must be last1months to last12months (e.g. last6months)", Fields: map[string]string{"period": "is not last1months..last12months"}}
	if p == "" {
		return Period{}, &kobo.Error{Code: kobo.EINVALID, Message: "period is required (last1months to last12months)", Fields: map[string]string{"period": "is required"}}
	}
	n, ok := strings.CutPrefix(strings.ToLower(p), "last")
	n, ok2 := strings.CutSuffix(n, "months")
	if !ok || !ok2 {
		n, ok2 = strings.CutSuffix(n, "month")
	}
	m, err := strconv.Atoi(n)
	if !ok || !ok2 || err != nil || m < 1 || m > 12 {
		return Period{}, bad
	}
	to := s.clock.Now().UTC()
	return Period{Name: "last" + strconv.Itoa(m) + "months", Months: m, From: to.In(Lagos).AddDate(0, -m, 0).UTC(), To: to}, nil
}

// StatementJSON is a JSON statement.
type StatementJSON struct {
	Transactions    []kobo.Transaction // newest first
	RequestedDays   int
	AvailableDays   int
	Period          Period
	AccountOpenedAt *time.Time
}

// Statement returns the transactions of a period (output=json).
func (s *Service) Statement(ctx context.Context, c *kobo.Caller, id string, p Period) (*StatementJSON, error) {
	a, err := s.readyAccount(ctx, c, id)
	if err != nil {
		return nil, err
	}
	out := &StatementJSON{Period: p, RequestedDays: int(p.To.Sub(p.From).Hours()/24 + 0.5)}
	f := kobo.TxnFilter{AccountID: a.ID, From: &p.From, To: &p.To}
	err = s.eachTxn(ctx, f, func(rows []kobo.Transaction) error {
		out.Transactions = append(out.Transactions, rows...)
		return nil
	})
	if n := len(out.Transactions); n > 0 {
		out.AvailableDays = int(p.To.Sub(out.Transactions[n-1].Date).Hours()/24 + 0.5)
	}
	return out, err
}

// Statement PDF jobs.
const (
	JobBuildStatement = "statement.build"
	JobAnalyzeIncome  = "income.analyze"
	// StatementLinkTTL is how long a statement's signed download link lasts.
	StatementLinkTTL = time.Hour
)

// StartStatementPDF queues a PDF build (output=pdf).
func (s *Service) StartStatementPDF(ctx context.Context, c *kobo.Caller, id string, p Period) (*kobo.Statement, error) {
	a, err := s.readyAccount(ctx, c, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	st := &kobo.Statement{ID: kobo.RandomMixedToken(20), AccountID: a.ID, AppID: a.AppID, Live: a.Live, Status: "BUILDING", Period: p.Name,
		From: p.From.Truncate(time.Microsecond), To: p.To.Truncate(time.Microsecond), CreatedAt: now}
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.CreateStatement(ctx, st); err != nil {
			return err
		}
		args, _ := json.Marshal(map[string]string{"statement_id": st.ID})
		_, err := tx.EnqueueJob(ctx, &kobo.Job{ID: kobo.NewID(now) + kobo.RandomToken(6), Kind: JobBuildStatement, Args: args, AccountID: a.ID,
			MaxAttempts: 3, RunAt: now, CreatedAt: now, UpdatedAt: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.notify()
	return st, nil
}

// StatementJob returns a statement build of an account.
func (s *Service) StatementJob(ctx context.Context, c *kobo.Caller, accountID, jobID string) (*kobo.Statement, error) {
	a, err := s.ownedAccount(ctx, c, accountID)
	if err != nil {
		return nil, err
	}
	var st *kobo.Statement
	err = s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		st, err = tx.Statement(ctx, jobID, false)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND || (err == nil && st.AccountID != a.ID) {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "statement job not found")
	}
	return st, err
}

// StatementURL signs a download link; no API key is needed to follow it
// until it expires, as with Mono's statement paths.
func (s *Service) StatementURL(base, id string) string {
	exp := s.clock.Now().Add(StatementLinkTTL).Unix()
	return base + "/statements/" + id + ".pdf?expires=" + strconv.FormatInt(exp, 10) + "&signature=" + s.signStatement(id, exp)
}

func (s *Service) signStatement(id string, exp int64) string {
	m := hmac.New(sha256.New, s.urlKey)
	fmt.Fprintf(m, "%s|%d", id, exp)
	return hex.EncodeToString(m.Sum(nil)[:20])
}

// StatementPDF returns a built statement for a signed link.
func (s *Service) StatementPDF(ctx context.Context, id, expires, signature string) (*kobo.Statement, error) {
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil || !hmac.Equal([]byte(signature), []byte(s.signStatement(id, exp))) {
		return nil, kobo.Errorf(kobo.EFORBIDDEN, "this statement link is not valid")
	}
	if s.clock.Now().Unix() > exp {
		return nil, kobo.Errorf(kobo.EGONE, "this statement link has expired; poll the statement job again for a fresh one")
	}
	var st *kobo.Statement
	err = s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		st, err = tx.Statement(ctx, id, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	if st.Status != "BUILT" {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "this statement is not built")
	}
	return st, nil
}
