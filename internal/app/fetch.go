package app

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Job kinds app handles. All three run FetchAccount and share one unique
// key per account, so an account's fetches never overlap; the kinds tell
// manual syncs and real-time jobs apart for their rate limits.
const (
	JobFetchAccount    = "account.fetch"    // first fetch, re-auth fetch, scheduled sync
	JobSyncAccount     = "account.sync"     // POST /accounts/{id}/sync
	JobRealtimeAccount = "account.realtime" // v2 x-realtime
)

// FetchJobKinds lists the kinds FetchAccount handles.
var FetchJobKinds = []string{JobFetchAccount, JobSyncAccount, JobRealtimeAccount}

// FetchArgs are the arguments of an account.fetch job.
type FetchArgs struct {
	AccountID       string `json:"account_id"`
	Reason          string `json:"reason"` // "link", "reauth", "sync" (scheduled), "manual", "realtime"
	AllowIncomplete bool   `json:"allow_incomplete,omitempty"`
	// Job is the name a real-time fetch reports (mono.accounts.jobs.update
	// and GET /v2/accounts/{id}/jobs/{job}): which read started it.
	Job string `json:"job,omitempty"`
	// Relinked: the account was linked again through another provider,
	// which names its transactions by ids of its own. The fetch reads the
	// whole history and adopts the stored rows the new provider reports
	// under new ids (adoptRows) instead of adding them again.
	Relinked bool `json:"relinked,omitempty"`
}

// historyFrom is where an account's first fetch starts: its app's
// history_months back (12 by default, as Mono reads), counting a month as
// 30 days, as kobo always has (12 months is 360 days).
func historyFrom(now time.Time, a *kobo.App) time.Time {
	months := a.HistoryMonths
	if months < 1 || months > kobo.MaxHistoryMonths {
		months = kobo.DefaultHistoryMonths
	}
	return now.Add(-time.Duration(months) * 30 * 24 * time.Hour)
}

// enqueueFetch queues a fetch of an account's data. Fetches of one account
// never overlap: the unique key keeps one queued or running at a time.
func (s *Service) enqueueFetch(ctx context.Context, tx kobo.Tx, accountID, reason string, allowIncomplete bool) error {
	_, _, err := s.enqueueFetchJob(ctx, tx, accountID, reason, allowIncomplete, "")
	return err
}

func (s *Service) enqueueFetchJob(ctx context.Context, tx kobo.Tx, accountID, reason string, allowIncomplete bool, job string) (*kobo.Job, bool, error) {
	return s.enqueueFetchArgs(ctx, tx, FetchArgs{AccountID: accountID, Reason: reason, AllowIncomplete: allowIncomplete, Job: job})
}

func (s *Service) enqueueFetchArgs(ctx context.Context, tx kobo.Tx, a FetchArgs) (*kobo.Job, bool, error) {
	accountID, reason, job := a.AccountID, a.Reason, a.Job
	now := s.now()
	kind := JobFetchAccount
	switch reason {
	case "manual":
		kind, reason = JobSyncAccount, "sync"
	case "realtime":
		kind = JobRealtimeAccount
		if job == "" {
			job = JobSyncStatement
		}
	}
	a.Reason, a.Job = reason, job
	args, _ := json.Marshal(a)
	j := &kobo.Job{ID: kobo.NewID(now) + kobo.RandomToken(6), Kind: kind, Args: args, AccountID: accountID,
		UniqueKey: "fetch:" + accountID, MaxAttempts: 6, RunAt: now, CreatedAt: now, UpdatedAt: now}
	ok, err := tx.EnqueueJob(ctx, j)
	return j, ok, err
}

// txnID derives a transaction's id from its account and bank reference:
// the same bank row always gets the same id, ids sort roughly by date (the
// first 4 bytes are the date's seconds), and they look like Mono's.
func txnID(accountID, ref string, date time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(date.Unix()))
	sum := sha256.Sum256([]byte(accountID + "/" + ref))
	copy(b[4:], sum[:8])
	return hex.EncodeToString(b[:])
}

