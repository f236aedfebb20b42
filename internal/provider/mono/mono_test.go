package mono

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// fakeMono serves recorded Mono responses (testdata/, each from the
// docs.mono.co page the test cites) by "METHOD path" and records what
// kobo sent. A route answers its files in turn, the last one repeating.
type fakeMono struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	routes map[string][]reply
	seen   []seenReq
}

type reply struct {
	status int
	file   string
	header map[string]string
}

type seenReq struct {
	method, path, query string
	header              http.Header
	body                map[string]any
}

func newFake(t *testing.T) *fakeMono {
	f := &fakeMono{t: t, routes: map[string][]reply{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeMono) on(route string, replies ...reply) { f.routes[route] = replies }

func ok(file string) reply { return reply{status: 200, file: file} }

func (f *fakeMono) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(b, &body)
	f.mu.Lock()
	f.seen = append(f.seen, seenReq{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), body: body})
	key := r.Method + " " + r.URL.Path
	rs := f.routes[key]
	if len(rs) == 0 {
		f.mu.Unlock()
		http.Error(w, `{"message":"no route"}`, 404)
		return
	}
	rp := rs[0]
	if len(rs) > 1 {
		f.routes[key] = rs[1:]
	}
	f.mu.Unlock()
	for k, v := range rp.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rp.status)
	if rp.file != "" {
		data, err := os.ReadFile(filepath.Join("testdata", rp.file))
		if err != nil {
			w.Write([]byte(rp.file)) // an inline body
			return
		}
		w.Write(data)
	}
}

func (f *fakeMono) requests(route string) []seenReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []seenReq
	for _, s := range f.seen {
		if s.method+" "+s.path == route {
			out = append(out, s)
		}
	}
	return out
}

var creds = kobo.ProviderCredentials{CredSecretKey: "test_sk_abc", CredPublicKey: "test_pk_abc", CredWebhookSecret: "sec_webhook_key"}

var gtbank = kobo.Institution{ID: "kobo-gtb", Name: "GTBank", Type: kobo.PersonalBanking, BankCode: "058", Country: "ng",
	AuthMethods: []kobo.AuthMethod{{Type: kobo.InternetBanking}}}

func newProvider(f *fakeMono, c Config) *Provider {
	c.BaseURL = f.srv.URL
	c.Backoff = time.Millisecond
	return New(c)
}

func kindOf(t *testing.T, err error, want kobo.BankErrorKind) *kobo.BankError {
	t.Helper()
	var be *kobo.BankError
	if !errors.As(err, &be) || be.Kind != want {
		t.Fatalf("error %v, want a %s BankError", err, want)
	}
	return be
}

// TestLoginOTP forwards a login through the Partners API: institutions
// (docs.mono.co/docs/connect-api-integration-guide), session and login
// (docs.mono.co/docs/financial-data/partners-api-guide/integration-guide:
// 102 with data.userInput), commit (99 with data.code) and the exchange
// (docs.mono.co/docs/auth: the bare {"id"}).
func TestLoginOTP(t *testing.T) {
	f := newFake(t)
	f.on("GET /v1/institutions", ok("institutions_v1.json"))
	f.on("POST /v2/connect/session", ok("session.json"))
	f.on("POST /v2/connect/login", ok("login_102.json"))
	f.on("POST /v2/connect/commit", reply{status: 400, file: "commit_400.json"}, ok("commit_99.json"))
	f.on("POST /v2/accounts/auth", ok("exchange_v1.json"))
	p := newProvider(f, Config{})
	ctx := context.Background()
	step, err := p.Login(ctx, kobo.LoginRequest{Institution: gtbank, AuthMethod: kobo.InternetBanking, Interactive: true, Credentials: creds,
		Fields: map[string]kobo.Secret{"username": "ada", "password": "pw"}})
	if err != nil {
		t.Fatal(err)
	}
	if step.Challenge == nil || step.Challenge.Kind != "otp" || step.Challenge.UI.Title != "Please input OTP sent to you" || step.Challenge.Ref != "sess_vmx9qk1qmwmw8tgmad460fg7" {
		t.Fatalf("step = %+v", step)
	}
	sess := f.requests("POST /v2/connect/session")[0]
	if sess.header.Get("mono-sec-key") != "test_sk_abc" || sess.body["institution"] != "5f2d08be60b92e2888287702" || sess.body["scope"] != "financial_data" {
		t.Fatalf("session request = %+v", sess)
	}
	login := f.requests("POST /v2/connect/login")[0]
	if login.header.Get("x-session-id") != "sess_vmx9qk1qmwmw8tgmad460fg7" || login.body["username"] != "ada" || login.body["password"] != "pw" {
		t.Fatalf("login request = %+v", login)
	}
	ch := *step.Challenge
	ch.Credentials = creds
	_, err = p.Answer(ctx, ch, map[string]kobo.Secret{"otp": "000000"})
	if be := kindOf(t, err, kobo.BankBadCredentials); be.Message != "Invalid OTP Sent" {
		t.Fatalf("message = %q", be.Message)
	}
	step, err = p.Answer(ctx, ch, map[string]kobo.Secret{"otp": "123456"})
	if err != nil {
		t.Fatal(err)
	}
	if step.Session == nil || step.Session.Token != "5f171a530295e231abca1153" || step.Session.Persist != "5f171a530295e231abca1153" {
		t.Fatalf("session = %+v", step.Session)
	}
	if ex := f.requests("POST /v2/accounts/auth")[0]; ex.body["code"] != "code_euTJM7yOuohSpSFVoBtc" {
		t.Fatalf("exchange = %+v", ex)
	}
	// without Credentials on the challenge there is no key to send
	_, err = p.Answer(ctx, kobo.Challenge{Ref: "sess_x"}, nil)
	if !errors.Is(err, ErrAppKey) {
		t.Fatalf("answer without credentials: %v", err)
	}
}

