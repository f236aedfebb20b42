package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Sync limits (Mono's).
const (
	ManualSyncInterval = 2 * time.Minute  // one manual sync per account per 2 minutes
	RealtimeInterval   = 5 * time.Minute  // one real-time job per account per 5 minutes
	ReauthTokenTTL     = 10 * time.Minute // a re-authorisation token's lifetime
	// The job names Mono reports for real-time fetches
	// (https://docs.mono.co/docs/financial-data/realtime-data): a balance
	// read syncs the balance, every other read the statement.
	JobSyncStatement = "jobs.accounts.sync_statement"
	JobSyncBalance   = "jobs.accounts.sync_balance"
)

// ErrCannotReauthorise is Mono's answer for an account that does not need
// re-authorisation (S-kenway compares this exact text).
const ErrCannotReauthorise = "This account can not be re-authorised."

// waitJob polls a job until it finishes or wait runs out.
func (s *Service) waitJob(ctx context.Context, id string, wait time.Duration) (*kobo.Job, error) {
	deadline := time.Now().Add(wait)
	delay := 5 * time.Millisecond
	for {
		var j *kobo.Job
		err := s.store.View(ctx, func(tx kobo.Tx) error {
			var err error
			j, err = tx.Job(ctx, id)
			return err
		})
		if err != nil {
			return nil, err
		}
		if j.Status == kobo.JobCompleted || j.Status == kobo.JobFailed || j.Status == kobo.JobCancelled || time.Now().After(deadline) {
			return j, nil
		}
		select {
		case <-ctx.Done():
			return j, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 200*time.Millisecond)
	}
}

// startFetch enqueues a fetch of the account, or finds the one already
// queued or running (fetches of an account never overlap).
func (s *Service) startFetch(ctx context.Context, acct *kobo.Account, reason string, allowIncomplete bool, job string) (*kobo.Job, error) {
	var j *kobo.Job
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		var ok bool
		var err error
		j, ok, err = s.enqueueFetchJob(ctx, tx, acct.ID, reason, allowIncomplete, job)
		if err != nil || ok {
			return err
		}
		j, err = tx.LatestJob(ctx, acct.ID, "", time.Time{}) // the fetch already queued or running
		return err
	})
	if err != nil {
		return nil, err
	}
	s.notify()
	return j, nil
}

// SyncNow is POST /accounts/{id}/sync: it fetches new data now and answers
// with Mono's codes. It waits up to wait for the fetch; a longer one keeps
// running and ends in account_updated.
func (s *Service) SyncNow(ctx context.Context, c *kobo.Caller, id string, allowIncomplete bool, wait time.Duration) (*SyncOutcome, error) {
	acct, err := s.ownedAccount(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if acct.AuthMethod == kobo.AuthStatementUpload {
		return statementSyncOutcome(), nil
	}
	if acct.ReauthRequired {
		return &SyncOutcome{Status: "failed", Code: SyncReauthRequired, Message: "This account needs re-authorisation before it can sync; call /accounts/{id}/reauthorise."}, nil
	}
	consent, err := s.accountConsent(ctx, acct.ID)
	if err != nil {
		return nil, err
	}
	if consentExpired(consent, s.clock.Now()) {
		return &SyncOutcome{Status: "failed", Code: SyncReauthRequired, Message: consentExpiredMessage(consent)}, nil
	}
	// Mono's limit, or the provider's own when it is stricter (enforced
	// here, before anything calls out)
	interval, by := ManualSyncInterval, ""
	if r, err := s.accountRoute(ctx, acct); err == nil && r.policy.MinManualSyncInterval > interval {
		interval, by = r.policy.MinManualSyncInterval, r.name
	}
	var last *kobo.Job
	err = s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		last, err = tx.LatestJob(ctx, acct.ID, JobSyncAccount, s.clock.Now().Add(-interval))
		return err
	})
	if err == nil {
		wait := interval - s.clock.Now().Sub(last.CreatedAt)
		msg := fmt.Sprintf("An account can be synced once every %s; try again in %d seconds.", humanInterval(interval), int(wait.Seconds())+1)
		if by != "" {
			s.providerOutcome(by, "sync", "manual_sync_interval")
			msg = fmt.Sprintf("This account's provider (%s) allows one sync every %s; try again in %d seconds.", by, humanInterval(interval), int(wait.Seconds())+1)
		}
		return nil, &kobo.Error{Code: kobo.ERATELIMIT, RetryAfter: wait, Message: msg}
	} else if kobo.ErrorCode(err) != kobo.ENOTFOUND {
		return nil, err
	}
	j, err := s.startFetch(ctx, acct, "manual", allowIncomplete, "")
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait) // a real wait, like waitJob's, whatever the clock says
	if j.Kind != JobSyncAccount {
		// the first fetch (its account_updated may be out already) or a
		// real-time fetch is still finishing: the sync asked for is a read
		// of the bank after it, not its outcome
		if _, err := s.waitJob(ctx, j.ID, wait); err != nil {
			return nil, err
		}
		if j, err = s.startFetch(ctx, acct, "manual", allowIncomplete, ""); err != nil {
			return nil, err
		}
	}
	if j, err = s.waitJob(ctx, j.ID, max(time.Until(deadline), 0)); err != nil {
		return nil, err
	}
	var out SyncOutcome
	if len(j.Result) == 0 || json.Unmarshal(j.Result, &out) != nil {
		return &SyncOutcome{Status: "failed", Code: SyncError, Message: "The sync is still running; you will receive mono.events.account_updated when it finishes."}, nil
	}
	return &out, nil
}

