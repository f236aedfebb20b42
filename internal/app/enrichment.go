package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/enrich"
	"github.com/kobo-oss/kobo/internal/jobs"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// Mono's enrichment products and credit-worthiness, computed from the
// account's stored transactions by a job (enrichment.run), announced by
// webhook, kept as records. Nothing here is a canned answer: each result
// is what internal/enrich makes of this account's data.

// JobEnrich runs one enrichment.
const JobEnrich = "enrichment.run"

// Enrichment job statuses (Mono's jobStatus).
const (
	EnrichProcessing = "processing"
	EnrichFinished   = "finished"
	EnrichFailed     = "failed"
)

// enrichArgs is what an enrichment job was asked.
type enrichArgs struct {
	Version int            `json:"version"` // 1 or 2: which API started it, which decides the webhook's shape
	Months  int            `json:"months,omitempty"`
	Credit  *CreditRequest `json:"credit,omitempty"`
}

// CreditRequest is POST /v2/accounts/{id}/creditworthiness
// (docs.mono.co/docs/financial-data/credit-worthiness).
type CreditRequest struct {
	BVN            string         `json:"bvn"`
	Principal      int64          `json:"principal"`     // kobo
	InterestRate   float64        `json:"interest_rate"` // percent a month (the page's formula uses a monthly rate)
	Term           int            `json:"term"`          // months
	RunCreditCheck *bool          `json:"run_credit_check"`
	ExistingLoans  []ExistingLoan `json:"existing_loans,omitempty"`
}

// ExistingLoan is the partner's own record of a loan the customer has.
type ExistingLoan struct {
	Tenor             int                 `json:"tenor"` // months
	DateOpened        string              `json:"date_opened"`
	ClosedDate        string              `json:"closed_date"`
	Institution       string              `json:"institution"`
	Currency          string              `json:"currency"`
	RepaymentAmount   int64               `json:"repayment_amount"` // kobo a month
	OpeningBalance    int64               `json:"opening_balance"`
	RepaymentSchedule []map[string]string `json:"repayment_schedule"` // [{"MM-YYYY": "paid" | "failed"}]
}

// Validate names every wrong field.
func (r *CreditRequest) Validate() error {
	v := kobo.Invalid{}
	if len(r.BVN) != 11 || strings.Trim(r.BVN, "0123456789") != "" {
		v.Add("bvn", "is required: 11 digits")
	}
	if r.Principal <= 0 {
		v.Add("principal", "is required: a positive amount in kobo")
	}
	if r.InterestRate < 0 || r.InterestRate > 100 {
		v.Add("interest_rate", "is required: a percentage from 0 to 100")
	}
	if r.Term < 1 || r.Term > 120 {
		v.Add("term", "is required: a number of months from 1 to 120")
	}
	if r.RunCreditCheck == nil {
		v.Add("run_credit_check", "is required: true or false")
	}
	for i, l := range r.ExistingLoans {
		p := fmt.Sprintf("existing_loans[%d]", i)
		if l.Tenor < 1 {
			v.Add(p+".tenor", "must be a number of months from 1")
		}
		if l.RepaymentAmount < 0 {
			v.Add(p+".repayment_amount", "must not be negative")
		}
		if l.OpeningBalance < 0 {
			v.Add(p+".opening_balance", "must not be negative")
		}
		for _, d := range []struct{ name, val string }{{"date_opened", l.DateOpened}, {"closed_date", l.ClosedDate}} {
			if d.val == "" {
				continue
			}
			if _, err := time.Parse("2006-01-02", d.val); err != nil {
				v.Add(p+"."+d.name, "must be a date, YYYY-MM-DD")
			}
		}
		for j, m := range l.RepaymentSchedule {
			for k, st := range m {
				if _, err := time.Parse("01-2006", k); err != nil || (st != "paid" && st != "failed") {
					v.Add(fmt.Sprintf("%s.repayment_schedule[%d]", p, j), `must map "MM-YYYY" to "paid" or "failed"`)
				}
			}
		}
	}
	return v.Err()
}

// StartEnrichment queues an enrichment of an account the caller owns and
// whose data is ready.
func (s *Service) StartEnrichment(ctx context.Context, c *kobo.Caller, accountID, kind string, version, months int, credit *CreditRequest) (*kobo.Enrichment, *kobo.Account, error) {
	if credit != nil {
		if err := credit.Validate(); err != nil {
			return nil, nil, err
		}
	}
	a, err := s.readyAccount(ctx, c, accountID)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	args, _ := json.Marshal(enrichArgs{Version: version, Months: months, Credit: credit})
	e := &kobo.Enrichment{ID: kobo.NewID(now), AccountID: a.ID, AppID: a.AppID, Kind: kind, Status: EnrichProcessing, Args: args, CreatedAt: now}
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.CreateEnrichment(ctx, e); err != nil {
			return err
		}
		jargs, _ := json.Marshal(map[string]string{"enrichment_id": e.ID})
		_, err := tx.EnqueueJob(ctx, &kobo.Job{ID: kobo.NewID(now) + kobo.RandomToken(6), Kind: JobEnrich, Args: jargs, AccountID: a.ID,
			MaxAttempts: 3, RunAt: now, CreatedAt: now, UpdatedAt: now})
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	s.notify()
	return e, a, nil
}

