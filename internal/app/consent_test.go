package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/vault"
	"github.com/kobo-oss/kobo/internal/webhook"
)

// openBank is a test double of an open-banking provider with every consent
// kind: a redirect with PKCE, a decoupled approval, an embedded widget and
// a pasted setup token. It is Real, has a policy, and checks credentials.
type openBank struct {
	fakeBank
	clock  *testClock
	policy kobo.ProviderPolicy

	mu        sync.Mutex
	challenge string // the PKCE challenge the redirect login got
	polls     int
	approveAt int  // polls before a decoupled request is approved
	reject    bool // the customer declines in their app
	logins    int
	creds     []kobo.ProviderCredentials // what each login was given
	loginErr  error                      // every interactive login fails so
	stepURL   string                     // when set, the redirect URL or embedded script the bank answers
}

func (o *openBank) Policy() kobo.ProviderPolicy { return o.policy }

func (o *openBank) CheckCredentials(ctx context.Context, c kobo.ProviderCredentials) kobo.ProviderHealth {
	if c["api_key"].Reveal() == "good" {
		return kobo.ProviderHealth{OK: true}
	}
	return kobo.ProviderHealth{Message: "the provider refused the api_key"}
}

func (o *openBank) consented() *kobo.BankSession {
	exp := o.clock.Now().Add(90 * 24 * time.Hour)
	return &kobo.BankSession{Token: "open-tok", Persist: "open-refresh", ExpiresAt: o.clock.Now().Add(time.Hour), ConsentExpiresAt: &exp}
}

func (o *openBank) Login(ctx context.Context, req kobo.LoginRequest) (kobo.LoginStep, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.logins++
	o.creds = append(o.creds, req.Credentials)
	if !req.Interactive && req.Persist.Reveal() == "open-refresh" {
		return kobo.LoginStep{Session: o.consented()}, nil // a background refresh of the grant
	}
	if o.loginErr != nil {
		return kobo.LoginStep{}, o.loginErr
	}
	m, _ := req.Institution.AuthMethod(req.AuthMethod)
	switch m.Consent {
	case kobo.ConsentRedirect:
		if req.Redirect == nil || req.Redirect.State == "" || req.Redirect.CodeChallenge == "" {
			return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "no redirect params"}
		}
		o.challenge = req.Redirect.CodeChallenge
		u := "https://bank.example/authorize?" + url.Values{"state": {req.Redirect.State}, "code_challenge": {req.Redirect.CodeChallenge},
			"redirect_uri": {req.Redirect.CallbackURL}}.Encode()
		if o.stepURL != "" {
			u = o.stepURL
		}
		return kobo.LoginStep{Redirect: &kobo.Redirect{URL: u, Ref: "redirect-ref"}}, nil
	case kobo.ConsentDecoupled:
		return kobo.LoginStep{Decoupled: &kobo.Decoupled{Ref: "decoupled-ref", Message: "Approve in the Open app", Interval: 2 * time.Second,
			ExpiresAt: o.clock.Now().Add(5 * time.Minute)}}, nil
	case kobo.ConsentEmbedded:
		script := "https://cdn.open.example/widget.js"
		if o.stepURL != "" {
			script = o.stepURL
		}
		return kobo.LoginStep{Embedded: &kobo.Embedded{Script: script, Config: map[string]string{"key": "pk_open"}, Ref: "embedded-ref"}}, nil
	case kobo.ConsentToken:
		if req.Fields["setup_token"].Reveal() != "good-token" {
			return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "This setup token is not valid"}
		}
		return kobo.LoginStep{Session: o.consented()}, nil
	}
	return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials}
}

func (o *openBank) Callback(ctx context.Context, req kobo.CallbackRequest) (kobo.LoginStep, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch req.Ref.Reveal() {
	case "redirect-ref":
		sum := sha256.Sum256([]byte(req.CodeVerifier.Reveal()))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != o.challenge {
			return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "PKCE verifier does not match"}
		}
		if req.Params["code"] != "bank-code" {
			return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "The customer declined"}
		}
	case "embedded-ref":
		if req.Params["code"] != "widget-code" {
			return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "Invalid widget code"}
		}
	default:
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankNotFound}
	}
	return kobo.LoginStep{Session: o.consented()}, nil
}