// bankSession opens the account's stored bank session, logging in again
// with the stored credentials when its token has expired. A bank that
// wants a human at that point is re-authorisation.
func (s *Service) bankSession(ctx context.Context, r route, inst *kobo.Institution, acct *kobo.Account, force bool) (kobo.BankSession, bool, error) {
	p := r.p
	var bs sealedBankSession
	if err := s.unseal(acct.Credentials, "account:"+acct.ID, &bs); err != nil {
		return kobo.BankSession{}, false, fmt.Errorf("open credentials: %w", err)
	}
	creds, err := s.providerCredentials(ctx, acct.AppID, r.name)
	if err != nil {
		return kobo.BankSession{}, false, err
	}
	sess := bs.bankSession()
	sess.Credentials = creds
	if !force && (bs.ExpiresAt.IsZero() || s.clock.Now().Add(30*time.Second).Before(bs.ExpiresAt)) {
		return sess, false, nil
	}
	step, err := p.Login(ctx, kobo.LoginRequest{Institution: *inst, AuthMethod: acct.AuthMethod, Interactive: false, Tenant: bs.Tenant, Persist: sess.Persist, Credentials: creds, Live: acct.Live})
	if err != nil {
		return kobo.BankSession{}, false, err
	}
	if step.Session == nil {
		return kobo.BankSession{}, false, &kobo.BankError{Kind: kobo.BankMFARequired, Message: "the bank asked for verification"}
	}
	out := *step.Session
	out.Credentials = creds
	return out, true, nil
}

// Sync result codes (Mono's).
const (
	SyncSuccessful        = "SYNC_SUCCESSFUL"
	SyncReauthRequired    = "REAUTHORISATION_REQUIRED"
	SyncError             = "SYNC_ERROR"
	SyncIncompleteStmtErr = "INCOMPLETE_STATEMENT_ERROR"
)

// SyncOutcome is what a fetch job reports in its result.
type SyncOutcome struct {
	Status     string `json:"status"` // "successful" or "failed"
	Code       string `json:"code"`
	HasNewData bool   `json:"has_new_data"`
	Message    string `json:"message,omitempty"`
}