// TestLoginSeveralAccounts: Mono's 101 (integration guide: data.accounts)
// is a pending session whose accounts the customer picks from; the pick
// is committed as {accountNumber} and the code exchanged (the v2 clients'
// data.id shape), and the account read (docs.mono.co/api/bank-data/accounts/details).
func TestLoginSeveralAccounts(t *testing.T) {
	f := newFake(t)
	f.on("GET /v1/institutions", ok("institutions_v1.json"))
	f.on("POST /v2/connect/session", ok("session.json"))
	f.on("POST /v2/connect/login", ok("login_101.json"))
	f.on("POST /v2/connect/commit", ok("commit_99.json"))
	f.on("POST /v2/accounts/auth", ok("exchange_data.json"))
	f.on("GET /v2/accounts/6972325e62fa67a33f88840a", ok("account.json"))
	p := newProvider(f, Config{})
	ctx := context.Background()
	step, err := p.Login(ctx, kobo.LoginRequest{Institution: gtbank, AuthMethod: kobo.InternetBanking, Interactive: true, Credentials: creds,
		Fields: map[string]kobo.Secret{"username": "ada", "password": "pw"}})
	if err != nil || step.Session == nil {
		t.Fatalf("step %+v, %v", step, err)
	}
	sess := *step.Session
	sess.Credentials = creds
	list, err := p.Accounts(ctx, sess)
	if err != nil || len(list) != 2 || list[1].Number != "0131883462" || list[1].Balance != 2500 || list[0].Type != "SAVINGS_ACCOUNT" {
		t.Fatalf("accounts %+v, %v", list, err)
	}
	if sess.Persist != "" {
		t.Fatal("a pending session must not be what an account keeps")
	}
	if _, err := p.Balance(ctx, sess, list[1].Ref); err == nil {
		t.Fatal("a pending session read data")
	}
	out, acct, err := p.ChooseAccount(ctx, sess, list[1].Ref)
	if err != nil {
		t.Fatal(err)
	}
	if c := f.requests("POST /v2/connect/commit")[0]; c.body["accountNumber"] != "0131883462" || c.header.Get("x-session-id") != "sess_vmx9qk1qmwmw8tgmad460fg7" {
		t.Fatalf("commit = %+v", c)
	}
	if out.Token != "6972325e62fa67a33f88840a" || acct.Ref != "6972325e62fa67a33f88840a" || acct.Number != "1234567890" || acct.Balance != 73573 ||
		acct.BVN != "6115" || acct.Institution != "GTBank" || len(acct.Identifiers) != 1 || acct.Identifiers[0].Scheme != kobo.SchemeNUBAN {
		t.Fatalf("chose %+v, %+v", out, acct)
	}
	// a linked session's ref comes back as it is
	same, a2, err := p.ChooseAccount(ctx, out, acct.Ref)
	if err != nil || same.Token != out.Token || a2.Ref != acct.Ref {
		t.Fatalf("linked choose: %+v %+v %v", same, a2, err)
	}
	if _, _, err := p.ChooseAccount(ctx, sess, "pending|999"); err == nil {
		t.Fatal("an account Mono never offered was chosen")
	}
}

