package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/postgres/pgtest"
	"github.com/kobo-oss/kobo/internal/vault"
	"github.com/kobo-oss/kobo/internal/webhook"
)

// fakeBank is a function-field fake of a bank connector: each test
// scripts what the bank answers.
type fakeBank struct {
	login   func(req kobo.LoginRequest) (kobo.LoginStep, error)
	answer  func(ch kobo.Challenge, f map[string]kobo.Secret) (kobo.LoginStep, error)
	list    func() ([]kobo.BankAccount, error)
	txns    func(q kobo.TxnQuery) ([]kobo.BankTransaction, error)
	balance func() (kobo.BankBalance, error)
}

func (f *fakeBank) Login(ctx context.Context, req kobo.LoginRequest) (kobo.LoginStep, error) {
	return f.login(req)
}
func (f *fakeBank) Answer(ctx context.Context, ch kobo.Challenge, fields map[string]kobo.Secret) (kobo.LoginStep, error) {
	return f.answer(ch, fields)
}
func (f *fakeBank) Accounts(ctx context.Context, s kobo.BankSession) ([]kobo.BankAccount, error) {
	return f.list()
}
func (f *fakeBank) Balance(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankBalance, error) {
	if f.balance != nil {
		return f.balance()
	}
	return kobo.BankBalance{Ref: ref, Balance: 777_00, Currency: "NGN"}, nil
}
func (f *fakeBank) Transactions(ctx context.Context, s kobo.BankSession, ref string, q kobo.TxnQuery, fn func([]kobo.BankTransaction) error) error {
	if f.txns == nil {
		return nil
	}
	list, err := f.txns(q)
	if err != nil {
		return err
	}
	return fn(list)
}
func (f *fakeBank) Identity(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankIdentity, error) {
	return kobo.BankIdentity{FullName: "ADA OBI", BVN: "22123456789", DOB: "1990-01-02"}, nil
}

// session is what the fake bank hands out: a token that lasts five minutes
// of the test clock (which starts at 2026-05-01 12:00 UTC), so later syncs
// must log in again with the persisted credentials.
var session = &kobo.BankSession{Token: "tok", Persist: "persist", ExpiresAt: time.Date(2026, 5, 1, 12, 5, 0, 0, time.UTC)}

func oneAccount() ([]kobo.BankAccount, error) {
	return []kobo.BankAccount{{Ref: "acc-1", Number: "0123456789", Name: "ADA OBI", Type: "SAVINGS ACCOUNT", Currency: "NGN", Balance: 5000_00, BVN: "22123456789"}}, nil
}

func twoAccounts() ([]kobo.BankAccount, error) {
	a, _ := oneAccount()
	return append(a, kobo.BankAccount{Ref: "acc-2", Number: "0987654321", Name: "ADA OBI", Type: "CURRENT ACCOUNT", Currency: "NGN", Balance: 10}), nil
}

var otpForm = kobo.UIForm{Title: "Please input OTP sent to you", Form: []kobo.FormField{{Type: "elements.input", Name: "otp", Hint: "OTP", ContentType: "string", MaxLength: 6}}}

// scripted returns a bank: password "secret" logs in; "otp" users get an
// OTP challenge answered by 123456; anything else is wrong.
func scripted(list func() ([]kobo.BankAccount, error), mfa bool) *fakeBank {
	return &fakeBank{
		login: func(req kobo.LoginRequest) (kobo.LoginStep, error) {
			if req.Fields["password"].Reveal() != "secret" {
				return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "Invalid credentials"}
			}
			if mfa {
				return kobo.LoginStep{Challenge: &kobo.Challenge{Ref: "ch1", Kind: "otp", UI: otpForm}}, nil
			}
			return kobo.LoginStep{Session: session}, nil
		},
		answer: func(ch kobo.Challenge, f map[string]kobo.Secret) (kobo.LoginStep, error) {
			if ch.Ref != "ch1" || f["otp"].Reveal() != "123456" {
				return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "Invalid OTP Sent"}
			}
			return kobo.LoginStep{Session: session}, nil
		},
		list: list,
	}
}