// FetchAccount is the account.fetch job: it reads balance, transactions
// and identity through the provider, stores them, settles the account's
// data status (Mono's rules) and announces it with account_updated. The
// first fetch reads the app's history_months; a sync reads from a week before the last
// sync, so rows the bank posts late are merged and repeats dropped.
// Re-running it is safe: transactions merge by the bank's reference.
func (s *Service) FetchAccount(ctx context.Context, j *kobo.Job) error {
	var args FetchArgs
	if err := json.Unmarshal(j.Args, &args); err != nil {
		return fmt.Errorf("bad job args: %w", err)
	}
	acct, err := s.accountByID(ctx, args.AccountID)
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil // unlinked meanwhile: nothing to do
	}
	if err != nil {
		return err
	}
	if live, err := s.appLive(ctx, acct.AppID); err != nil || !live {
		return err // the app was deleted: its accounts never reach the bank again
	}
	if acct.AuthMethod == kobo.AuthStatementUpload {
		// no bank behind it: a sync or real-time fetch finds nothing new
		res, _ := json.Marshal(statementSyncOutcome())
		return s.store.Update(ctx, func(tx kobo.Tx) error { return tx.SetJobResult(ctx, j.ID, res) })
	}
	if acct.ReauthRequired && args.Reason != "link" && args.Reason != "reauth" {
		return s.settleFetch(ctx, j, acct, args, fetchResult{reauth: true})
	}
	consent, err := s.accountConsent(ctx, acct.ID)
	if err != nil {
		return err
	}
	if consentExpired(consent, s.clock.Now()) {
		// past its consent the account is never synced: the provider
		// would refuse, and kobo may not ask
		return s.settleFetch(ctx, j, acct, args, fetchResult{reauth: true, consentExpired: consent})
	}
	inst := &acct.Institution
	r, err := s.accountRoute(ctx, acct)
	if err != nil {
		if kobo.ErrorCode(err) == kobo.EFORBIDDEN {
			// a live account on a connector that is not Real (linked before
			// kobo refused them): it never reaches the bank again
			return s.settleFetch(ctx, j, acct, args, fetchResult{bankFailed: true})
		}
		return err
	}
	p := r.p
	if min := r.policy.MinSyncInterval; args.Reason == "sync" && min > 0 && acct.LastSyncedAt != nil && s.clock.Now().Sub(*acct.LastSyncedAt) < min {
		// the provider refreshes no oftener (SimpleFIN: daily): a scheduled
		// sync before then is put off without calling out
		s.providerOutcome(r.name, "sync", "sync_interval")
		return s.putOffSync(ctx, j, acct, acct.LastSyncedAt.Add(min))
	}
	lastAttempt := j.Attempt >= j.MaxAttempts
	sess, refreshed, err := s.bankSession(ctx, r, inst, acct, false)
	bal, balErr := kobo.BankBalance{}, error(nil)
	if err == nil {
		bal, balErr = p.Balance(ctx, sess, acct.ProviderRef)
		if kobo.BankErrorKindOf(balErr) == kobo.BankTokenExpired {
			// the bank ended the session early: log in again once
			sess, refreshed, err = s.bankSession(ctx, r, inst, acct, true)
			if err == nil {
				bal, balErr = p.Balance(ctx, sess, acct.ProviderRef)
			}
		}
	}
	if err != nil {
		switch kobo.BankErrorKindOf(err) {
		case kobo.BankMFARequired, kobo.BankBadCredentials, kobo.BankLocked:
			// the stored login or grant no longer works (revoked at the
			// provider, a changed password): only the customer can fix it
			return s.settleFetch(ctx, j, acct, args, fetchResult{reauth: true})
		case kobo.BankAppCredentials:
			return s.settleFetch(ctx, j, acct, args, fetchResult{bankFailed: true, appKeys: appKeysMessageOf(err)})
		}
		if kobo.ErrorCode(err) == kobo.EUNSEAL {
			if !lastAttempt {
				return err // another replica (with the right key) may take the retry
			}
			return s.settleFetch(ctx, j, acct, args, fetchResult{bankFailed: true, sealFailed: true})
		}
		if isTransient(err) && !lastAttempt {
			return err // retry with backoff
		}
		return s.settleFetch(ctx, j, acct, args, fetchResult{bankFailed: true})
	}
	// keep a session the bank gave afresh, for the next fetch
	reseal := func() error {
		var old sealedBankSession
		_ = s.unseal(acct.Credentials, "account:"+acct.ID, &old)
		bs := sealedBankSession{Token: sess.Token.Reveal(), ExpiresAt: sess.ExpiresAt, Persist: cmpStr(sess.Persist.Reveal(), old.Persist), Tenant: cmpStr(sess.Tenant, old.Tenant),
			ConsentExpiresAt: old.ConsentExpiresAt, Provider: old.Provider}
		var err error
		acct.Credentials, err = s.seal(bs, "account:"+acct.ID)
		return err
	}
	if refreshed {
		if err := reseal(); err != nil {
			return err
		}
	}

	var res fetchResult
	res.minSync = r.policy.MinSyncInterval
	var transient error
	switch {
	case balErr == nil:
		res.gotBalance, res.balance = true, bal.Balance
	case isTransient(balErr):
		transient = balErr
	case needsCustomer(balErr):
		res.reauth = true
	}
	syncing := acct.LastSyncedAt != nil && args.Reason != "link" && !args.Relinked
	var from time.Time
	if !syncing {
		var app *kobo.App
		if err := s.store.View(ctx, func(tx kobo.Tx) error {
			var err error
			app, err = tx.App(ctx, acct.AppID)
			return err
		}); err != nil {
			return err
		}
		from = historyFrom(s.clock.Now(), app)
	}
	if syncing {
		// every sync re-reads a window before the last one (the provider's
		// own when it is longer), so late postings and pending rows that
		// posted are seen
		from = acct.LastSyncedAt.Add(-max(7*24*time.Hour, r.policy.OverlapWindow))
	} else if j.Attempt > 1 && !args.Relinked {
		// A first fetch that was cut off (a crash, a bank error) resumes
		// where its committed rows end: banks send history oldest first
		// and pages commit in order, so everything before the newest row
		// stored is stored. A minute of overlap merges away.
		if newest, err := s.newestTxnDate(ctx, acct.ID); err != nil {
			return err
		} else if newest != nil && newest.After(from) {
			from = newest.Add(-time.Minute)
		}
	}
	now := s.now()
	adopted := map[string]bool{} // refs a relinked fetch has reported or given to stored rows
	// replaced are the refs of pending rows that posted rows name
	// (PendingRef): they go in the same transaction as the posted row
	var replaced []string
	toTxns := func(page []kobo.BankTransaction) []kobo.Transaction {
		txns := make([]kobo.Transaction, 0, len(page))
		for _, bt := range page {
			ref := bt.Ref
			if ref == "" {
				ref, bt.ProviderID = contentRef(bt), false // a source without ids: merge by date, amount and narration
			}
			if bt.PendingRef != "" && !bt.Pending && bt.PendingRef != ref {
				replaced = append(replaced, bt.PendingRef)
			}
			txns = append(txns, kobo.Transaction{ID: txnID(acct.ID, ref, bt.Date), AccountID: acct.ID, ProviderRef: ref, Type: bt.Type,
				Amount: bt.Amount, Narration: bt.Narration, Date: bt.Date.UTC().Truncate(time.Microsecond), Balance: bt.Balance,
				Currency: cmpStr(bt.Currency, acct.Currency), Category: s.categorize(bt.Narration, bt.Type, bt.Amount), CreatedAt: now, UpdatedAt: now,
				Pending: bt.Pending, ProviderID: bt.ProviderID, Meta: bt.Meta})
		}
		return txns
	}
	dropReplaced := func(tx kobo.Tx) error {
		if len(replaced) == 0 {
			return nil
		}
		n, err := tx.RemoveTransactions(ctx, acct.ID, replaced, now)
		res.newTxns += n
		replaced = replaced[:0]
		return err
	}
	// The first fetch commits in short transactions: on a single-writer
	// store each one holds the writer while API requests wait, so a few
	// milliseconds each keeps their latency flat (the merge makes a
	// half-written first fetch safe to redo).
	insert := func(txns []kobo.Transaction) error {
		for len(txns) > 0 {
			n := min(len(txns), firstFetchChunk)
			if err := s.store.Update(ctx, func(tx kobo.Tx) error {
				if args.Relinked {
					if err := adoptRows(ctx, tx, acct.ID, txns[:n], adopted); err != nil {
						return err
					}
				}
				m, err := tx.InsertTransactions(ctx, acct.ID, txns[:n])
				res.newTxns += m.Added + m.Modified
				if err != nil || len(txns) > n {
					return err
				}
				return dropReplaced(tx)
			}); err != nil {
				return err
			}
			txns = txns[n:]
		}
		return nil
	}
	var buffered []kobo.Transaction
	stream := func(from time.Time) error {
		return p.Transactions(ctx, sess, acct.ProviderRef, kobo.TxnQuery{From: from, PageSize: 1000}, func(page []kobo.BankTransaction) error {
			if syncing {
				// a sync window is small: hold it until the bank's answer is
				// checked against what we have (INCOMPLETE_STATEMENT_ERROR)
				buffered = append(buffered, toTxns(page)...)
				return nil
			}
			return insert(toTxns(page)) // the first fetch commits page by page
		})
	}
	err = stream(from)
	if kobo.BankErrorKindOf(err) == kobo.BankTokenExpired {
		// The bank ended the session part way through a long history: log
		// in again once and carry on from what is already committed (a
		// sync reads its small window again).
		var again error
		if sess, _, again = s.bankSession(ctx, r, inst, acct, true); again != nil {
			err = again
		} else if again = reseal(); again != nil {
			return again
		} else if syncing {
			buffered = buffered[:0]
			err = stream(from)
		} else if newest, again := s.newestTxnDate(ctx, acct.ID); again != nil {
			return again
		} else if newest != nil && newest.After(from) {
			err = stream(newest.Add(-time.Minute))
		} else {
			err = stream(from)
		}
	}
	switch {
	case err == nil:
		res.gotTxns = true
	case needsCustomer(balErr):
		res.reauth = true
	case isTransient(err) && transient == nil:
		transient = err
	}
	for _, e := range []error{balErr, err} {
		if kobo.BankErrorKindOf(e) == kobo.BankAppCredentials && res.appKeys == "" {
			res.appKeys, res.bankFailed = appKeysMessageOf(e), true
		}
	}
	if transient != nil && !lastAttempt && (!res.gotBalance || !res.gotTxns) && !res.reauth {
		return transient // what the first fetch committed stays; the retry fills the rest
	}
	if syncing && res.gotTxns {
		end := *acct.LastSyncedAt
		bankOverlap := 0
		for _, t := range buffered {
			// posted rows only, as stored is counted: pending holds come
			// and go without the statement being incomplete
			if !t.Date.After(end) && !t.Pending {
				bankOverlap++
			}
		}
		var stored int
		if err := s.store.View(ctx, func(tx kobo.Tx) error {
			var err error
			stored, err = tx.CountPostedTransactionsBetween(ctx, acct.ID, from, end)
			return err
		}); err != nil {
			return err
		}
		if bankOverlap < stored && !args.AllowIncomplete {
			res.incomplete = true
			return s.settleFetch(ctx, j, acct, args, res)
		}
		// The bank's answer is now the truth for the window (it reported at
		// least what kobo holds, or the partner passed
		// allow_incomplete_statement): rows it no longer reports are
		// marked removed in the same transaction as the merge, which is
		// what /transactions/sync lists under "removed".
		if err := s.store.Update(ctx, func(tx kobo.Tx) error {
			m, err := tx.InsertTransactions(ctx, acct.ID, buffered)
			if err != nil {
				return err
			}
			res.newTxns += m.Added + m.Modified
			refs, err := tx.TransactionRefsBetween(ctx, acct.ID, from, end)
			if err != nil {
				return err
			}
			reported := make(map[string]bool, len(buffered))
			for _, t := range buffered {
				reported[t.ProviderRef] = true
			}
			var gone []string
			for _, r := range refs {
				if !reported[r] {
					gone = append(gone, r)
				}
			}
			n, err := tx.RemoveTransactions(ctx, acct.ID, gone, now)
			res.newTxns += n
			if err != nil {
				return err
			}
			return dropReplaced(tx)
		}); err != nil {
			return err
		}
	}
	if id, err := p.Identity(ctx, sess, acct.ProviderRef); err == nil {
		res.identity = &id
	}
	if err := s.settleFetch(ctx, j, acct, args, res); err != nil {
		return err
	}
	if !syncing && res.newTxns >= largeFirstFetch {
		// the first big history on a fresh install would otherwise be
		// planned on an empty table's statistics; failing to analyse
		// costs speed, not data, so it is logged, not retried
		if ran, err := s.store.RefreshStats(ctx); err != nil {
			s.log.Warn("refreshing planner statistics failed", "account", acct.ID, "err", err)
		} else if ran {
			s.log.Info("planner statistics refreshed", "account", acct.ID, "transactions", res.newTxns)
		}
	}
	return nil
}

