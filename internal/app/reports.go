package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/kobo-oss/kobo/internal/enrich"
	"github.com/kobo-oss/kobo/internal/jobs"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/statement"
)

// BuildStatement is the statement.build job: it renders the period's
// transactions into a PDF stored with the statement, and announces it.
func (s *Service) BuildStatement(ctx context.Context, j *kobo.Job) error {
	var args struct {
		StatementID string `json:"statement_id"`
	}
	if err := json.Unmarshal(j.Args, &args); err != nil {
		return jobs.Permanent(err)
	}
	var st *kobo.Statement
	var acct *kobo.Account
	var app *kobo.App
	var address string
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		if st, err = tx.Statement(ctx, args.StatementID, false); err != nil {
			return err
		}
		if acct, err = tx.Account(ctx, st.AccountID); err != nil {
			return err
		}
		if app, err = tx.App(ctx, acct.AppID); err != nil {
			return err
		}
		// the address, where the bank gave one, as a bank prints it
		if id, err := tx.Identity(ctx, acct.ID); err == nil {
			address = strings.TrimSpace(strings.Join(nonEmpty(id.AddressLine1, id.AddressLine2), ", "))
		} else if kobo.ErrorCode(err) != kobo.ENOTFOUND {
			return err
		}
		return nil
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil // unlinked meanwhile
	}
	if err != nil {
		return err
	}
	if in, err := s.Institution(ctx, acct.InstitutionID); err == nil {
		acct.Institution = *in
	}
	doc := statement.Document{Brand: cmpStr(app.DisplayName, app.Name), BrandColor: acct.Institution.PrimaryColor, GeneratedAt: s.clock.Now(),
		From: st.From, To: st.To, HolderName: acct.Name, Institution: acct.Institution.Name, BankCode: acct.Institution.BankCode,
		AccountNumber: string(acct.AccountNumber), AccountType: acct.Type, Currency: acct.Currency,
		StatementID: st.ID, VerifyURL: s.StatementVerifyURL(st.ID), HolderAddress: address, Sandbox: !st.Live}
	err = s.eachTxn(ctx, kobo.TxnFilter{AccountID: acct.ID, From: &st.From, To: &st.To, Ascending: true}, func(rows []kobo.Transaction) error {
		doc.Transactions = append(doc.Transactions, rows...)
		return nil
	})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	now := s.now()
	if err := statement.Render(&buf, doc); err != nil {
		st.Status, st.Error = "FAILED", err.Error()
	} else {
		st.Status, st.PDF = "BUILT", buf.Bytes()
	}
	st.BuiltAt = &now
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.UpdateStatement(ctx, st); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, app, acct, kobo.EventFacts{Type: kobo.EventStatementJobCompleted,
			Extra: map[string]any{"id": st.ID, "status": st.Status, "period": st.Period}})
	})
	if err == nil {
		s.notify()
	}
	return err
}

// IncomeFrom analyses an account's stored credits over months.
func (s *Service) incomeOf(ctx context.Context, a *kobo.Account, months int) (enrich.IncomeReport, error) {
	now := s.clock.Now()
	from := now.AddDate(0, -months, 0)
	var credits []kobo.Transaction
	err := s.eachTxn(ctx, kobo.TxnFilter{AccountID: a.ID, From: &from, Type: kobo.Credit}, func(rows []kobo.Transaction) error {
		credits = append(credits, rows...)
		return nil
	})
	if err != nil {
		return enrich.IncomeReport{}, err
	}
	return enrich.AnalyzeIncome(credits, now, months), nil
}

// Income is v1's synchronous income estimate over the last 12 months.
func (s *Service) Income(ctx context.Context, c *kobo.Caller, id string) (enrich.IncomeReport, error) {
	a, err := s.readyAccount(ctx, c, id)
	if err != nil {
		return enrich.IncomeReport{}, err
	}
	return s.incomeOf(ctx, a, 12)
}

// MaxIncomeMonths is the longest income analysis period.
const MaxIncomeMonths = 24