// Realtime starts (or, within RealtimeInterval, returns) the account's
// real-time fetch job and waits up to wait for it (v2 x-realtime). job is
// the name the job reports (JobSyncBalance or JobSyncStatement).
func (s *Service) Realtime(ctx context.Context, c *kobo.Caller, id, job string, wait time.Duration) (*kobo.Job, error) {
	acct, err := s.ownedAccount(ctx, c, id)
	if err != nil {
		return nil, err
	}
	var last *kobo.Job
	err = s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		last, err = tx.LatestJob(ctx, acct.ID, JobRealtimeAccount, s.clock.Now().Add(-RealtimeInterval))
		return err
	})
	if err == nil {
		return last, nil // Mono: the same job id and status, unchanged, inside the window
	} else if kobo.ErrorCode(err) != kobo.ENOTFOUND {
		return nil, err
	}
	if acct.ReauthRequired {
		return nil, kobo.Errorf(kobo.EREAUTH, "This account needs re-authorisation; call /accounts/{id}/reauthorise.")
	}
	j, err := s.startFetch(ctx, acct, "realtime", false, job)
	if err != nil {
		return nil, err
	}
	return s.waitJob(ctx, j.ID, wait)
}

// AccountJob returns a fetch job of the account (GET /v2/accounts/{id}/jobs/{job}).
func (s *Service) AccountJob(ctx context.Context, c *kobo.Caller, accountID, jobID string) (*kobo.Job, error) {
	if _, err := s.ownedAccount(ctx, c, accountID); err != nil {
		return nil, err
	}
	var j *kobo.Job
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		j, err = tx.Job(ctx, jobID)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND || (err == nil && j.AccountID != accountID) {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "job not found")
	}
	return j, err
}

// TrackJob finds a job of the caller's app by id alone, for the job tracker
// GET /v2/accounts/jobs/{job}: a fetch job of one of its accounts, or else
// an enrichment job. Either is nil; another app's job is not found.
func (s *Service) TrackJob(ctx context.Context, c *kobo.Caller, id string) (*kobo.Job, *kobo.Enrichment, error) {
	var j *kobo.Job
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		j, err = tx.Job(ctx, id)
		return err
	})
	switch {
	case err == nil && j.AccountID != "":
		if _, err := s.ownedAccount(ctx, c, j.AccountID); err == nil {
			return j, nil, nil
		} else if kobo.ErrorCode(err) != kobo.ENOTFOUND {
			return nil, nil, err
		}
	case err != nil && kobo.ErrorCode(err) != kobo.ENOTFOUND:
		return nil, nil, err
	}
	e, err := s.EnrichmentRecord(ctx, c, id)
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil, nil, kobo.Errorf(kobo.ENOTFOUND, "job not found")
	}
	return nil, e, err
}

// JobName is the name Mono reports for a real-time job.
func JobName(j *kobo.Job) string {
	var args FetchArgs
	_ = json.Unmarshal(j.Args, &args)
	return cmpStr(args.Job, JobSyncStatement)
}

// JobState maps a job to Mono's job status words.
func JobState(j *kobo.Job) (status string, hasNewData bool) {
	var out SyncOutcome
	_ = json.Unmarshal(j.Result, &out)
	switch j.Status {
	case kobo.JobCompleted:
		if out.Status == "failed" {
			return "failed", false
		}
		return "finished", out.HasNewData
	case kobo.JobFailed, kobo.JobCancelled:
		return "failed", false
	}
	return "processing", false
}