// adoptRows is the merge of a relink through another provider. Each
// incoming posted row whose ref kobo does not hold is matched to a stored
// posted row of the same day, direction and amount that this fetch has not
// reported (the narration breaks ties; providers spell it their own way),
// and that row takes the new ref: it keeps its kobo id and the merge then
// finds it, so history is neither doubled nor churned, and later syncs
// merge by the new provider's ids. seen holds the refs this fetch has
// already reported or given, across chunks.
func adoptRows(ctx context.Context, tx kobo.Tx, accountID string, txns []kobo.Transaction, seen map[string]bool) error {
	if len(txns) == 0 {
		return nil
	}
	from, to := txns[0].Date, txns[0].Date
	for _, t := range txns {
		seen[t.ProviderRef] = true
		from, to = minTime(from, t.Date), maxTime(to, t.Date)
	}
	dayOf := func(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
	lo, hi := dayOf(from), dayOf(to).Add(24*time.Hour-time.Microsecond)
	stored, err := tx.ListTransactions(ctx, kobo.TxnFilter{AccountID: accountID, From: &lo, To: &hi, Ascending: true})
	if err != nil {
		return err
	}
	type key struct {
		day    time.Time
		typ    kobo.TxnType
		amount int64
	}
	held := map[string]bool{}
	free := map[key][]kobo.Transaction{}
	for _, st := range stored {
		held[st.ProviderRef] = true
		if st.Pending || seen[st.ProviderRef] {
			continue
		}
		k := key{dayOf(st.Date), st.Type, st.Amount}
		free[k] = append(free[k], st)
	}
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }
	for _, t := range txns {
		if t.Pending || held[t.ProviderRef] {
			continue
		}
		k := key{dayOf(t.Date), t.Type, t.Amount}
		cands := free[k]
		if len(cands) == 0 {
			continue // a row the old provider never reported
		}
		pick := 0
		for i, c := range cands {
			if norm(c.Narration) == norm(t.Narration) {
				pick = i
				break
			}
		}
		old := cands[pick]
		free[k] = append(cands[:pick:pick], cands[pick+1:]...)
		if _, err := tx.RekeyTransaction(ctx, accountID, old.ProviderRef, t.ProviderRef, t.ProviderID); err != nil {
			return err
		}
		seen[old.ProviderRef], held[t.ProviderRef] = true, true
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// largeFirstFetch is how many rows a first fetch must add before it asks
// the store whether its planner statistics have fallen behind.
const largeFirstFetch = 500

// newestTxnDate is the date of the account's newest stored transaction.
func (s *Service) newestTxnDate(ctx context.Context, accountID string) (*time.Time, error) {
	var rows []kobo.Transaction
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		rows, err = tx.ListTransactions(ctx, kobo.TxnFilter{AccountID: accountID, Limit: 1})
		return err
	})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0].Date, nil
}