// ParseIncomePeriod reads v2 income's period: a whole number of months
// (https://docs.mono.co/docs/financial-data/income), 0 when absent. Mono
// takes a number, so "last6months" or "6.5" are refused rather than read
// loosely.
func ParseIncomePeriod(p string) (int, error) {
	if p == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || strings.TrimLeft(p, "0123456789") != "" || n < 1 || n > MaxIncomeMonths {
		return 0, &kobo.Error{Code: kobo.EINVALID, Message: fmt.Sprintf("period must be a whole number of months from 1 to %d", MaxIncomeMonths),
			Fields: map[string]string{"period": "is not a number of months from 1 to " + strconv.Itoa(MaxIncomeMonths)}}
	}
	return n, nil
}

// StartIncome is v2's asynchronous analysis: it queues an income.analyze
// job and returns its record and the account it analyses. Without a
// period Mono analyses all the history it holds: kobo holds the app's
// history_months (12 by default).
func (s *Service) StartIncome(ctx context.Context, c *kobo.Caller, id string, months int) (*kobo.IncomeRecord, *kobo.Account, error) {
	if months == 0 {
		months = 12
	}
	if months < 1 || months > MaxIncomeMonths {
		return nil, nil, &kobo.Error{Code: kobo.EINVALID, Message: fmt.Sprintf("period must be a whole number of months from 1 to %d", MaxIncomeMonths), Fields: map[string]string{"period": "is out of range"}}
	}
	a, err := s.readyAccount(ctx, c, id)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	// an account linked through an upstream that analyses income itself
	// (Mono) gets the upstream's report; the others kobo's own analysis
	provider := s.incomeProvider(ctx, a)
	attempts := 3
	if provider != "" {
		attempts = upstreamIncomeAttempts
	}
	r := &kobo.IncomeRecord{ID: kobo.NewID(now), AccountID: a.ID, AppID: a.AppID, Status: "PROCESSING", Months: months, CreatedAt: now, Provider: provider}
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.CreateIncomeRecord(ctx, r); err != nil {
			return err
		}
		args, _ := json.Marshal(map[string]string{"record_id": r.ID})
		_, err := tx.EnqueueJob(ctx, &kobo.Job{ID: kobo.NewID(now) + kobo.RandomToken(6), Kind: JobAnalyzeIncome, Args: args, AccountID: a.ID,
			MaxAttempts: attempts, RunAt: now, CreatedAt: now, UpdatedAt: now})
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	s.notify()
	return r, a, nil
}

// IncomeResult is how results were stored before kobo sent Mono's shape
// (MonoIncome); StoredIncome still reads it.
type IncomeResult struct {
	Summary IncomeSummary  `json:"income_summary"`
	Streams []IncomeStream `json:"income_streams"`
}

// IncomeSummary is the headline of an analysis.
type IncomeSummary struct {
	Type                              string  `json:"type"`
	Employer                          string  `json:"employer"`
	Amount                            int64   `json:"amount"`
	Confidence                        float64 `json:"confidence"`
	AverageIncome                     int64   `json:"average_income"`
	MonthlyIncome                     int64   `json:"monthly_income"`
	YearlyIncome                      int64   `json:"yearly_income"`
	IncomeSources                     int     `json:"income_sources"`
	MonthsAnalysed                    int     `json:"months_analysed"`
	AggregatedMonthlyAverage          int64   `json:"aggregated_monthly_average"`
	AggregatedMonthlyAverageRegular   int64   `json:"aggregated_monthly_average_regular"`
	AggregatedMonthlyAverageIrregular int64   `json:"aggregated_monthly_average_irregular"`
}

// IncomeStream is one source of income in a result.
type IncomeStream struct {
	Payer         string  `json:"payer"`
	Regular       bool    `json:"regular"`
	MonthlyAmount int64   `json:"monthly_amount"`
	Payments      int     `json:"payments"`
	FirstPayment  string  `json:"first_payment"`
	LastPayment   string  `json:"last_payment"`
	Confidence    float64 `json:"confidence"`
}