type connectBundle struct {
	bundle
	caller *kobo.Caller
	inst   *kobo.Institution
}

func setupConnect(t *testing.T, bank kobo.Provider) connectBundle {
	t.Helper()
	b := setup(t)
	return setupConnectOn(t, b, bank)
}

// connectService is the service setupConnect runs: another over the same
// database is another replica.
func connectService(t *testing.T, st kobo.Store, clock kobo.Clock, bank kobo.Provider) *app.Service {
	t.Helper()
	v, err := vault.New([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	return app.New(app.Config{Store: st, Clock: clock, Sealer: v, FingerprintKey: []byte("fp"), Renderer: webhook.Renderer{},
		Providers: map[string]kobo.Provider{"fake": bank}, PasswordParams: app.PasswordParams{Memory: 64, Time: 1, Threads: 1}})
}

// setupConnectOn is setupConnect over b's store (a Postgres replica's, say).
func setupConnectOn(t *testing.T, b bundle, bank kobo.Provider) connectBundle {
	t.Helper()
	b.svc = connectService(t, b.store, b.clock, bank)
	ctx := context.Background()
	inst := kobo.Institution{ID: "5f2d08be60b92e2888287702", Name: "GTBank", Type: kobo.PersonalBanking, BankCode: "058", Country: "ng", Provider: "fake",
		AuthMethods: []kobo.AuthMethod{{ID: "60d071acf73e6468062ae8de", Type: kobo.InternetBanking, Name: "Internet Banking", UI: kobo.UIForm{Title: "Log in",
			Form: []kobo.FormField{{Type: "elements.input", Name: "username", Hint: "User", ContentType: "string"}, {Type: "elements.input", Name: "password", Hint: "Password", ContentType: "password"}}}}}}
	if err := b.svc.SeedInstitutions(ctx, []kobo.Institution{inst}); err != nil {
		t.Fatal(err)
	}
	p := signup(t, b, "connect@ada.ng")
	d, err := b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: ptr("loans")})
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.svc.AuthenticateKey(ctx, d.SecretKeys[kobo.ModeTest].Reveal(), kobo.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	return connectBundle{bundle: b, caller: c, inst: &inst}
}

func (b connectBundle) session(t *testing.T) *kobo.ConnectSession {
	t.Helper()
	cs, _, err := b.svc.CreateSession(context.Background(), b.caller, app.SessionInput{InstitutionID: b.inst.ID, AuthMethod: kobo.InternetBanking, CustomerEmail: "ada@obi.ng"})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

var goodLogin = map[string]string{"username": "ada", "password": "secret"}

func TestTransitionTable(t *testing.T) {
	t.Parallel()
	states := []kobo.SessionState{kobo.SessionCreated, kobo.SessionMFARequired, kobo.SessionAccountSelect, kobo.SessionLinked, kobo.SessionExchanged, kobo.SessionFailed}
	want := map[string]bool{
		"created→created": true, "created→mfa_required": true, "created→account_select": true, "created→linked": true, "created→failed": true,
		"mfa_required→mfa_required": true, "mfa_required→account_select": true, "mfa_required→linked": true, "mfa_required→failed": true,
		"account_select→account_select": true, "account_select→linked": true, "account_select→failed": true,
		"linked→exchanged": true, "linked→failed": true,
	}
	for _, from := range states {
		for _, to := range states {
			key := string(from) + "→" + string(to)
			if got := app.CanTransition(from, to); got != want[key] {
				t.Errorf("CanTransition(%s) = %v, want %v", key, got, want[key])
			}
		}
	}
}

func TestConnectSingleAccount(t *testing.T) {
	t.Parallel()
	b := setupConnect(t, scripted(oneAccount, false))
	ctx := context.Background()
	cs := b.session(t)
	step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, goodLogin)
	if err != nil {
		t.Fatal(err)
	}
	if step.ResponseCode != 99 || !strings.HasPrefix(step.Code, "code_") {
		t.Fatalf("step = %+v", step)
	}
	acct, err := b.svc.Exchange(ctx, b.caller, step.Code)
	if err != nil {
		t.Fatal(err)
	}
	if acct.DataStatus != kobo.DataProcessing || acct.AccountNumber != "0123456789" || acct.BVNLast4 != "6789" || acct.CustomerID == "" {
		t.Fatalf("account = %+v", acct)
	}
	if strings.Contains(string(acct.Credentials), "persist") || acct.Credentials == "" {
		t.Fatalf("credentials not sealed: %q", acct.Credentials)
	}
	// the code works once
	_, err = b.svc.Exchange(ctx, b.caller, step.Code)
	code(t, err, kobo.EGONE)
	// events: account_connected, and a fetch job was queued
	var evs []*kobo.Event
	b.store.View(ctx, func(tx kobo.Tx) error { evs, err = tx.EventsByAccount(ctx, acct.ID); return err })
	if len(evs) != 1 || evs[0].Type != kobo.EventAccountConnected {
		t.Fatalf("events = %+v", evs)
	}
}

func TestConnectMFAAndAccountChoice(t *testing.T) {
	t.Parallel()
	b := setupConnect(t, scripted(twoAccounts, true))
	ctx := context.Background()
	cs := b.session(t)
	// fields not in the form are refused, naming them
	_, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"username": "ada", "password": "secret", "pin": "1"})
	if e := code(t, err, kobo.EINVALID); e.Fields["pin"] == "" {
		t.Fatalf("unknown field not named: %v", e)
	}
	_, err = b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"username": "ada"})
	if e := code(t, err, kobo.EINVALID); e.Fields["password"] == "" {
		t.Fatalf("missing field not named: %v", e)
	}
	step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, goodLogin)
	if err != nil || step.ResponseCode != 102 || step.Form.Form[0].Name != "otp" {
		t.Fatalf("login = %+v, %v", step, err)
	}
	// commit fields are checked against the last 102 form: what it asks
	// for is required, what it does not ask for is ignored (Mono's commit
	// example sends {accountNumber, otp} whatever the step)
	_, err = b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{"answer": "x"})
	if e := code(t, err, kobo.EINVALID); e.Fields["answer"] != "" || e.Fields["otp"] == "" {
		t.Fatalf("commit with wrong fields: %v", e)
	}
	_, err = b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{"otp": "000000"})
	if e := code(t, err, kobo.EINVALID); !strings.Contains(e.Message, "Invalid OTP") {
		t.Fatalf("wrong OTP: %v", e)
	}
	step, err = b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{"otp": "123456"})
	if err != nil || step.ResponseCode != 101 || len(step.Accounts) != 2 || step.Accounts[1].AccountNumber != "0987654321" {
		t.Fatalf("after OTP = %+v, %v", step, err)
	}
	_, err = b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{"account": "7"})
	code(t, err, kobo.EINVALID)
	step, err = b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{"accountNumber": "0987654321"})
	if err != nil || step.ResponseCode != 99 {
		t.Fatalf("choose = %+v, %v", step, err)
	}
	acct, err := b.svc.Exchange(ctx, b.caller, step.Code)
	if err != nil || acct.ProviderRef != "acc-2" || acct.Type != "CURRENT ACCOUNT" {
		t.Fatalf("exchange = %+v, %v", acct, err)
	}
}