// firstFetchChunk is how many rows one first-fetch transaction writes.
const firstFetchChunk = 250

// appKeysMessageOf is what the partner is told when a provider refuses
// its keys (meteredProvider wrote it, naming the provider and the fix).
func appKeysMessageOf(err error) string {
	var be *kobo.BankError
	if errors.As(err, &be) && be.Message != "" {
		return be.Message
	}
	return "The provider refused this app's keys."
}

func isTransient(err error) bool {
	var be *kobo.BankError
	return errors.As(err, &be) && be.Transient()
}

type fetchResult struct {
	gotBalance, gotTxns bool
	balance             int64
	newTxns             int
	identity            *kobo.BankIdentity
	reauth, bankFailed  bool
	sealFailed          bool // kobo could not open the stored credentials
	// appKeys: the provider refused the app's own keys at it (what to
	// tell the partner); no retry helps until the partner fixes them
	appKeys    string
	incomplete bool
	// consentExpired: the customer's grant ended; nothing was asked of
	// the provider (re-authorisation, with its own message)
	consentExpired *kobo.AccountConsent
	// minSync is the provider's shortest gap between scheduled syncs
	minSync time.Duration
}

func (r fetchResult) outcome() SyncOutcome {
	switch {
	case r.consentExpired != nil:
		return SyncOutcome{Status: "failed", Code: SyncReauthRequired, Message: consentExpiredMessage(r.consentExpired)}
	case r.reauth:
		return SyncOutcome{Status: "failed", Code: SyncReauthRequired, Message: "The bank needs the customer to log in again; re-authorise the account."}
	case r.appKeys != "" && (!r.gotBalance || !r.gotTxns):
		return SyncOutcome{Status: "failed", Code: SyncError, Message: r.appKeys}
	case r.sealFailed:
		return SyncOutcome{Status: "failed", Code: SyncError, Message: "kobo could not open this account's stored bank credentials (a master key problem on kobo's side, not the bank's)."}
	case r.incomplete:
		return SyncOutcome{Status: "failed", Code: SyncIncompleteStmtErr,
			Message: "The bank returned fewer transactions than kobo has on record; retry later or pass allow_incomplete_statement=true."}
	case !r.gotBalance && !r.gotTxns:
		return SyncOutcome{Status: "failed", Code: SyncError, Message: "The bank is not responding; try again later."}
	}
	return SyncOutcome{Status: "successful", Code: SyncSuccessful, HasNewData: r.newTxns > 0}
}