// TestInstitutionsV3Fallback: a v1 list without the bank's code falls back
// to v3's bank_code filter (docs.mono.co/docs/financial-data/partners-api-guide/integration-guide),
// and the list is cached.
func TestInstitutionsV3Fallback(t *testing.T) {
	f := newFake(t)
	f.on("GET /v1/institutions", ok("institutions_v1.json"))
	f.on("GET /v3/institutions", ok("institutions_v3.json"))
	p := newProvider(f, Config{})
	access := kobo.Institution{Name: "Access Bank", Type: kobo.PersonalBanking, BankCode: "044", Country: "ng"}
	for i := 0; i < 2; i++ {
		id, err := p.institutionID(context.Background(), "test_sk_abc", access)
		if err != nil || id != "5f2d08bf60b92e2888287703" {
			t.Fatalf("Access Bank: %q, %v", id, err)
		}
		biz, err := p.institutionID(context.Background(), "test_sk_abc", kobo.Institution{BankCode: "058", Type: kobo.BusinessBanking})
		if err != nil || biz != "5f2d08be60b92e2888287777" {
			t.Fatalf("GTBank business: %q, %v", biz, err)
		}
	}
	if n := len(f.requests("GET /v1/institutions")); n != 1 {
		t.Fatalf("the institution list was fetched %d times, want once (cached)", n)
	}
	if _, err := p.institutionID(context.Background(), "test_sk_abc", kobo.Institution{Name: "Nowhere MFB", BankCode: "999999"}); err == nil {
		t.Fatal("a bank Mono does not list was found")
	} else {
		kindOf(t, err, kobo.BankNotFound)
	}
}