func TestConnectWrongAnswersFailSession(t *testing.T) {
	t.Parallel()
	b := setupConnect(t, scripted(oneAccount, true))
	ctx := context.Background()
	cs := b.session(t)
	if _, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, goodLogin); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		_, err := b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{"otp": "999999"})
		code(t, err, kobo.EINVALID)
	}
	_, err := b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{"otp": "123456"})
	if e := code(t, err, kobo.EGONE); !strings.Contains(e.Message, "failed") {
		t.Fatalf("after 3 wrong OTPs: %v", e)
	}
	// wrong passwords too
	cs = b.session(t)
	for i := 0; i < 3; i++ {
		_, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"username": "ada", "password": "nope"})
		code(t, err, kobo.EINVALID)
	}
	_, err = b.svc.ConnectLogin(ctx, b.caller, cs.ID, goodLogin)
	code(t, err, kobo.EGONE)
}

func TestConnectIsolationAndExpiry(t *testing.T) {
	t.Parallel()
	b := setupConnect(t, scripted(oneAccount, false))
	ctx := context.Background()
	cs := b.session(t)
	// another app's key cannot drive the session or use its code
	p := signup(t, b.bundle, "rival@ada.ng")
	d, _ := b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: ptr("rival")})
	rival, _ := b.svc.AuthenticateKey(ctx, d.SecretKeys[kobo.ModeTest].Reveal(), kobo.SecretKey)
	_, err := b.svc.ConnectLogin(ctx, rival, cs.ID, goodLogin)
	code(t, err, kobo.ENOTFOUND)
	step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, goodLogin)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.svc.Exchange(ctx, rival, step.Code)
	code(t, err, kobo.EINVALID)
	_, err = b.svc.Exchange(ctx, b.caller, "code_nonexistent")
	code(t, err, kobo.EINVALID)
	// codes expire after 10 minutes
	b.clock.Add(app.CodeTTL + time.Second)
	_, err = b.svc.Exchange(ctx, b.caller, step.Code)
	code(t, err, kobo.EGONE)
	// sessions expire after 15 minutes
	cs = b.session(t)
	b.clock.Add(app.SessionTTL)
	_, err = b.svc.ConnectLogin(ctx, b.caller, cs.ID, goodLogin)
	code(t, err, kobo.EGONE)
	_, err = b.svc.ConnectLogin(ctx, b.caller, "sess_nope", goodLogin)
	code(t, err, kobo.ENOTFOUND)
}