// settleFetch writes the outcome of a fetch, its job result and its events
// in one transaction.
func (s *Service) settleFetch(ctx context.Context, j *kobo.Job, acct *kobo.Account, args FetchArgs, r fetchResult) error {
	now := s.now()
	out := r.outcome()
	settled := false // the account and its app still exist: the outcome was recorded
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		settled = false // a retried transaction starts over
		cur, err := tx.Account(ctx, acct.ID)
		if kobo.ErrorCode(err) == kobo.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		app, err := tx.App(ctx, cur.AppID)
		if kobo.ErrorCode(err) == kobo.ENOTFOUND {
			return nil // the app was deleted during the fetch: no event, no next sync
		}
		if err != nil {
			return err
		}
		if j.ID != "" {
			res, _ := json.Marshal(out)
			if err := tx.SetJobResult(ctx, j.ID, res); err != nil && kobo.ErrorCode(err) != kobo.ENOTFOUND {
				return err
			}
		}
		cur.Institution = acct.Institution
		if acct.Credentials != "" {
			cur.Credentials = acct.Credentials
		}
		if r.incomplete {
			return nil // nothing changed
		}
		if r.gotBalance {
			cur.Balance = r.balance
		}
		retrieved := map[string]bool{}
		for _, d := range cur.RetrievedData {
			retrieved[d] = true
		}
		retrieved["balance"] = retrieved["balance"] || r.gotBalance
		retrieved["transactions"] = retrieved["transactions"] || r.gotTxns
		if r.identity != nil {
			id := r.identity
			if err := tx.UpsertIdentity(ctx, &kobo.Identity{AccountID: cur.ID, FullName: id.FullName, Email: id.Email, Phone: id.Phone, Gender: id.Gender,
				DOB: id.DOB, BVN: id.BVN, MaritalStatus: id.MaritalStatus, AddressLine1: id.AddressLine1, AddressLine2: id.AddressLine2,
				StateOfOrigin: id.StateOfOrigin, LGAOfOrigin: id.LGAOfOrigin, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			retrieved["identity"] = true
			if cur.BVNLast4 == "" {
				cur.BVNLast4 = kobo.Last4(string(id.BVN))
			}
		}
		// An account the bank answers for but that holds nothing (no
		// transactions, no money) is UNAVAILABLE, which Mono keeps for "the
		// user's account has no data" as well as bank faults
		// (https://docs.mono.co/docs/financial-data/connect-link).
		noData := r.gotBalance && r.gotTxns && cur.TxnCount == 0 && cur.Balance == 0
		if noData {
			retrieved["balance"], retrieved["transactions"] = false, false
		}
		cur.RetrievedData = cur.RetrievedData[:0]
		for _, d := range []string{"identity", "balance", "transactions"} {
			if retrieved[d] {
				cur.RetrievedData = append(cur.RetrievedData, d)
			}
		}
		cur.DataStatus = kobo.NextDataStatus(cur.DataStatus, r.gotBalance, r.gotTxns, false)
		if noData {
			cur.DataStatus = kobo.DataUnavailable
		}
		cur.UpdatedAt = now
		wasReauth := cur.ReauthRequired
		cur.ReauthRequired = r.reauth
		if r.gotBalance || r.gotTxns {
			cur.LastSyncedAt = &now
		}
		if !r.reauth {
			next := now.Add(max(time.Duration(app.SyncFrequency)*time.Hour, r.minSync))
			cur.NextSyncAt = &next
		} else {
			cur.NextSyncAt = nil // sync stops until the customer re-authorises
		}
		if err := tx.UpdateAccount(ctx, cur); err != nil {
			return err
		}
		if args.Reason == "realtime" {
			status := "finished"
			if out.Status == "failed" {
				status = "failed"
			}
			if err := s.recordEvent(ctx, tx, app, cur, kobo.EventFacts{Type: kobo.EventJobUpdate, JobID: j.ID, JobName: cmpStr(args.Job, JobSyncStatement), JobStatus: status}); err != nil {
				return err
			}
		}
		if r.reauth && !wasReauth {
			if err := s.recordEvent(ctx, tx, app, cur, kobo.EventFacts{Type: kobo.EventReauthRequired}); err != nil {
				return err
			}
		}
		if r.bankFailed && args.Reason == "sync" {
			if err := s.recordEvent(ctx, tx, app, cur, kobo.EventFacts{Type: kobo.EventSyncFailed, DataStatus: cur.DataStatus, SyncStatus: "FAILED"}); err != nil {
				return err
			}
		}
		f := kobo.EventFacts{Type: kobo.EventAccountUpdated, DataStatus: cur.DataStatus, RetrievedData: cur.RetrievedData, JobID: j.ID}
		if args.Reason != "link" {
			f.SyncStatus = syncStatusOf(out)
			// Mono sends has_new_data only when the job found new data
			// (https://docs.mono.co/docs/financial-data/realtime-data)
			if r.newTxns > 0 {
				hasNew := true
				f.HasNewData = &hasNew
			}
		}
		settled = true
		return s.recordEvent(ctx, tx, app, cur, f)
	})
	if err == nil {
		s.notify()
		s.fetchOutcome(cmpStr(args.Reason, "link"), out.Code)
		// usage counts syncs, not the first fetch of a link or a re-authorisation
		if reason := cmpStr(args.Reason, "link"); settled && out.Status == "successful" && reason != "link" && reason != "reauth" {
			s.countSync(acct.AppID, acct.Live)
		}
	}
	return err
}