// AnalyzeIncomeJob is the income.analyze job.
func (s *Service) AnalyzeIncomeJob(ctx context.Context, j *kobo.Job) error {
	var args struct {
		RecordID string `json:"record_id"`
	}
	if err := json.Unmarshal(j.Args, &args); err != nil {
		return jobs.Permanent(err)
	}
	var rec *kobo.IncomeRecord
	var acct *kobo.Account
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		if rec, err = tx.IncomeRecord(ctx, args.RecordID); err != nil {
			return err
		}
		acct, err = tx.Account(ctx, rec.AccountID)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if rec.Status != "PROCESSING" {
		return nil // the upstream's webhook completed it, or it failed
	}
	if rec.Provider != "" {
		err := s.upstreamIncomeJob(ctx, j, rec)
		if err == nil {
			s.notify()
		}
		return err
	}
	report, err := s.incomeOf(ctx, acct, rec.Months)
	if err != nil {
		if j.Attempt >= j.MaxAttempts {
			if ferr := s.failIncome(ctx, rec.ID, "kobo could not analyse the income: "+kobo.ErrorMessage(err)); ferr != nil {
				return ferr
			}
			s.notify()
		}
		return err
	}
	res := NewMonoIncome(acct.ID, rec.Months, report)
	err = s.store.Update(ctx, func(tx kobo.Tx) error { return s.completeIncomeTx(ctx, tx, rec.ID, acct, res) })
	if err == nil {
		s.notify()
	}
	return err
}

// IncomeRecords lists an account's analyses.
func (s *Service) IncomeRecords(ctx context.Context, c *kobo.Caller, id string) ([]*kobo.IncomeRecord, error) {
	a, err := s.ownedAccount(ctx, c, id)
	if err != nil {
		return nil, err
	}
	var out []*kobo.IncomeRecord
	err = s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		out, err = tx.IncomeRecords(ctx, a.ID)
		return err
	})
	return out, err
}

// SyncPage is a page of changes since a cursor (Plaid's /transactions/sync).
type SyncPage struct {
	Added, Modified []kobo.Transaction
	Removed         []string
	NextCursor      string
	HasMore         bool
}

// TransactionsSince returns what changed in an account's history after
// cursor: partners keep a copy in step without downloading it again.
func (s *Service) TransactionsSince(ctx context.Context, c *kobo.Caller, id, cursor string, count int) (*SyncPage, error) {
	a, err := s.readyAccount(ctx, c, id)
	if err != nil {
		return nil, err
	}
	switch {
	case count == 0:
		count = 100
	case count < 1 || count > 500:
		return nil, &kobo.Error{Code: kobo.EINVALID, Message: "count must be between 1 and 500", Fields: map[string]string{"count": "is out of range"}}
	}
	var after int64
	if cursor != "" {
		var id string
		var seq int64
		b, err := decodeB64(cursor)
		if _, scanErr := fmt.Sscanf(b, "sync|%d|%s", &seq, &id); err != nil || scanErr != nil || id != a.ID || seq < 0 {
			return nil, &kobo.Error{Code: kobo.EINVALID, Message: "cursor is not one kobo issued for this account (start with an empty cursor)", Fields: map[string]string{"cursor": "is invalid"}}
		}
		after = seq
	}
	var rows []kobo.Transaction
	err = s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		rows, err = tx.TransactionChanges(ctx, a.ID, after, count+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	page := &SyncPage{Added: []kobo.Transaction{}, Modified: []kobo.Transaction{}, Removed: []string{}}
	if len(rows) > count {
		rows, page.HasMore = rows[:count], true
	}
	last := after
	for _, r := range rows {
		switch {
		case r.Removed:
			if r.CreatedSeq <= after { // added and removed since the cursor: never seen
				page.Removed = append(page.Removed, r.ID)
			}
		case r.CreatedSeq > after:
			page.Added = append(page.Added, r)
		default:
			page.Modified = append(page.Modified, r)
		}
		last = r.Seq
	}
	page.NextCursor = encodeB64(fmt.Sprintf("sync|%d|%s", last, a.ID))
	return page, nil
}

func encodeB64(s string) string { return base64URL.EncodeToString([]byte(s)) }

func decodeB64(s string) (string, error) {
	b, err := base64URL.DecodeString(s)
	return string(b), err
}

var base64URL = base64.RawURLEncoding

func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, x := range ss {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