// TestConcurrentCommits: several commits on one session at once; exactly
// one links the account.
func TestConcurrentCommits(t *testing.T) {
	t.Parallel()
	bank := scripted(twoAccounts, false)
	b := setupConnect(t, bank)
	ctx := context.Background()
	cs := b.session(t)
	if step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, goodLogin); err != nil || step.ResponseCode != 101 {
		t.Fatalf("login = %+v %v", step, err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes, conflicts := 0, 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			step, err := b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{"account": fmt.Sprint(i % 2)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && step.ResponseCode == 99:
				codes++
			case kobo.ErrorCode(err) == kobo.ECONFLICT, kobo.ErrorCode(err) == kobo.EINVALID:
				conflicts++
			default:
				t.Errorf("commit %d: %+v %v", i, step, err)
			}
		}(i)
	}
	wg.Wait()
	if codes != 1 || conflicts != 7 {
		t.Fatalf("codes = %d, refused = %d; want exactly one success", codes, conflicts)
	}
}

func TestFetchAccount(t *testing.T) {
	t.Parallel()
	bank := scripted(oneAccount, false)
	bal := int64(5000_00)
	bank.txns = func(q kobo.TxnQuery) ([]kobo.BankTransaction, error) {
		var out []kobo.BankTransaction
		for i := 0; i < 3000; i++ {
			b := bal + int64(i)
			out = append(out, kobo.BankTransaction{Ref: fmt.Sprint("t", i), Date: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour),
				Type: kobo.Credit, Amount: 1, Balance: &b, Narration: "NIP/TRF", Currency: "NGN"})
		}
		return out, nil
	}
	b := setupConnect(t, bank)
	ctx := context.Background()
	cs := b.session(t)
	step, _ := b.svc.ConnectLogin(ctx, b.caller, cs.ID, goodLogin)
	acct, err := b.svc.Exchange(ctx, b.caller, step.Code)
	if err != nil {
		t.Fatal(err)
	}
	args, _ := json.Marshal(app.FetchArgs{AccountID: acct.ID, Reason: "link"})
	job := &kobo.Job{ID: "j1", Kind: app.JobFetchAccount, Args: args, Attempt: 1, MaxAttempts: 6}
	if err := b.svc.FetchAccount(ctx, job); err != nil {
		t.Fatal(err)
	}
	got, err := b.svc.Account(ctx, b.caller, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.DataStatus != kobo.DataAvailable || got.Balance != 777_00 || strings.Join(got.RetrievedData, ",") != "identity,balance,transactions" || got.LastSyncedAt == nil {
		t.Fatalf("after fetch: %+v", got)
	}
	// re-running the job (a crash after commit) duplicates nothing
	if err := b.svc.FetchAccount(ctx, job); err != nil {
		t.Fatal(err)
	}
	var n int
	b.store.View(ctx, func(tx kobo.Tx) error { n, err = tx.CountTransactions(ctx, acct.ID); return err })
	if n != 3000 {
		t.Fatalf("transactions after two fetches = %d, want 3000", n)
	}
	var evs []*kobo.Event
	b.store.View(ctx, func(tx kobo.Tx) error { evs, err = tx.EventsByAccount(ctx, acct.ID); return err })
	if len(evs) != 3 || evs[1].Type != kobo.EventAccountUpdated || !strings.Contains(string(evs[1].Payload), "AVAILABLE") {
		t.Fatalf("events = %d: %s", len(evs), evs[len(evs)-1].Payload)
	}

	// a bank whose transactions fail gives PARTIAL
	bank.txns = func(kobo.TxnQuery) ([]kobo.BankTransaction, error) {
		return nil, &kobo.BankError{Kind: kobo.BankInvalidData, Err: errors.New("garbage")}
	}
	cs = b.session(t)
	step, _ = b.svc.ConnectLogin(ctx, b.caller, cs.ID, goodLogin)
	acct2, _ := b.svc.Exchange(ctx, b.caller, step.Code)
	args, _ = json.Marshal(app.FetchArgs{AccountID: acct2.ID, Reason: "link"})
	if err := b.svc.FetchAccount(ctx, &kobo.Job{Args: args, Attempt: 1, MaxAttempts: 6}); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.svc.Account(ctx, b.caller, acct2.ID); got.DataStatus != kobo.DataPartial {
		t.Fatalf("transactions failing: status %s, want PARTIAL", got.DataStatus)
	}
}