// EnrichmentRecord returns one enrichment of the caller's (Mono's
// /v2/enrichments/record/{jobId}).
func (s *Service) EnrichmentRecord(ctx context.Context, c *kobo.Caller, id string) (*kobo.Enrichment, error) {
	var e *kobo.Enrichment
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		e, err = tx.Enrichment(ctx, id)
		return err
	})
	if err != nil {
		if kobo.ErrorCode(err) == kobo.ENOTFOUND {
			return nil, kobo.Errorf(kobo.ENOTFOUND, "enrichment job not found")
		}
		return nil, err
	}
	if _, err := s.ownedAccount(ctx, c, e.AccountID); err != nil {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "enrichment job not found")
	}
	return e, nil
}

// EnrichmentRecords lists an account's enrichments of a kind, newest first.
func (s *Service) EnrichmentRecords(ctx context.Context, c *kobo.Caller, accountID, kind string) ([]*kobo.Enrichment, error) {
	a, err := s.ownedAccount(ctx, c, accountID)
	if err != nil {
		return nil, err
	}
	var out []*kobo.Enrichment
	err = s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		out, err = tx.Enrichments(ctx, a.ID, kind)
		return err
	})
	return out, err
}

// CreditResult is what a credit-worthiness job stores: Mono's webhook
// fields and kobo's working (the DSCR and its parts).
type CreditResult struct {
	MonthsAssessed struct {
		Start string `json:"start"`
		End   string `json:"end"`
	} `json:"months_assessed"`
	Summary struct {
		CanAfford      bool  `json:"can_afford"`
		MonthlyPayment int64 `json:"monthly_payment"`
	} `json:"summary"`
	Debt struct {
		CreditCheck       bool              `json:"credit_check"`
		TotalDebt         int64             `json:"total_debt"`
		DebtByInstitution []InstitutionDebt `json:"debt_by_institution"`
	} `json:"debt"`
	Working struct {
		MonthlyIncome       int64   `json:"monthly_income"`
		MonthlySpending     int64   `json:"monthly_spending"`
		ExistingRepayments  int64   `json:"existing_repayments"`
		NetDisposableIncome int64   `json:"net_disposable_income"`
		DebtService         int64   `json:"debt_service"`
		DSCR                float64 `json:"dscr"`
		Risk                string  `json:"risk"`
	} `json:"working"`
	Message string `json:"message,omitempty"` // set when the account could not be assessed
}

// InstitutionDebt is what the customer owes one lender.
type InstitutionDebt struct {
	Institution string `json:"institution"`
	AmountOwed  int64  `json:"amount_owed"`
}

// creditMinTransactions is the least history an assessment reads:
// Mono answers "Unable to process account credit worthiness" below some
// amount of data it does not state.
const creditMinTransactions = 10