func (o *openBank) Poll(ctx context.Context, d kobo.Decoupled, creds kobo.ProviderCredentials) (kobo.LoginStep, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.polls++
	if o.reject {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "declined"}
	}
	if o.polls < o.approveAt {
		dd := d
		return kobo.LoginStep{Decoupled: &dd}, nil
	}
	return kobo.LoginStep{Session: o.consented()}, nil
}

// ReceiveWebhook takes "kind ref" as its body (the test's own format).
func (o *openBank) ReceiveWebhook(ctx context.Context, creds kobo.ProviderCredentials, h http.Header, body []byte) ([]kobo.ProviderEvent, error) {
	kind, ref, _ := strings.Cut(string(body), " ")
	return []kobo.ProviderEvent{{Kind: kobo.ProviderEventKind(kind), AccountRef: ref, At: o.clock.Now()}}, nil
}

func (o *openBank) pollCount() int { o.mu.Lock(); defer o.mu.Unlock(); return o.polls }

// Open Bank's catalog: one institution per consent kind.
var openKinds = []string{kobo.ConsentRedirect, kobo.ConsentDecoupled, kobo.ConsentEmbedded, kobo.ConsentToken}

func openInstitution(kind string, i int) kobo.Institution {
	form := kobo.UIForm{Title: "Connect Open Bank"}
	if kind == kobo.ConsentToken {
		form.Form = []kobo.FormField{{Type: "elements.input", Name: "setup_token", Hint: "Setup token", ContentType: "password"}}
	}
	return kobo.Institution{ID: "6a2d08be60b92e28882877" + string(rune('a'+i)) + "0", Name: "Open " + kind, Type: kobo.PersonalBanking, BankCode: "90" + string(rune('0'+i)),
		Country: "gb", Provider: "open", Providers: []string{"open"},
		AuthMethods: []kobo.AuthMethod{{ID: "70d071acf73e6468062ae8" + string(rune('a'+i)) + "0", Type: kobo.InternetBanking, Name: kind, UI: form, Consent: kind}}}
}

type openBundle struct {
	connectBundle
	bank  *openBank
	insts map[string]*kobo.Institution
}