// Exchanges of one code racing, on one process and on two replicas of one
// Postgres database: exactly one links the account (one account, one
// account_connected event); every other is told the code is gone.
func TestConcurrentExchangesLinkOnce(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, svcs []*app.Service, b connectBundle) {
		ctx := context.Background()
		for round := range 5 {
			cs := b.session(t)
			step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, goodLogin)
			if err != nil || step.Code == "" {
				t.Fatalf("login: %v %+v", err, step)
			}
			var wins, gone atomic.Int32
			var ids sync.Map
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() {
					acct, err := svcs[i%len(svcs)].Exchange(ctx, b.caller, step.Code)
					switch kobo.ErrorCode(err) {
					case "":
						wins.Add(1)
						ids.Store(acct.ID, true)
					case kobo.EGONE:
						gone.Add(1)
					default:
						t.Errorf("round %d: exchange: %v", round, err)
					}
				})
			}
			wg.Wait()
			if wins.Load() != 1 || gone.Load() != 7 {
				t.Fatalf("round %d: %d exchanges linked and %d were told the code is gone; want 1 and 7", round, wins.Load(), gone.Load())
			}
			ids.Range(func(k, _ any) bool {
				var evs []*kobo.Event
				b.store.View(ctx, func(tx kobo.Tx) error { evs, err = tx.EventsByAccount(ctx, k.(string)); return err })
				if len(evs) != 1 || evs[0].Type != kobo.EventAccountConnected {
					t.Errorf("round %d: events %+v, want one account_connected", round, evs)
				}
				return true
			})
		}
		var total int
		b.store.View(ctx, func(tx kobo.Tx) error {
			_, n, err := tx.ListAccounts(ctx, b.caller.App.ID, false, 1, 0)
			total = n
			return err
		})
		if total != 5 {
			t.Errorf("%d accounts after 5 codes exchanged, want 5", total)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		b := setupConnect(t, scripted(oneAccount, false))
		run(t, []*app.Service{b.svc}, b)
	})
	t.Run("postgres replicas", func(t *testing.T) {
		t.Parallel()
		pa, pb := pgtest.Replicas(t)
		clock := &testClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
		a := setupConnectOn(t, bundle{store: pa, clock: clock}, scripted(oneAccount, false))
		run(t, []*app.Service{a.svc, connectService(t, pb, clock, scripted(oneAccount, false))}, a)
	})
}