// RunEnrichment is the enrichment.run job.
func (s *Service) RunEnrichment(ctx context.Context, j *kobo.Job) error {
	var jargs struct {
		ID string `json:"enrichment_id"`
	}
	if err := json.Unmarshal(j.Args, &jargs); err != nil {
		return jobs.Permanent(err)
	}
	var e *kobo.Enrichment
	var acct *kobo.Account
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		if e, err = tx.Enrichment(ctx, jargs.ID); err != nil {
			return err
		}
		acct, err = tx.Account(ctx, e.AccountID)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil // unlinked meanwhile
	}
	if err != nil {
		return err
	}
	var args enrichArgs
	if err := json.Unmarshal(e.Args, &args); err != nil {
		return jobs.Permanent(err)
	}
	now := s.clock.Now()
	f := kobo.TxnFilter{AccountID: acct.ID, Ascending: true}
	if args.Months > 0 {
		from := now.AddDate(0, -args.Months, 0)
		f.From = &from
	}
	if e.Kind == kobo.EnrichCreditworthy {
		from := now.AddDate(0, -12, 0)
		f.From = &from
	}
	var txns []kobo.Transaction
	if err := s.eachTxn(ctx, f, func(rows []kobo.Transaction) error { txns = append(txns, rows...); return nil }); err != nil {
		return err
	}
	var result any
	var event string
	extra := map[string]any{}
	categories := map[string]string{}
	switch e.Kind {
	case kobo.EnrichInsights:
		report := enrich.StatementInsights(acct.ID, txns)
		result, event = report, kobo.EventStatementInsights
		if args.Version == 1 {
			// v1's webhook carried the report (docs.mono.co/docs/financial-data/enrichment/statement-insights, 2024-06)
			b, _ := json.Marshal(report)
			_ = json.Unmarshal(b, &extra)
		} else {
			// since 2025-01 only the account and a message; the report is a record
			extra["message"] = "Statement insights for this account are ready; fetch them with GET /v2/enrichments/record/" + e.ID
			extra["jobId"] = e.ID
		}
	case kobo.EnrichCategorisation:
		counts := map[string]int{}
		for _, t := range txns {
			c := enrich.Categorize(t.Narration, t.Type, t.Amount)
			counts[c]++
			if c != t.Category {
				categories[t.ID] = c
			}
		}
		result, event = map[string]any{"transactions": len(txns), "categories": counts}, kobo.EventTxnCategorisation
		extra["status"], extra["message"] = "available", "Transactions of this account are categorised"
		extra["jobId"] = e.ID
	case kobo.EnrichMetadata:
		list := make([]map[string]any, 0, len(txns))
		for _, t := range txns {
			list = append(list, map[string]any{"id": t.ID, "narration": t.Narration, "type": t.Type, "amount": t.Amount, "date": t.Date.UTC().Format("2006-01-02T15:04:05.000Z"),
				"metadata": enrich.TransactionMetadata(t)})
		}
		result, event = list, kobo.EventTxnMetadata
		// docs.mono.co/docs/financial-data/enrichment/transaction-metadata: {account, status, message, action}
		extra["status"], extra["message"], extra["action"] = "available", "Transaction metadata for this account is ready", "transaction_metadata"
		extra["jobId"] = e.ID
	case kobo.EnrichCreditworthy:
		r := s.assessCredit(txns, args.Credit, now)
		result, event = r, kobo.EventAccountCreditWorthy
		if r.Message != "" {
			extra["message"] = r.Message
		} else {
			extra["months_assessed"], extra["summary"], extra["debt"] = r.MonthsAssessed, r.Summary, r.Debt
		}
	default:
		return jobs.Permanent(fmt.Errorf("unknown enrichment kind %q", e.Kind))
	}
	e.Result, _ = json.Marshal(result)
	done := s.now()
	e.Status, e.DoneAt = EnrichFinished, &done
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		if len(categories) > 0 {
			if _, err := tx.SetTransactionCategories(ctx, acct.ID, categories); err != nil {
				return err
			}
		}
		if err := tx.UpdateEnrichment(ctx, e); err != nil {
			return err
		}
		app, err := tx.App(ctx, acct.AppID)
		if err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, app, acct, kobo.EventFacts{Type: event, Extra: extra})
	})
	if err == nil {
		s.notify()
	}
	return err
}

// assessCredit decides affordability from a year of the account's
// transactions and the partner's record of existing loans.
func (s *Service) assessCredit(txns []kobo.Transaction, req *CreditRequest, now time.Time) CreditResult {
	var r CreditResult
	r.Debt.DebtByInstitution = []InstitutionDebt{}
	if req == nil || len(txns) < creditMinTransactions {
		r.Message = "Unable to process account credit worthiness"
		return r
	}
	first, last := txns[0].Date, txns[len(txns)-1].Date
	months := max(1, int(last.Sub(first).Hours()/24/30.44+0.5))
	r.MonthsAssessed.Start, r.MonthsAssessed.End = first.UTC().Format("2006-01-02"), last.UTC().Format("2006-01-02")
	var credits []kobo.Transaction
	var debits int64
	for _, t := range txns {
		if t.Type == kobo.Credit {
			credits = append(credits, t)
		} else {
			debits += t.Amount
		}
	}
	income := enrich.AnalyzeIncome(credits, now, months)
	monthlyIncome := income.AggregatedMonthlyAverage
	if monthlyIncome == 0 {
		monthlyIncome = income.MonthlyIncome
	}
	var existing int64
	for _, l := range req.ExistingLoans {
		closed, _ := time.Parse("2006-01-02", l.ClosedDate)
		if l.ClosedDate != "" && closed.Before(now) {
			continue
		}
		paid := 0
		for _, m := range l.RepaymentSchedule {
			for _, st := range m {
				if st == "paid" {
					paid++
				}
			}
		}
		owed := max(0, l.RepaymentAmount*int64(l.Tenor-paid))
		existing += l.RepaymentAmount
		r.Debt.TotalDebt += owed
		r.Debt.DebtByInstitution = append(r.Debt.DebtByInstitution, InstitutionDebt{Institution: l.Institution, AmountOwed: owed})
	}
	// kobo has no credit bureau: the debt is the partner's own record, and
	// credit_check says the bureau was not consulted
	r.Debt.CreditCheck = false
	a := enrich.Afford(req.Principal, req.InterestRate, req.Term, monthlyIncome, debits/int64(months), existing)
	r.Summary.CanAfford, r.Summary.MonthlyPayment = a.CanAfford, a.MonthlyPayment
	w := &r.Working
	w.MonthlyIncome, w.MonthlySpending, w.ExistingRepayments = monthlyIncome, debits/int64(months), existing
	w.NetDisposableIncome, w.DebtService, w.DSCR, w.Risk = a.NetDisposableIncome, a.DebtService, a.DSCR, a.Risk
	return r
}