func setupOpen(t *testing.T, policy kobo.ProviderPolicy, more ...kobo.Provider) openBundle {
	t.Helper()
	b := setup(t)
	bank := &openBank{clock: b.clock, policy: policy, approveAt: 3}
	bank.list = oneAccount
	providers := map[string]kobo.Provider{"open": bank}
	for i, p := range more {
		providers["open"+string(rune('2'+i))] = p
	}
	v, err := vault.New([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	b.svc = app.New(app.Config{Store: b.store, Clock: b.clock, Sealer: v, FingerprintKey: []byte("fp"), Renderer: webhook.Renderer{},
		Providers: providers, PublicURL: "https://kobo.example", URLSigningKey: []byte("url-key"),
		ProviderDefaults: map[string]kobo.ProviderCredentials{"open": {"api_key": "deployment"}},
		PasswordParams:   app.PasswordParams{Memory: 64, Time: 1, Threads: 1}})
	ctx := context.Background()
	insts := map[string]*kobo.Institution{}
	var list []kobo.Institution
	for i, k := range openKinds {
		in := openInstitution(k, i)
		insts[k] = &in
		list = append(list, in)
	}
	if err := b.svc.SeedInstitutions(ctx, list); err != nil {
		t.Fatal(err)
	}
	p := signup(t, b, "open@ada.ng")
	d, err := b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: ptr("loans")})
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.svc.AuthenticateKey(ctx, d.SecretKeys[kobo.ModeTest].Reveal(), kobo.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	return openBundle{connectBundle: connectBundle{bundle: b, caller: c}, bank: bank, insts: insts}
}

func (b openBundle) start(t *testing.T, kind string) *kobo.ConnectSession {
	t.Helper()
	cs, _, err := b.svc.CreateSession(context.Background(), b.caller, app.SessionInput{InstitutionID: b.insts[kind].ID, CustomerEmail: "ada@obi.ng"})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func (b openBundle) exchange(t *testing.T, step *app.ConnectStep) *kobo.Account {
	t.Helper()
	if step.ResponseCode != app.CodeLinked || step.Code == "" {
		t.Fatalf("step = %+v, want 99 with a code", step)
	}
	acct, err := b.svc.Exchange(context.Background(), b.caller, step.Code)
	if err != nil {
		t.Fatal(err)
	}
	return acct
}

func (b openBundle) consent(t *testing.T, accountID string) *kobo.AccountConsent {
	t.Helper()
	var c *kobo.AccountConsent
	err := b.store.View(context.Background(), func(tx kobo.Tx) error {
		var err error
		c, err = tx.AccountConsent(context.Background(), accountID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConsentRedirect(t *testing.T) {
	t.Parallel()
	b := setupOpen(t, kobo.ProviderPolicy{Real: true})
	ctx := context.Background()
	cs := b.start(t, kobo.ConsentRedirect)
	// a redirect_url that is not https is refused
	_, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"redirect_url": "http://evil.example/"})
	code(t, err, kobo.EINVALID)
	step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"redirect_url": "https://partner.example/done"})
	if err != nil {
		t.Fatal(err)
	}
	if step.ResponseCode != app.CodeRedirect || step.Consent == nil || !strings.HasPrefix(step.Consent.URL, "https://bank.example/authorize?") {
		t.Fatalf("login step = %+v", step)
	}
	u, _ := url.Parse(step.Consent.URL)
	state := u.Query().Get("state")
	if u.Query().Get("redirect_uri") != "https://kobo.example/connect/callback/open" {
		t.Errorf("callback URL = %q", u.Query().Get("redirect_uri"))
	}
	// before the customer is back, a commit says the same thing again
	again, err := b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{})
	if err != nil || again.ResponseCode != app.CodeRedirect || again.Consent.Approved {
		t.Fatalf("commit before the callback = %+v, %v", again, err)
	}
	// a forged state, and the right state at another provider's callback, are refused
	for _, c := range []struct{ provider, state string }{{"open", state + "x"}, {"mono", state}, {"open", cs.ID + ".nonce.sig"}} {
		if _, err := b.svc.ConsentCallback(ctx, c.provider, map[string]string{"state": c.state, "code": "bank-code"}); kobo.ErrorCode(err) != kobo.EINVALID {
			t.Errorf("callback %s with state %q: %v, want invalid", c.provider, c.state, err)
		}
	}
	res, err := b.svc.ConsentCallback(ctx, "open", map[string]string{"state": state, "code": "bank-code"})
	if err != nil || !res.Approved || res.ReturnTo != "https://partner.example/done" || res.SessionID != cs.ID {
		t.Fatalf("callback = %+v, %v", res, err)
	}
	// single use
	if _, err := b.svc.ConsentCallback(ctx, "open", map[string]string{"state": state, "code": "bank-code"}); kobo.ErrorCode(err) != kobo.EINVALID {
		t.Errorf("replayed callback: %v, want invalid", err)
	}
	step, err = b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	acct := b.exchange(t, step)
	c := b.consent(t, acct.ID)
	if c.Kind != kobo.ConsentRedirect || c.Provider != "open" || c.ExpiresAt == nil || !c.ExpiresAt.Equal(b.clock.Now().Add(90*24*time.Hour)) {
		t.Errorf("consent = %+v", c)
	}
}

// A bank's consent URL reaches the customer's browser (the widget navigates
// to it or loads it as a script; a headless partner redirects to it), so
// anything but https, or http on a loopback host, is refused as the
// provider's fault and the session is left as it was, ready to log in again.
func TestConsentStepURLMustBeHTTPS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bad := []string{"javascript:alert(document.domain)", "data:text/html,<script>alert(1)</script>", "http://bank.example/authorize",
		"http://127.0.0.1.bank.example/authorize", "//bank.example/authorize", "https:///nohost", "https://user@bank.example/", "ftp://bank.example/", ""}
	good := []string{"https://bank.example/authorize", "HTTPS://bank.example/a", "http://127.0.0.1:8080/authorize", "http://localhost:9/a", "http://[::1]:9/a"}
	for _, kind := range []string{kobo.ConsentRedirect, kobo.ConsentEmbedded} {
		b := setupOpen(t, kobo.ProviderPolicy{Real: true})
		for _, u := range bad {
			b.bank.mu.Lock()
			b.bank.stepURL = u
			if u == "" {
				b.bank.stepURL = " " // the double's "unset" is "", so send a blank one
			}
			b.bank.mu.Unlock()
			cs := b.start(t, kind)
			step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{})
			if kobo.ErrorCode(err) != kobo.EPROVIDER || step != nil {
				t.Errorf("%s with %q: step %+v, err %v; want a provider error", kind, u, step, err)
				continue
			}
			if strings.Contains(err.Error(), "alert") {
				t.Errorf("%s with %q: the error repeats the payload: %v", kind, u, err)
			}
			var got *kobo.ConnectSession
			if err := b.store.View(ctx, func(tx kobo.Tx) error {
				var err error
				got, err = tx.ConnectSession(ctx, cs.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if got.State != kobo.SessionCreated || got.Challenge != "" {
				t.Errorf("%s with %q: session left %s with a challenge %v", kind, u, got.State, got.Challenge != "")
			}
		}
		for _, u := range good {
			b.bank.mu.Lock()
			b.bank.stepURL = u
			b.bank.mu.Unlock()
			cs := b.start(t, kind)
			step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{})
			if err != nil || step.Consent == nil || (step.Consent.URL != u && step.Consent.Script != u) {
				t.Errorf("%s with %q: step %+v, err %v", kind, u, step, err)
			}
		}
	}
}

func TestConsentRedirectDeclined(t *testing.T) {
	t.Parallel()
	b := setupOpen(t, kobo.ProviderPolicy{Real: true})
	ctx := context.Background()
	cs := b.start(t, kobo.ConsentRedirect)
	step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(step.Consent.URL)
	res, err := b.svc.ConsentCallback(ctx, "open", map[string]string{"state": u.Query().Get("state"), "error": "access_denied"})
	if err != nil || res.Approved || res.Message != "The customer declined" {
		t.Fatalf("declined callback = %+v, %v", res, err)
	}
	_, err = b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{})
	code(t, err, kobo.EGONE)
}