// TestData reads details, balance (docs.mono.co/docs/financial-data/realtime-data),
// every page of transactions (docs.mono.co/api/bank-data/transactions: v2's
// meta with a next link that omits /accounts/; the v1 shape of
// docs.mono.co/docs/transactions-1 with paging, _id and "Naira") and
// identity (docs.mono.co/docs/financial-data/identity).
func TestData(t *testing.T) {
	f := newFake(t)
	const id = "6972325e62fa67a33f88840a"
	f.on("GET /v2/accounts/"+id+"/balance", ok("balance.json"))
	f.on("GET /v2/accounts/"+id+"/transactions", ok("transactions_p1.json"), ok("transactions_p2.json"))
	f.on("GET /v2/accounts/"+id+"/identity", ok("identity.json"))
	p := newProvider(f, Config{PageSize: 2})
	ctx := context.Background()
	sess := *linked(id)
	sess.Credentials = creds
	b, err := p.Balance(ctx, sess, id)
	if err != nil || b.Balance != 53769 || b.Available != 53769 || b.Currency != "NGN" {
		t.Fatalf("balance %+v, %v", b, err)
	}
	var pages [][]kobo.BankTransaction
	from := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	err = p.Transactions(ctx, sess, id, kobo.TxnQuery{From: from, PageSize: 2}, func(pg []kobo.BankTransaction) error {
		pages = append(pages, append([]kobo.BankTransaction(nil), pg...))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 || len(pages[0]) != 2 || len(pages[1]) != 1 {
		t.Fatalf("pages = %+v", pages)
	}
	first, last := pages[0][0], pages[1][0]
	if first.Ref != "62a05bc04112ea670bd09812" || first.Amount != 147085 || first.Type != kobo.Debit || first.Currency != "NGN" || *first.Balance != 1021841 ||
		!first.ProviderID || first.Date != time.Date(2022, 5, 30, 16, 3, 0, 0, time.UTC) {
		t.Fatalf("oldest = %+v", first)
	}
	if pages[0][1].Balance != nil || pages[0][1].Type != kobo.Credit || last.Ref != "66141bbff58d2687e7d91234" || last.Date.Nanosecond() != 500e6 {
		t.Fatalf("rows = %+v", pages)
	}
	reqs := f.requests("GET /v2/accounts/" + id + "/transactions")
	if len(reqs) != 2 || !strings.Contains(reqs[0].query, "page=1") || !strings.Contains(reqs[1].query, "page=2") ||
		!strings.Contains(reqs[0].query, "start=01-01-2022") || !strings.Contains(reqs[0].query, "paginate=true") || !strings.Contains(reqs[0].query, "limit=2") {
		t.Fatalf("transaction requests = %+v", reqs)
	}
	idn, err := p.Identity(ctx, sess, id)
	if err != nil || idn.FullName != "SAMUEL OLAMIDE NOMO" || idn.BVN != "22000000003" || idn.DOB != "1997-08-07" || idn.LGAOfOrigin != "Ikeja" || idn.MaritalStatus != "" {
		t.Fatalf("identity %+v, %v", idn, err)
	}
	if _, err := p.Balance(ctx, sess, "another-account"); err == nil {
		t.Fatal("a session read another account")
	}
}

// TestWaitsWhileProcessing: Mono's data endpoints answer empty while the
// account is PROCESSING (docs.mono.co/docs/quickstart); the read waits
// for the details to say otherwise, and gives up as unavailable.
func TestWaitsWhileProcessing(t *testing.T) {
	f := newFake(t)
	const id = "6972325e62fa67a33f88840a"
	f.on("GET /v2/accounts/"+id+"/balance", ok("balance_processing.json"), ok("balance.json"))
	f.on("GET /v2/accounts/"+id, ok("account_processing.json"), ok("account_processing.json"), ok("account.json"))
	f.on("GET /v2/accounts/"+id+"/transactions", ok("transactions_processing.json"), ok("transactions_p2.json"))
	p := newProvider(f, Config{})
	sess := *linked(id)
	sess.Credentials = creds
	b, err := p.Balance(context.Background(), sess, id)
	if err != nil || b.Balance != 53769 {
		t.Fatalf("balance %+v, %v", b, err)
	}
	if n := len(f.requests("GET /v2/accounts/" + id)); n != 3 {
		t.Fatalf("details polled %d times, want 3", n)
	}
	n := 0
	if err := p.Transactions(context.Background(), sess, id, kobo.TxnQuery{}, func(pg []kobo.BankTransaction) error { n += len(pg); return nil }); err != nil || n != 2 {
		t.Fatalf("transactions after the wait: %d, %v", n, err)
	}
	// still processing after ProcessingWait: unavailable, for the job to retry
	f.on("GET /v2/accounts/"+id+"/balance", ok("balance_processing.json"))
	f.on("GET /v2/accounts/"+id, ok("account_processing.json"))
	p = newProvider(f, Config{ProcessingWait: 300 * time.Millisecond})
	_, err = p.Balance(context.Background(), sess, id)
	if be := kindOf(t, err, kobo.BankUnavailable); be.RetryAfter == 0 {
		t.Fatal("no RetryAfter")
	}
}

// TestErrors classifies Mono's failures (docs.mono.co/docs/errors).
func TestErrors(t *testing.T) {
	const id = "6972325e62fa67a33f88840a"
	path := "GET /v2/accounts/" + id + "/balance"
	sess := *linked(id)
	sess.Credentials = creds
	cases := []struct {
		name    string
		replies []reply
		kind    kobo.BankErrorKind
		check   func(t *testing.T, be *kobo.BankError, f *fakeMono)
	}{
		{"401 is the app's key", []reply{{status: 401, file: `{"message":"Invalid key"}`}}, kobo.BankAppCredentials, func(t *testing.T, be *kobo.BankError, f *fakeMono) {
			if !errors.Is(be, ErrAppKey) || !strings.Contains(be.Message, "401") {
				t.Fatalf("%v", be)
			}
			if be.Transient() || len(f.requests(path)) != 1 {
				t.Fatalf("the app's wrong key is transient (%v) or was retried (%d calls)", be.Transient(), len(f.requests(path)))
			}
		}},
		{"403 is the app's key", []reply{{status: 403, file: `{"status":"failed","message":"Unauthorized key. Enable the app for Mono Connect or contact support."}`}}, kobo.BankAppCredentials,
			func(t *testing.T, be *kobo.BankError, f *fakeMono) {
				if !errors.Is(be, ErrAppKey) || !strings.Contains(be.Message, "Enable the app") {
					t.Fatalf("%v", be)
				}
			}},
		{"429 with Retry-After", []reply{{status: 429, file: `{"message":"Too many requests"}`, header: map[string]string{"Retry-After": "30"}}}, kobo.BankRateLimited,
			func(t *testing.T, be *kobo.BankError, f *fakeMono) {
				if be.RetryAfter != 30*time.Second || len(f.requests(path)) != 1 {
					t.Fatalf("retry after %v, %d calls (a long wait is the job's)", be.RetryAfter, len(f.requests(path)))
				}
			}},
		{"5xx then success", []reply{{status: 502}, ok("balance.json")}, "", func(t *testing.T, be *kobo.BankError, f *fakeMono) {
			if len(f.requests(path)) != 2 {
				t.Fatalf("%d calls", len(f.requests(path)))
			}
		}},
		{"5xx throughout", []reply{{status: 503}}, kobo.BankUnavailable, func(t *testing.T, be *kobo.BankError, f *fakeMono) {
			if n := len(f.requests(path)); n != 3 {
				t.Fatalf("%d calls, want 1 + 2 retries", n)
			}
		}},
		{"bad JSON", []reply{{status: 200, file: `{"data": {"balance": "lots"`}}, kobo.BankInvalidData, nil},
		{"a fraction of a kobo", []reply{{status: 200, file: `{"data": {"id":"x","balance": 10.5}}`}}, kobo.BankInvalidData, nil},
		{"404", []reply{{status: 404, file: `{"message":"Account not found"}`}}, kobo.BankNotFound, nil},
		{"re-authorisation by header", []reply{{status: 200, file: "balance.json", header: map[string]string{"x-reauth-required": "true"}}}, kobo.BankMFARequired, nil},
		{"re-authorisation by code", []reply{{status: 400, file: `{"status":"failed","hasNewData":false,"code":"REAUTHORISATION_REQUIRED","message":"reauth"}`}}, kobo.BankMFARequired, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			f.on(path, c.replies...)
			p := newProvider(f, Config{})
			_, err := p.Balance(context.Background(), sess, id)
			var be *kobo.BankError
			if c.kind == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				be = kindOf(t, err, c.kind)
			}
			if c.check != nil {
				c.check(t, be, f)
			}
		})
	}
	// a timeout is unavailable
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer slow.Close()
	defer close(block)
	p := New(Config{BaseURL: slow.URL, Timeout: 50 * time.Millisecond, Retries: -1})
	_, err := p.Balance(context.Background(), sess, id)
	kindOf(t, err, kobo.BankUnavailable)
}

