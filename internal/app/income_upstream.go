package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kobo-oss/kobo/internal/jobs"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// UpstreamIncomeWait is how long kobo waits for an upstream's income
// report (by webhook or in its records) after asking for it; past it the
// analysis is FAILED and the partner is told, rather than left waiting.
const UpstreamIncomeWait = 30 * time.Minute

// upstreamIncomeAttempts bounds the polls of one analysis (the wait, not
// this, ends it: about 35 polls fit in UpstreamIncomeWait).
const upstreamIncomeAttempts = 100

var errIncomeWaiting = errors.New("waiting for the upstream's income report")

// incomeAnalyst is the route's IncomeAnalyst with the route's call budget
// and metrics.
func (r route) incomeAnalyst() (kobo.IncomeAnalyst, bool) {
	a, ok := capability[kobo.IncomeAnalyst](r.raw)
	if !ok {
		return nil, false
	}
	m, _ := r.p.(meteredProvider)
	return meteredAnalyst{a: a, m: m}, true
}

type meteredAnalyst struct {
	a kobo.IncomeAnalyst
	m meteredProvider
}

func (ma meteredAnalyst) StartIncome(ctx context.Context, s kobo.BankSession, ref string, months int) error {
	if err := ma.m.spend(ctx, "income"); err != nil {
		return err
	}
	return ma.m.done(ctx, "income", ma.a.StartIncome(ctx, s, ref, months))
}

func (ma meteredAnalyst) IncomeReports(ctx context.Context, s kobo.BankSession, ref string) ([]kobo.ProviderIncome, error) {
	if err := ma.m.spend(ctx, "income_records"); err != nil {
		return nil, err
	}
	r, err := ma.a.IncomeReports(ctx, s, ref)
	return r, ma.m.done(ctx, "income_records", err)
}

// incomeProvider is the upstream that analyses an account's income: the
// provider it was linked through, when that one is an IncomeAnalyst; ""
// for kobo's own analysis.
func (s *Service) incomeProvider(ctx context.Context, acct *kobo.Account) string {
	if acct.AuthMethod == kobo.AuthStatementUpload {
		return ""
	}
	r, err := s.accountRoute(ctx, acct)
	if err != nil {
		return ""
	}
	if _, ok := r.incomeAnalyst(); !ok {
		return ""
	}
	return r.name
}

// upstreamIncomeJob is the income.analyze job of an account whose upstream
// analyses income. The first run notes the date of the upstream's newest
// report (UpstreamAfter: the answer is one dated after it, by the
// upstream's own clock, so the two clocks never need to agree), then asks
// the upstream; UpstreamAt is set before the call, so a webhook that beats
// the call's answer finds the record waiting. Later runs poll the
// upstream's records with backoff until the answer comes, the upstream's
// webhook completes the record first (ProviderIncomeReady), or
// UpstreamIncomeWait passes.
func (s *Service) upstreamIncomeJob(ctx context.Context, j *kobo.Job, rec *kobo.IncomeRecord) error {
	acct, err := s.accountByID(ctx, rec.AccountID)
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.now()
	since := rec.CreatedAt
	if rec.UpstreamAt != nil {
		since = *rec.UpstreamAt
	}
	late := !now.Before(since.Add(UpstreamIncomeWait)) || j.Attempt >= j.MaxAttempts
	r, err := s.accountRoute(ctx, acct)
	if err != nil {
		return s.failIncome(ctx, rec.ID, "the account's provider cannot be reached: "+kobo.ErrorMessage(err))
	}
	an, ok := r.incomeAnalyst()
	if !ok || r.name != rec.Provider {
		return s.failIncome(ctx, rec.ID, "the account's provider no longer analyses income")
	}
	// give up on a failed call: the wait is over, or no retry would help
	giveUp := func(err error) error {
		var be *kobo.BankError
		switch {
		case late || !isTransient(err):
			return s.failIncome(ctx, rec.ID, fmt.Sprintf("%s could not analyse the income: %s", rec.Provider, bankMessage(err)))
		case errors.As(err, &be) && be.RetryAfter > 0:
			return jobs.RetryAt(now.Add(be.RetryAfter), err)
		}
		return err
	}
	sess, _, err := s.bankSession(ctx, r, &acct.Institution, acct, false)
	if err != nil {
		return giveUp(err)
	}
	reps, err := an.IncomeReports(ctx, sess, acct.ProviderRef)
	if err != nil {
		return giveUp(err)
	}
	if rec.UpstreamAt == nil {
		asked := now
		var after *time.Time
		if len(reps) > 0 && !reps[0].At.IsZero() { // newest first
			after = &reps[0].At
		}
		if err := s.setIncomeUpstream(ctx, rec.ID, &asked, after); err != nil {
			return err
		}
		if err := an.StartIncome(ctx, sess, acct.ProviderRef, rec.Months); err != nil {
			// not asked after all: the retry asks again
			if cerr := s.setIncomeUpstream(context.WithoutCancel(ctx), rec.ID, nil, nil); cerr != nil {
				return cerr
			}
			return giveUp(err)
		}
		return jobs.RetryAt(now.Add(pollDelay(1)), errIncomeWaiting)
	}
	for _, rep := range reps {
		if answers(rec, rep) {
			return s.store.Update(ctx, func(tx kobo.Tx) error { return s.completeUpstreamIncome(ctx, tx, rec.ID, acct, rep) })
		}
	}
	if late {
		return s.failIncome(ctx, rec.ID, fmt.Sprintf("%s did not send the income report within %v of kobo's request", rec.Provider, UpstreamIncomeWait))
	}
	return jobs.RetryAt(now.Add(pollDelay(j.Attempt)), errIncomeWaiting)
}