func TestConsentDecoupledPollsWithBackoff(t *testing.T) {
	t.Parallel()
	b := setupOpen(t, kobo.ProviderPolicy{Real: true})
	ctx := context.Background()
	cs := b.start(t, kobo.ConsentDecoupled)
	step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if step.ResponseCode != app.CodePending || step.Message != "Approve in the Open app" || step.Consent.PollAfter != 2*time.Second {
		t.Fatalf("login step = %+v %+v", step, step.Consent)
	}
	// too soon: the bank is not asked
	step, err = b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{})
	if err != nil || step.ResponseCode != app.CodePending || b.bank.pollCount() != 0 {
		t.Fatalf("early commit = %+v, %v, polls %d", step, err, b.bank.pollCount())
	}
	var waits []time.Duration
	for range 2 {
		b.clock.Add(step.Consent.PollAfter)
		if step, err = b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{}); err != nil {
			t.Fatal(err)
		}
		if step.ResponseCode == app.CodePending {
			waits = append(waits, step.Consent.PollAfter)
		}
	}
	if len(waits) != 2 || waits[0] != 3*time.Second || waits[1] <= waits[0] {
		t.Fatalf("poll waits = %v, want backing off from 3s", waits)
	}
	b.clock.Add(step.Consent.PollAfter)
	if step, err = b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	acct := b.exchange(t, step)
	if c := b.consent(t, acct.ID); c.Kind != kobo.ConsentDecoupled || c.ExpiresAt == nil {
		t.Errorf("consent = %+v", c)
	}
	if b.bank.pollCount() != 3 {
		t.Errorf("polls = %d, want 3", b.bank.pollCount())
	}
}

func TestConsentDecoupledRejectedAndExpired(t *testing.T) {
	t.Parallel()
	b := setupOpen(t, kobo.ProviderPolicy{Real: true})
	ctx := context.Background()
	cs := b.start(t, kobo.ConsentDecoupled)
	if _, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	b.bank.mu.Lock()
	b.bank.reject = true
	b.bank.mu.Unlock()
	b.clock.Add(2 * time.Second)
	_, err := b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{})
	if e := code(t, err, kobo.EINVALID); !strings.Contains(e.Message, "declined") {
		t.Errorf("rejection = %v", e)
	}
	_, err = b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{})
	code(t, err, kobo.EGONE)

	// the request lapses: the session fails without asking the bank again
	b.bank.mu.Lock()
	b.bank.reject, b.bank.polls = false, 0
	b.bank.mu.Unlock()
	cs = b.start(t, kobo.ConsentDecoupled)
	if _, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	b.clock.Add(5 * time.Minute)
	_, err = b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{})
	if e := code(t, err, kobo.EGONE); !strings.Contains(e.Message, "in time") {
		t.Errorf("expiry = %v", e)
	}
	if b.bank.pollCount() != 0 {
		t.Errorf("an expired request was polled %d times", b.bank.pollCount())
	}
}