// TestMaxInFlight: calls beyond the cap fail at once, so a hanging Mono
// holds at most MaxInFlight of kobo's workers.
func TestMaxInFlight(t *testing.T) {
	entered, release := make(chan struct{}, 4), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		w.Write([]byte(`{"data":{"id":"a","balance":1}}`))
	}))
	defer srv.Close()
	p := New(Config{BaseURL: srv.URL, MaxInFlight: 1, Retries: -1})
	sess := *linked("acct1")
	sess.Credentials = creds
	done := make(chan error)
	go func() { _, err := p.Balance(context.Background(), sess, "acct1"); done <- err }()
	<-entered // the first call holds the only slot
	_, err := p.Balance(context.Background(), sess, "acct1")
	if be := kindOf(t, err, kobo.BankUnavailable); !errors.Is(be, errBusy) || be.RetryAfter == 0 {
		t.Fatalf("the second call: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestModes: a live app never reaches Mono's sandbox, nor a sandbox app
// Mono's live data; no key is the app's problem.
func TestModes(t *testing.T) {
	p := New(Config{BaseURL: "http://127.0.0.1:1"})
	for _, c := range []struct {
		live bool
		sk   kobo.Secret
	}{{true, "test_sk_x"}, {false, "live_sk_x"}, {false, ""}} {
		_, err := p.Login(context.Background(), kobo.LoginRequest{Institution: gtbank, Live: c.live, Interactive: true,
			Credentials: kobo.ProviderCredentials{CredSecretKey: c.sk}, Fields: map[string]kobo.Secret{"username": "a"}})
		if !errors.Is(err, ErrAppKey) {
			t.Fatalf("live=%v key %q: %v", c.live, c.sk, err)
		}
	}
	// a background re-login needs nothing of Mono: it keeps the bank login
	step, err := p.Login(context.Background(), kobo.LoginRequest{Institution: gtbank, Persist: "6972325e62fa67a33f88840a", Credentials: creds})
	if err != nil || step.Session == nil || step.Session.Token != "6972325e62fa67a33f88840a" {
		t.Fatalf("background login: %+v %v", step, err)
	}
}

// TestEmbeddedAndCallback: without form fields the step is Mono's Connect
// widget with the partner's public key and the bank preselected
// (docs.mono.co/docs/connect-widget: key, scope, selectedInstitution
// {id, auth_method}); the widget's {code} comes back to Callback and is
// exchanged (POST /v2/accounts/auth, docs.mono.co/docs/auth).
func TestEmbeddedAndCallback(t *testing.T) {
	f := newFake(t)
	f.on("GET /v1/institutions", ok("institutions_v1.json"))
	f.on("POST /v2/accounts/auth", reply{status: 400, file: `{"status":"failed","message":"Invalid or expired code"}`}, ok("exchange_v1.json"))
	p := newProvider(f, Config{})
	ctx := context.Background()
	step, err := p.Login(ctx, kobo.LoginRequest{Institution: gtbank, AuthMethod: kobo.InternetBanking, Interactive: true, Credentials: creds})
	if err != nil || step.Embedded == nil {
		t.Fatalf("step %+v, %v", step, err)
	}
	e := step.Embedded
	var sel map[string]string
	if e.Config["key"] != "test_pk_abc" || e.Config["scope"] != "auth" || json.Unmarshal([]byte(e.Config["selectedInstitution"]), &sel) != nil ||
		sel["id"] != "5f2d08be60b92e2888287702" || sel["auth_method"] != "internet_banking" || !strings.HasPrefix(e.Script, "https://") {
		t.Fatalf("embedded = %+v", e)
	}
	if e.Config["adapter"] != "mono-connect" {
		t.Fatalf("adapter %q: kobo's widget would not know to drive Mono's connect.js", e.Config["adapter"])
	}
	if o := p.ScriptOrigins(); len(o) != 1 || !strings.HasPrefix(e.Script, o[0]+"/") {
		t.Fatalf("script %s is not from the origins %v the widget's CSP allows", e.Script, o)
	}
	if strings.Contains(strings.Join([]string{e.Config["key"], e.Config["selectedInstitution"]}, ""), "test_sk") {
		t.Fatal("the secret key reached the browser")
	}
	_, err = p.Callback(ctx, kobo.CallbackRequest{Params: map[string]string{"code": "code_old"}, Credentials: creds})
	if be := kindOf(t, err, kobo.BankBadCredentials); be.Message != "Invalid or expired code" {
		t.Fatalf("message %q", be.Message)
	}
	step, err = p.Callback(ctx, kobo.CallbackRequest{Params: map[string]string{"code": "code_IjyfZzzMML1ZXc8tTpYG"}, Credentials: creds})
	if err != nil || step.Session == nil || step.Session.Persist != "5f171a530295e231abca1153" {
		t.Fatalf("callback %+v, %v", step, err)
	}
	if ex := f.requests("POST /v2/accounts/auth"); ex[1].body["code"] != "code_IjyfZzzMML1ZXc8tTpYG" || ex[1].header.Get("mono-sec-key") != "test_sk_abc" {
		t.Fatalf("exchange = %+v", ex[1])
	}
	_, err = p.Callback(ctx, kobo.CallbackRequest{Params: map[string]string{}, Credentials: creds})
	kindOf(t, err, kobo.BankBadCredentials)
	_, err = p.Login(ctx, kobo.LoginRequest{Institution: gtbank, Interactive: true, Credentials: kobo.ProviderCredentials{CredSecretKey: "test_sk_abc"}})
	if !errors.Is(err, ErrAppKey) {
		t.Fatalf("embedded without a public key: %v", err)
	}
}

// TestReauth: re-authorisation through the Partners API
// (docs.mono.co/docs/financial-data/partners-api-guide/reauth-guide): the
// session answers data.responseCode 99 with a code, exchanged to the same
// account.
func TestReauth(t *testing.T) {
	f := newFake(t)
	f.on("POST /v2/connect/reauth/session", ok("reauth_session.json"))
	f.on("POST /v2/accounts/auth", ok("exchange_v1.json"))
	p := newProvider(f, Config{})
	step, err := p.Login(context.Background(), kobo.LoginRequest{Institution: gtbank, Persist: "5f171a530295e231abca1153", Interactive: true, Credentials: creds})
	if err != nil || step.Session == nil || step.Session.Token != "5f171a530295e231abca1153" {
		t.Fatalf("reauth %+v, %v", step, err)
	}
	if r := f.requests("POST /v2/connect/reauth/session")[0]; r.body["account"] != "5f171a530295e231abca1153" {
		t.Fatalf("reauth session = %+v", r)
	}
}

// TestEmbeddedReauth: an account linked through Mono's Connect widget is
// re-authorised through it (docs.mono.co/api/bank-data/reauth): kobo's
// server asks POST /accounts/{id}/reauthorise for a token and the widget
// opens with it in scope reauth, never a fresh link (scope auth); the
// widget's code is exchanged to the same account.
func TestEmbeddedReauth(t *testing.T) {
	f := newFake(t)
	f.on("POST /accounts/5f171a530295e231abca1153/reauthorise", ok("reauthorise.json"))
	f.on("POST /v2/accounts/auth", ok("exchange_v1.json"))
	p := newProvider(f, Config{})
	ctx := context.Background()
	inst := gtbank
	inst.AuthMethods = []kobo.AuthMethod{{Type: kobo.InternetBanking, Consent: kobo.ConsentEmbedded}}
	step, err := p.Login(ctx, kobo.LoginRequest{Institution: inst, AuthMethod: kobo.InternetBanking, Persist: "5f171a530295e231abca1153", Interactive: true, Credentials: creds})
	if err != nil || step.Embedded == nil {
		t.Fatalf("step %+v, %v", step, err)
	}
	e := step.Embedded
	if e.Config["scope"] != "reauth" || e.Config["reauth_token"] != "VwxcfeLRZvq1UlD5WiuN" || e.Config["key"] != "test_pk_abc" || e.Config["adapter"] != "mono-connect" {
		t.Fatalf("embedded re-auth config = %v", e.Config)
	}
	if r := f.requests("POST /accounts/5f171a530295e231abca1153/reauthorise"); len(r) != 1 || r[0].header.Get("mono-sec-key") != "test_sk_abc" {
		t.Fatalf("reauthorise calls = %+v", r)
	}
	if len(f.requests("POST /v2/connect/reauth/session")) != 0 {
		t.Fatal("a widget-linked account went through the Partners API re-auth")
	}
	step, err = p.Callback(ctx, kobo.CallbackRequest{Params: map[string]string{"code": "code_IjyfZzzMML1ZXc8tTpYG"}, Credentials: creds})
	if err != nil || step.Session == nil || step.Session.Persist != "5f171a530295e231abca1153" {
		t.Fatalf("callback %+v, %v", step, err)
	}
	// Mono not knowing the account is the customer's to redo, not a crash
	f.on("POST /accounts/5f171a530295e231abca1153/reauthorise", reply{status: 404, file: `{"message":"Account not found"}`})
	if _, err := p.Login(ctx, kobo.LoginRequest{Institution: inst, AuthMethod: kobo.InternetBanking, Persist: "5f171a530295e231abca1153", Interactive: true, Credentials: creds}); err == nil {
		t.Fatal("an unknown account re-authorised")
	}
}

// TestWebhooks decodes Mono's webhooks (docs.mono.co/docs/webhooks for the
// secret and account_updated, docs.mono.co/docs/financial-data/realtime-data
// for sync_status, docs.mono.co/docs/data-synctokenisation,
// docs.mono.co/docs/financial-data/unlink).
func TestWebhooks(t *testing.T) {
	p := New(Config{})
	h := http.Header{}
	h.Set("mono-webhook-secret", "sec_webhook_key")
	for file, want := range map[string]kobo.ProviderEvent{
		"webhook_account_updated.json":          {Kind: kobo.ProviderAccountUpdated, AccountRef: "66e2d530c293212b39d34aa8", At: time.Date(2026, 1, 27, 21, 0, 38, 856e6, time.UTC)},
		"webhook_account_updated_v1.json":       {Kind: kobo.ProviderAccountUpdated, AccountRef: "5fbcde8f8699984153e65537"},
		"webhook_account_updated_reauth.json":   {Kind: kobo.ProviderReauthRequired, AccountRef: "66e2d530c293212b39d34aa8", At: time.Date(2026, 1, 27, 21, 0, 38, 856e6, time.UTC)},
		"webhook_reauthorisation_required.json": {Kind: kobo.ProviderReauthRequired, AccountRef: "5fbcde8f8699984153e65537"},
		"webhook_account_unlinked.json":         {Kind: kobo.ProviderAccountUnlinked, AccountRef: "60770aa8c5878a2af69ed849"},
	} {
		body, _ := os.ReadFile(filepath.Join("testdata", file))
		evs, err := p.ReceiveWebhook(context.Background(), creds, h, body)
		if err != nil || len(evs) != 1 || evs[0].Kind != want.Kind || evs[0].AccountRef != want.AccountRef || !evs[0].At.Equal(want.At) {
			t.Fatalf("%s: %+v, %v", file, evs, err)
		}
		bad := http.Header{}
		bad.Set("mono-webhook-secret", "sec_webhook_kez")
		if _, err := p.ReceiveWebhook(context.Background(), creds, bad, body); kobo.ErrorCode(err) != kobo.EUNAUTHORIZED {
			t.Fatalf("%s with a wrong secret: %v", file, err)
		}
		if _, err := p.ReceiveWebhook(context.Background(), kobo.ProviderCredentials{CredSecretKey: "test_sk_x"}, h, body); kobo.ErrorCode(err) != kobo.EUNAUTHORIZED {
			t.Fatalf("%s with no secret configured: %v", file, err)
		}
	}
	connected, _ := os.ReadFile("testdata/webhook_account_connected.json")
	if evs, err := p.ReceiveWebhook(context.Background(), creds, h, connected); err != nil || len(evs) != 0 {
		t.Fatalf("account_connected: %+v %v", evs, err)
	}
	processing := `{"event":"mono.events.account_updated","data":{"account":{"_id":"a1"},"meta":{"data_status":"PROCESSING"}}}`
	if evs, err := p.ReceiveWebhook(context.Background(), creds, h, []byte(processing)); err != nil || len(evs) != 0 {
		t.Fatalf("a PROCESSING account_updated: %+v %v", evs, err)
	}
	if _, err := p.ReceiveWebhook(context.Background(), creds, h, []byte(`{"event":`)); kobo.ErrorCode(err) != kobo.EINVALID {
		t.Fatalf("bad JSON: %v", err)
	}
}

// TestCheckCredentials calls GET /v3/institutions with the key.
func TestCheckCredentials(t *testing.T) {
	f := newFake(t)
	f.on("GET /v3/institutions", ok("institutions_v3.json"), reply{status: 401, file: `{"message":"Invalid key"}`})
	p := newProvider(f, Config{})
	if h := p.CheckCredentials(context.Background(), creds); !h.OK {
		t.Fatalf("good keys: %+v", h)
	}
	if h := p.CheckCredentials(context.Background(), creds); h.OK || !strings.Contains(h.Message, "refused") {
		t.Fatalf("refused key: %+v", h)
	}
	for _, c := range []kobo.ProviderCredentials{{}, {CredSecretKey: "sk_nope"}, {CredSecretKey: "test_sk_a", CredPublicKey: "live_pk_b"}} {
		if h := p.CheckCredentials(context.Background(), c); h.OK || h.Message == "" {
			t.Fatalf("%v: %+v", c, h)
		}
	}
}

// TestPolicy: Mono's limits.
func TestPolicy(t *testing.T) {
	pol := New(Config{}).Policy()
	if !pol.Real || pol.MinManualSyncInterval != 2*time.Minute || strings.Join(pol.Credentials, ",") != "secret_key,public_key,webhook_secret" {
		t.Fatalf("policy = %+v", pol)
	}
}

// TestWaitHoldsASlot: a read waiting for a PROCESSING account holds a
// worker as surely as a hanging call, so it takes a slot: the next read
// beyond MaxInFlight fails at once.
func TestWaitHoldsASlot(t *testing.T) {
	polled := make(chan struct{}, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/balance") {
			w.Write([]byte(`{"status":"successful","data":null}`))
			return
		}
		b, _ := os.ReadFile("testdata/account_processing.json")
		w.Write(b)
		polled <- struct{}{}
	}))
	defer srv.Close()
	p := New(Config{BaseURL: srv.URL, MaxInFlight: 1, ProcessingWait: time.Hour})
	sess := *linked("6972325e62fa67a33f88840a")
	sess.Credentials = creds
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := p.Balance(ctx, sess, ""); done <- err }()
	<-polled // the first read is waiting
	_, err := p.Balance(context.Background(), sess, "")
	if be := kindOf(t, err, kobo.BankUnavailable); !errors.Is(be, errBusy) {
		t.Fatalf("the second read: %v", err)
	}
	cancel()
	kindOf(t, <-done, kobo.BankUnavailable)
}