// pollDelay is the wait before poll n: 2 s doubling to a minute.
func pollDelay(n int) time.Duration {
	return min(2*time.Second<<min(max(n-1, 0), 6), time.Minute)
}

func bankMessage(err error) string {
	var be *kobo.BankError
	if errors.As(err, &be) && be.Message != "" {
		return be.Message
	}
	return kobo.ErrorMessage(err)
}

// answers reports whether rep can be the answer to rec: made after the
// newest report the upstream had when kobo asked. A report the upstream
// did not date (a webhook without a timestamp) is taken as new.
func answers(rec *kobo.IncomeRecord, rep kobo.ProviderIncome) bool {
	return rec.UpstreamAt != nil && (rec.UpstreamAfter == nil || rep.At.IsZero() || rep.At.After(*rec.UpstreamAfter))
}

func (s *Service) setIncomeUpstream(ctx context.Context, id string, at, after *time.Time) error {
	return s.store.Update(ctx, func(tx kobo.Tx) error {
		rec, err := tx.IncomeRecord(ctx, id)
		if err != nil || rec.Status != "PROCESSING" {
			return err
		}
		rec.UpstreamAt, rec.UpstreamAfter = at, after
		return tx.UpdateIncomeRecord(ctx, rec)
	})
}

// completeUpstreamIncome completes a waiting record with an upstream's
// report, as kobo's own analysis completes one: the result in Mono's shape
// naming kobo's account, and mono.events.account_income to the partner. A
// record another replica (or the webhook) completed already is left.
func (s *Service) completeUpstreamIncome(ctx context.Context, tx kobo.Tx, id string, acct *kobo.Account, rep kobo.ProviderIncome) error {
	var m kobo.MonoIncome
	if err := json.Unmarshal(rep.Report, &m); err != nil {
		return jobs.Permanent(fmt.Errorf("the upstream's income report: %w", err))
	}
	m.Account = acct.ID
	if m.IncomeStreams == nil {
		m.IncomeStreams = []kobo.MonoIncomeStream{}
	}
	return s.completeIncomeTx(ctx, tx, id, acct, m)
}

// completeIncomeTx stores a finished report and announces it.
func (s *Service) completeIncomeTx(ctx context.Context, tx kobo.Tx, id string, acct *kobo.Account, m kobo.MonoIncome) error {
	rec, err := tx.IncomeRecord(ctx, id)
	if err != nil || rec.Status != "PROCESSING" {
		return err
	}
	now := s.now()
	rec.Result, _ = json.Marshal(m)
	rec.Status, rec.DoneAt = "COMPLETED", &now
	if err := tx.UpdateIncomeRecord(ctx, rec); err != nil {
		return err
	}
	app, err := tx.App(ctx, acct.AppID)
	if err != nil {
		return err
	}
	extra := m.Fields()
	extra["account_name"], extra["account_number"] = acct.Name, string(acct.AccountNumber)
	if err := s.recordEvent(ctx, tx, app, acct, kobo.EventFacts{Type: kobo.EventAccountIncome, Extra: extra}); err != nil {
		return err
	}
	return nil
}

// failIncome ends an analysis without a report: FAILED with why, and
// kobo's kobo.events.account_income_failed to the partner, so no one
// waits for a report that will not come.
func (s *Service) failIncome(ctx context.Context, id, why string) error {
	ctx = context.WithoutCancel(ctx)
	return s.store.Update(ctx, func(tx kobo.Tx) error {
		rec, err := tx.IncomeRecord(ctx, id)
		if kobo.ErrorCode(err) == kobo.ENOTFOUND {
			return nil
		}
		if err != nil || rec.Status != "PROCESSING" {
			return err
		}
		now := s.now()
		rec.Status, rec.Error, rec.DoneAt = "FAILED", truncate(why, 500), &now
		if err := tx.UpdateIncomeRecord(ctx, rec); err != nil {
			return err
		}
		acct, err := tx.Account(ctx, rec.AccountID)
		if err != nil {
			return err
		}
		app, err := tx.App(ctx, acct.AppID)
		if err != nil {
			return err
		}
		s.log.WarnContext(ctx, "income analysis failed", "record_id", rec.ID, "account_id", acct.ID, "provider", rec.Provider, "why", rec.Error)
		return s.recordEvent(ctx, tx, app, acct, kobo.EventFacts{Type: kobo.EventAccountIncomeFailed, Extra: map[string]any{
			"id": rec.ID, "status": "FAILED", "message": rec.Error, "period": fmt.Sprintf("%d months", rec.Months), "provider": rec.Provider}})
	})
}

// upstreamIncomeReady is an upstream's income webhook for one of the
// app's accounts: it completes the oldest analysis that asked that
// upstream and still waits, if the report is newer than what the upstream
// had when kobo asked. One the job is still about to ask is left (its poll
// finds the report); a report nobody asked kobo for is dropped.
func (s *Service) upstreamIncomeReady(ctx context.Context, tx kobo.Tx, provider string, acct *kobo.Account, inc *kobo.ProviderIncome) error {
	if inc == nil {
		return nil
	}
	recs, err := tx.IncomeRecords(ctx, acct.ID)
	if err != nil {
		return err
	}
	for _, rec := range slices.Backward(recs) { // oldest first
		if rec.Status == "PROCESSING" && rec.Provider == provider && answers(rec, *inc) {
			return s.completeUpstreamIncome(ctx, tx, rec.ID, acct, *inc)
		}
	}
	s.log.InfoContext(ctx, "an upstream income report no analysis waits for was dropped", "account_id", acct.ID, "provider", provider)
	return nil
}