func TestConsentEmbedded(t *testing.T) {
	t.Parallel()
	b := setupOpen(t, kobo.ProviderPolicy{Real: true})
	ctx := context.Background()
	cs := b.start(t, kobo.ConsentEmbedded)
	step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if step.ResponseCode != app.CodeEmbedded || step.Consent.Script != "https://cdn.open.example/widget.js" || step.Consent.Config["key"] != "pk_open" {
		t.Fatalf("login step = %+v", step)
	}
	// the code is required, and a wrong one is a wrong answer
	_, err = b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{})
	code(t, err, kobo.EINVALID)
	_, err = b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{"code": "nope"})
	if e := code(t, err, kobo.EINVALID); e.AttemptsLeft != app.MaxWrongTries-1 {
		t.Errorf("wrong code: %+v", e)
	}
	step, err = b.svc.ConnectCommit(ctx, b.caller, cs.ID, map[string]string{"code": "widget-code"})
	if err != nil {
		t.Fatal(err)
	}
	acct := b.exchange(t, step)
	if c := b.consent(t, acct.ID); c.Kind != kobo.ConsentEmbedded || c.Provider != "open" {
		t.Errorf("consent = %+v", c)
	}
}

func TestConsentPastedTokenAndCredentials(t *testing.T) {
	t.Parallel()
	b := setupOpen(t, kobo.ProviderPolicy{Real: true, Credentials: []string{"api_key"}})
	ctx := context.Background()
	cs := b.start(t, kobo.ConsentToken)
	_, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"setup_token": "stolen"})
	code(t, err, kobo.EINVALID)
	step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"setup_token": "good-token"})
	if err != nil {
		t.Fatal(err)
	}
	acct := b.exchange(t, step)
	if c := b.consent(t, acct.ID); c.Kind != kobo.ConsentToken || c.ExpiresAt == nil {
		t.Errorf("consent = %+v", c)
	}
	// the deployment default reached the provider; then the app's own keys
	// take precedence, and are never returned
	b.bank.mu.Lock()
	first := b.bank.creds[0]["api_key"].Reveal()
	b.bank.mu.Unlock()
	if first != "deployment" {
		t.Errorf("first login's api_key = %q, want the deployment default", first)
	}
	partner := b.caller.App.PartnerID
	if _, err := b.svc.PutAppProvider(ctx, partner, b.caller.App.ID, "open", map[string]string{"api_key": "good", "extra": "x"}); kobo.ErrorCode(err) != kobo.EINVALID {
		t.Errorf("unknown field accepted: %v", err)
	}
	info, err := b.svc.PutAppProvider(ctx, partner, b.caller.App.ID, "open", map[string]string{"api_key": "good"})
	if err != nil {
		t.Fatal(err)
	}
	if !info.Configured || info.Health == nil || !info.Health.OK || !info.Default || strings.Join(info.SetFields, ",") != "api_key" {
		t.Errorf("provider info = %+v", info)
	}
	if _, err := b.svc.PutAppProvider(ctx, "someone-else", b.caller.App.ID, "open", map[string]string{"api_key": "good"}); kobo.ErrorCode(err) != kobo.ENOTFOUND {
		t.Errorf("another partner configured the app: %v", err)
	}
	cs = b.start(t, kobo.ConsentToken)
	if _, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"setup_token": "good-token"}); err != nil {
		t.Fatal(err)
	}
	b.bank.mu.Lock()
	second := b.bank.creds[len(b.bank.creds)-1]["api_key"].Reveal()
	b.bank.mu.Unlock()
	if second != "good" {
		t.Errorf("login after configuring = %q, want the app's own key", second)
	}
	// a bad key is saved with its health
	info, err = b.svc.PutAppProvider(ctx, partner, b.caller.App.ID, "open", map[string]string{"api_key": "bad"})
	if err != nil || info.Health == nil || info.Health.OK || info.Health.Message == "" {
		t.Errorf("bad key info = %+v, %v", info, err)
	}
	if err := b.svc.DeleteAppProvider(ctx, partner, b.caller.App.ID, "open"); err != nil {
		t.Fatal(err)
	}
	list, err := b.svc.AppProviders(ctx, partner, b.caller.App.ID)
	if err != nil || len(list) != 1 || list[0].Configured {
		t.Errorf("after delete: %+v, %v", list, err)
	}
}