// ScheduleSyncs enqueues a sync for every account whose next sync is due
// (per app: every 24, 12 or 6 hours). Schedulers on several replicas share
// the work without overlap: claiming an account clears its due time.
func (s *Service) ScheduleSyncs(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := s.store.Update(ctx, func(tx kobo.Tx) error {
			due, err := tx.ClaimDueAccounts(ctx, s.clock.Now(), 200)
			if err != nil {
				return err
			}
			n = len(due)
			for _, a := range due {
				if err := s.enqueueFetch(ctx, tx, a.ID, "sync", false); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n > 0 {
			s.notify()
		}
		if n < 200 {
			return total, nil
		}
	}
}

// Reauthorise issues a 10-minute token the widget opens with
// (connect.reauthorise(token)).
func (s *Service) Reauthorise(ctx context.Context, c *kobo.Caller, id string) (string, error) {
	acct, err := s.ownedAccount(ctx, c, id)
	if err != nil {
		return "", err
	}
	if !acct.ReauthRequired {
		return "", kobo.Errorf(kobo.EINVALID, "%s", ErrCannotReauthorise)
	}
	token := kobo.RandomMixedToken(20)
	now := s.now()
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		return tx.CreateReauthToken(ctx, &kobo.ReauthToken{Hash: hashToken(token), AccountID: acct.ID, AppID: acct.AppID, Live: acct.Live,
			ExpiresAt: now.Add(ReauthTokenTTL), CreatedAt: now})
	})
	return token, err
}

// ResolveReauthToken returns the account a re-authorisation token names.
func (s *Service) ResolveReauthToken(ctx context.Context, c *kobo.Caller, token string) (string, error) {
	var rt *kobo.ReauthToken
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		rt, err = tx.ReauthToken(ctx, hashToken(strings.TrimSpace(token)))
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND || (err == nil && (rt.AppID != c.App.ID || rt.Live != c.Mode.IsLive())) {
		return "", kobo.Errorf(kobo.EINVALID, "invalid re-authorisation token")
	}
	if err != nil {
		return "", err
	}
	if !s.clock.Now().Before(rt.ExpiresAt) {
		return "", kobo.Errorf(kobo.EGONE, "this re-authorisation token has expired (tokens last %d minutes); request a new one", int(ReauthTokenTTL.Minutes()))
	}
	return rt.AccountID, nil
}

// OpenReauth opens a re-authorisation session for an account: step 1 of
// Mono's Partners re-auth guide
// (https://docs.mono.co/docs/financial-data/partners-api-guide/reauth-guide),
// which answers responseCode 99 with the session to log in on. Nothing is
// asked of the bank yet: the customer's login comes next, on ReauthLogin.
//
// From the widget (a public key or a Connect Link) it needs the partner's
// say-so; see widgetReauth.
func (s *Service) OpenReauth(ctx context.Context, c *kobo.Caller, accountID string, in SessionInput) (*ConnectStep, error) {
	var acct *kobo.Account
	var err error
	if c.Key.Kind == kobo.SecretKey {
		acct, err = s.ownedAccount(ctx, c, accountID)
	} else {
		acct, err = s.widgetReauth(ctx, c, accountID, in)
	}
	if err != nil {
		return nil, err
	}
	in.AccountID, in.Scope = acct.ID, "reauth"
	cs, _, err := s.CreateSession(ctx, c, in)
	if err != nil {
		return nil, err
	}
	form := cs.Form
	return &ConnectStep{ResponseCode: CodeLinked, Message: "Re-authorisation session created; log in to continue", Form: &form, Session: cs}, nil
}

// StartReauth opens a re-authorisation session and logs in at once with the
// saved credentials, so the customer is asked only for what the bank wants
// now (the widget's re-auth screens): usually an OTP, PIN or answer (102),
// or the login form if the bank no longer takes the saved login.
func (s *Service) StartReauth(ctx context.Context, c *kobo.Caller, accountID string, in SessionInput) (*ConnectStep, error) {
	step, err := s.OpenReauth(ctx, c, accountID, in)
	if err != nil {
		return nil, err
	}
	return s.storedLogin(ctx, step.Session)
}