func syncStatusOf(o SyncOutcome) string {
	switch o.Code {
	case SyncSuccessful:
		return "SUCCESSFUL"
	case SyncReauthRequired:
		return "REAUTHORISATION_REQUIRED"
	}
	return "FAILED"
}

// appLive reports whether an app exists and is not deleted.
func (s *Service) appLive(ctx context.Context, appID string) (bool, error) {
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		_, err := tx.App(ctx, appID)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return false, nil
	}
	return err == nil, err
}

// putOffSync moves a scheduled sync the provider's policy refuses to the
// first time it allows, recording the job's outcome; nothing else changes.
func (s *Service) putOffSync(ctx context.Context, j *kobo.Job, acct *kobo.Account, next time.Time) error {
	out, _ := json.Marshal(SyncOutcome{Status: "successful", Code: SyncSuccessful, Message: "The provider refreshes this account no oftener; the sync runs at " + next.UTC().Format(time.RFC3339) + "."})
	return s.store.Update(ctx, func(tx kobo.Tx) error {
		cur, err := tx.Account(ctx, acct.ID)
		if err != nil {
			return err
		}
		next := next.UTC().Truncate(time.Microsecond)
		cur.NextSyncAt = &next
		if err := tx.UpdateAccount(ctx, cur); err != nil {
			return err
		}
		if j.ID != "" {
			if err := tx.SetJobResult(ctx, j.ID, out); err != nil && kobo.ErrorCode(err) != kobo.ENOTFOUND {
				return err
			}
		}
		return nil
	})
}

// needsCustomer reports a provider error only the customer can fix: the
// provider wants a login (MFA), or refuses the stored grant (revoked
// consent, expired access, a changed password). Syncs map it to
// REAUTHORISATION_REQUIRED, whichever provider said it.
func needsCustomer(err error) bool {
	switch kobo.BankErrorKindOf(err) {
	case kobo.BankMFARequired, kobo.BankBadCredentials, kobo.BankLocked:
		return true
	}
	return false
}

// contentRef is the merge key of a transaction whose source gives no id:
// its date, direction, amount and narration (the same row read twice gets
// the same key; two identical rows on one day merge, which is the price of
// a source without ids).
func contentRef(bt kobo.BankTransaction) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%d|%s", bt.Date.UTC().Format(time.RFC3339), bt.Type, bt.Amount, bt.Narration))
	return "kobo:" + hex.EncodeToString(sum[:12])
}