// A live app links through a Real provider; the same provider without
// Real is refused to it before the provider is asked.
func TestLiveAppsUseRealProvidersOnly(t *testing.T) {
	t.Parallel()
	for _, real := range []bool{true, false} {
		b := setupOpen(t, kobo.ProviderPolicy{Real: real})
		ctx := context.Background()
		partner := b.caller.App.PartnerID
		d, err := b.svc.UpdateApp(ctx, partner, b.caller.App.ID, app.AppInput{Live: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		live, err := b.svc.AuthenticateKey(ctx, d.SecretKeys[kobo.ModeLive].Reveal(), kobo.SecretKey)
		if err != nil {
			t.Fatal(err)
		}
		cs, _, err := b.svc.CreateSession(ctx, live, app.SessionInput{InstitutionID: b.insts[kobo.ConsentToken].ID})
		if !real {
			code(t, err, kobo.EFORBIDDEN)
			if b.bank.logins != 0 {
				t.Errorf("the provider was asked %d times", b.bank.logins)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		step, err := b.svc.ConnectLogin(ctx, live, cs.ID, map[string]string{"setup_token": "good-token"})
		if err != nil || step.ResponseCode != app.CodeLinked {
			t.Fatalf("live login = %+v, %v", step, err)
		}
	}
}

// TestRelinkThroughAnotherProviderKeepsTheAccount: an institution two
// providers reach; the app links through one, then chooses the other and
// links the same bank account again: with relink reuse the kobo account id
// stays, and its consent names the new provider (which syncs it from then).
func TestRelinkThroughAnotherProviderKeepsTheAccount(t *testing.T) {
	t.Parallel()
	second := &openBank{approveAt: 1}
	second.list = oneAccount
	b := setupOpen(t, kobo.ProviderPolicy{Real: true}, second)
	second.clock = b.clock
	ctx := context.Background()
	in := openInstitution(kobo.ConsentToken, 9)
	in.Providers = []string{"open", "open2"}
	if err := b.svc.SeedInstitutions(ctx, []kobo.Institution{in}); err != nil {
		t.Fatal(err)
	}
	partner, appID := b.caller.App.PartnerID, b.caller.App.ID
	if _, err := b.svc.UpdateApp(ctx, partner, appID, app.AppInput{Relink: ptr(string(kobo.RelinkReuse))}); err != nil {
		t.Fatal(err)
	}
	link := func() *kobo.Account {
		t.Helper()
		cs, _, err := b.svc.CreateSession(ctx, b.caller, app.SessionInput{InstitutionID: in.ID, CustomerEmail: "ada@obi.ng"})
		if err != nil {
			t.Fatal(err)
		}
		step, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"setup_token": "good-token"})
		if err != nil {
			t.Fatal(err)
		}
		return b.exchange(t, step)
	}
	first := link()
	if c := b.consent(t, first.ID); c.Provider != "open" {
		t.Fatalf("first link through %s, want the default (open)", c.Provider)
	}
	if err := b.svc.SetInstitutionProvider(ctx, partner, appID, in.ID, "open2"); err != nil {
		t.Fatal(err)
	}
	again := link()
	if again.ID != first.ID {
		t.Errorf("relinked through another provider: account %s, want %s", again.ID, first.ID)
	}
	if c := b.consent(t, again.ID); c.Provider != "open2" {
		t.Errorf("consent provider after relink = %s", c.Provider)
	}
	second.mu.Lock()
	n := second.logins
	second.mu.Unlock()
	if n != 1 {
		t.Errorf("the chosen provider was asked %d times", n)
	}
}