// ReauthLogin continues a re-authorisation session: step 2 of the guide.
// With the institution's login fields ({username, password}) it logs in
// as they say, and the bank's answer follows: 99 with a code, or 102 with
// the factor it wants, committed with /v2/connect/commit (or another
// ReauthLogin). kobo's shortcut for partners that do not hold the
// customer's password: a body without login fields (empty, or just the
// factor, such as {otp}) logs in with the credentials kept from the link
// and answers the bank's factor with what was sent.
func (s *Service) ReauthLogin(ctx context.Context, c *kobo.Caller, sessionID string, fields map[string]string) (*ConnectStep, error) {
	cs, err := s.liveSession(ctx, c, sessionID)
	if err != nil {
		return nil, err
	}
	if cs.Scope != kobo.ScopeReauth {
		return nil, kobo.Errorf(kobo.EINVALID, "this is not a re-authorisation session; use /v2/connect/login")
	}
	if cs.State != kobo.SessionCreated {
		return s.ConnectCommit(ctx, c, sessionID, fields)
	}
	for _, name := range cs.Form.Names() {
		if _, ok := fields[name]; ok {
			return s.ConnectLogin(ctx, c, sessionID, fields)
		}
	}
	if c.Key.Kind != kobo.SecretKey {
		// from the widget, each login with the stored credentials counts
		// against the account like a new re-authorisation
		if err := s.takeThrottle(ctx, widgetReauthLimit(), cs.AccountID, errReauthTooMany); err != nil {
			return nil, err
		}
	}
	step, err := s.storedLogin(ctx, cs)
	if err != nil || step.ResponseCode != CodeMoreInput || len(fields) == 0 || step.Session.State != kobo.SessionMFARequired {
		return step, err
	}
	return s.ConnectCommit(ctx, c, sessionID, fields)
}

// storedLogin logs a re-authorisation session in with the credentials kept
// from the link, so the customer is asked only for what the bank wants
// now. If the bank no longer accepts them (a changed password) the
// institution's login form comes back (102) for the customer to fill in.
func (s *Service) storedLogin(ctx context.Context, cs *kobo.ConnectSession) (*ConnectStep, error) {
	acct, err := s.accountByID(ctx, cs.AccountID)
	if err != nil {
		return nil, err
	}
	inst, err := s.Institution(ctx, cs.InstitutionID)
	if err != nil {
		return nil, err
	}
	// a re-authorisation goes through the provider the account was linked
	// through; a relink through another provider is a new session
	acct.Institution = *inst
	r, err := s.accountRoute(ctx, acct)
	if err != nil {
		return nil, err
	}
	var bs sealedBankSession
	if err := s.unseal(acct.Credentials, "account:"+acct.ID, &bs); err != nil {
		return nil, fmt.Errorf("open credentials: %w", err)
	}
	// submitted: the kept login, sent for the customer
	if err := s.holdAt(ctx, cs, kobo.StageSubmitted); err != nil {
		return nil, err
	}
	creds, err := s.providerCredentials(ctx, cs.AppID, r.name)
	if err != nil {
		_ = s.save(ctx, cs)
		return nil, err
	}
	req := kobo.LoginRequest{Institution: *inst, AuthMethod: cs.AuthMethod, Persist: kobo.Secret(bs.Persist), Interactive: true, Tenant: cs.AppID, Credentials: creds, Live: cs.Live}
	var rs *redirectSecrets
	if m, _ := inst.AuthMethod(cs.AuthMethod); m.Consent == kobo.ConsentRedirect {
		rs = s.newRedirectSecrets(cs, r.name, "")
		req.Redirect = &rs.params
	}
	step, berr := r.p.Login(ctx, req)
	var be *kobo.BankError
	if errors.As(berr, &be) && (be.Kind == kobo.BankBadCredentials || be.Kind == kobo.BankNotFound) {
		if err := s.save(ctx, cs); err != nil {
			return nil, err
		}
		form := cs.Form
		return &ConnectStep{ResponseCode: CodeMoreInput, Message: "Log in to your bank again", Form: &form, Session: cs}, nil
	}
	return s.advance(ctx, cs, inst, r, step, berr, -1, "", rs)
}

// Unlink deletes an account's data and credentials, redacts what its
// earlier events said about the customer, and announces it.
func (s *Service) Unlink(ctx context.Context, c *kobo.Caller, id string) error {
	acct, err := s.ownedAccount(ctx, c, id)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		app, err := tx.App(ctx, acct.AppID)
		if err != nil {
			return err
		}
		if err := s.announceUnlinked(ctx, tx, app, acct); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, app.PartnerID, app.ID, AuditAccountUnlinked, acct.ID, "account unlinked and its data deleted ("+string(c.Mode)+")", &c.Key); err != nil {
			return err
		}
		return tx.DeleteAccount(ctx, acct.ID)
	})
	if err != nil {
		return err
	}
	s.notify()
	s.log.InfoContext(ctx, "account unlinked", "account_id", id, "app_id", c.App.ID)
	return nil
}

// humanInterval says a sync interval the way the 429 message reads it.
func humanInterval(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return plural(int(d/(24*time.Hour)), "day")
	case d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return plural(int(d/time.Minute), "minute")
	}
	return d.String()
}

func plural(n int, unit string) string {
	if n == 1 {
		return unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
