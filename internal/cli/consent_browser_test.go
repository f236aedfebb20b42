package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/browsertest"
	"github.com/kobo-oss/kobo/internal/httpapi"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/sqlite"
	"github.com/kobo-oss/kobo/internal/vault"
	"github.com/kobo-oss/kobo/internal/webhook"
	"github.com/kobo-oss/kobo/internal/widget"
)

// consentBank is a test provider whose consents are a redirect to its own
// page (which sends the customer straight back with a code, as a bank
// does once they approve) and an embedded widget (a script of its own
// that shows an Approve button and hands the widget a code). It is Real,
// so its steps show no sandbox banner.
type consentBank struct{ url string } // where its page and script are

func (consentBank) Policy() kobo.ProviderPolicy { return kobo.ProviderPolicy{Real: true} }
func (b consentBank) ScriptOrigins() []string   { return []string{b.url} }

func (b consentBank) Login(ctx context.Context, req kobo.LoginRequest) (kobo.LoginStep, error) {
	m, _ := req.Institution.AuthMethod(req.AuthMethod)
	switch m.Consent {
	case kobo.ConsentRedirect:
		if req.Redirect == nil || req.Redirect.CodeChallenge == "" {
			return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "no redirect params"}
		}
		q := url.Values{"state": {req.Redirect.State}, "redirect_uri": {req.Redirect.CallbackURL}}
		return kobo.LoginStep{Redirect: &kobo.Redirect{URL: b.url + "/authorize?" + q.Encode(), Ref: "redirect-ref"}}, nil
	case kobo.ConsentEmbedded:
		return kobo.LoginStep{Embedded: &kobo.Embedded{Script: b.url + "/widget.js", Config: map[string]string{"open": "openTestBank", "key": "pk_testbank"}, Ref: "embedded-ref"}}, nil
	}
	return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials}
}

func (consentBank) Callback(ctx context.Context, req kobo.CallbackRequest) (kobo.LoginStep, error) {
	switch {
	case req.Ref == "redirect-ref" && req.Params["code"] == "bank-code" && req.CodeVerifier != "":
	case req.Ref == "embedded-ref" && req.Params["code"] == "widget-code":
	default:
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "The bank did not confirm access"}
	}
	return kobo.LoginStep{Session: &kobo.BankSession{Token: "tok", Persist: "persist", ExpiresAt: time.Now().Add(time.Hour)}}, nil
}

func (consentBank) Poll(ctx context.Context, d kobo.Decoupled, creds kobo.ProviderCredentials) (kobo.LoginStep, error) {
	return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankNotFound}
}
func (consentBank) Answer(ctx context.Context, ch kobo.Challenge, f map[string]kobo.Secret) (kobo.LoginStep, error) {
	return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankNotFound}
}
func (consentBank) Accounts(ctx context.Context, s kobo.BankSession) ([]kobo.BankAccount, error) {
	return []kobo.BankAccount{{Ref: "gb-1", Number: "12345678", Name: "ADA OBI", Type: "CURRENT", Currency: "GBP", Balance: 100_00,
		Identifiers: []kobo.AccountIdentifier{{Scheme: kobo.SchemeSortCode, Value: "20000012345678"}}}}, nil
}
func (consentBank) Balance(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankBalance, error) {
	return kobo.BankBalance{Ref: ref, Balance: 100_00, Currency: "GBP"}, nil
}
func (consentBank) Transactions(ctx context.Context, s kobo.BankSession, ref string, q kobo.TxnQuery, fn func([]kobo.BankTransaction) error) error {
	return nil
}
func (consentBank) Identity(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankIdentity, error) {
	return kobo.BankIdentity{FullName: "ADA OBI"}, nil
}

// testBankWidget is the embedded provider's script: it shows its own
// Approve button, and on a click hands kobo's widget the code the way
// kobo's widget takes one from a provider it has no adapter for.
const testBankWidget = `window.openTestBank = function (conf) {
  var b = document.createElement("button");
  b.id = "testbank-approve"; b.textContent = "Approve at Test Bank (" + conf.key + ")";
  b.onclick = function () { window.postMessage({type: "kobo.embedded.code", code: "widget-code"}, "*"); };
  document.body.appendChild(b);
};`

// consentRig is kobo (app, API and widget, no job runner: the test reads
// the link, not the data), the provider's own site, a partner page and
// Chromium.
type consentRig struct {
	*widgetRig
	kobo  string
	sk    string
	insts map[string]string // consent kind → institution id
}

// rigKobo is a kobo in the test's process for the widget's consent
// browser tests: SQLite, the given providers, the API and the widget on a
// loopback server.
type rigKobo struct {
	t      *testing.T
	svc    *app.Service
	st     *sqlite.Store
	srv    *httptest.Server
	public string
}

// newRigKobo builds the service; key is the vault key's repeated byte.
func newRigKobo(t *testing.T, key string, providers map[string]kobo.Provider, defaults map[string]kobo.ProviderCredentials) *rigKobo {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kobo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx, kobo.SystemClock{}); err != nil {
		t.Fatal(err)
	}
	v, err := vault.New([]byte(strings.Repeat(key, 32)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	public := "http://" + srv.Listener.Addr().String()
	svc := app.New(app.Config{Store: st, Clock: kobo.SystemClock{}, Sealer: v, FingerprintKey: []byte("fp"), URLSigningKey: []byte("url-key"),
		Renderer: webhook.Renderer{}, PublicURL: public, Providers: providers, ProviderDefaults: defaults,
		PasswordParams: app.PasswordParams{Memory: 64, Time: 1, Threads: 1}})
	return &rigKobo{t: t, svc: svc, st: st, srv: srv, public: public}
}

// start seeds the institutions, serves the API and the widget (which may
// load the bank's or upstream's scripts from origins), and signs up a
// partner with an app.
func (k *rigKobo) start(insts []kobo.Institution, email string, origins []string) *app.AppDetails {
	t := k.t
	t.Helper()
	ctx := context.Background()
	if err := k.svc.SeedInstitutions(ctx, insts); err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(httpapi.Config{App: k.svc, PublicURL: k.public, BodyLimit: 64 << 10, Ready: k.st.Ping})
	for pattern, h := range widget.New(origins...).Routes() {
		api.Handle(pattern, h)
	}
	k.srv.Config.Handler = api.Handler()
	k.srv.Start()
	t.Cleanup(k.srv.Close)
	p, err := k.svc.Signup(ctx, app.SignupInput{Name: "Acme", Email: email, Password: "a long passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	name := "Acme Loans"
	d, err := k.svc.CreateApp(ctx, p.ID, app.AppInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func newConsentRig(t *testing.T) *consentRig {
	br := browsertest.New(t, 3*time.Minute)
	bank := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/authorize":
			// the customer approves at once: back to kobo's callback
			back, err := url.Parse(r.URL.Query().Get("redirect_uri"))
			if err != nil || back.Scheme == "" {
				http.Error(w, "bad redirect_uri", 400)
				return
			}
			back.RawQuery = url.Values{"state": {r.URL.Query().Get("state")}, "code": {"bank-code"}}.Encode()
			http.Redirect(w, r, back.String(), http.StatusFound)
		case "/widget.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, testBankWidget)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(bank.Close)
	provider := consentBank{url: bank.URL}

	k := newRigKobo(t, "c", map[string]kobo.Provider{"testbank": provider}, nil)
	public := k.public
	insts := map[string]string{}
	var list []kobo.Institution
	for i, kind := range []string{kobo.ConsentRedirect, kobo.ConsentEmbedded} {
		id := fmt.Sprintf("6a2d08be60b92e28882877c%d", i)
		insts[kind] = id
		list = append(list, kobo.Institution{ID: id, Name: "Test Bank " + kind, Type: kobo.PersonalBanking, BankCode: fmt.Sprintf("97%d", i), Country: "gb",
			Scopes: []string{"financial_data"}, Provider: "testbank", Providers: []string{"testbank"},
			AuthMethods: []kobo.AuthMethod{{ID: fmt.Sprintf("70d071acf73e6468062ae8c%d", i), Type: kobo.InternetBanking, Name: kind,
				UI: kobo.UIForm{Title: "Connect Test Bank"}, Consent: kind}}})
	}
	d := k.start(list, "consent@acme.ng", provider.ScriptOrigins())
	pk, sk := d.PublicKeys[kobo.ModeTest], d.SecretKeys[kobo.ModeTest].Reveal()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, hostPage, public+"/connect.js", pk)
	}))
	t.Cleanup(site.Close)
	return &consentRig{widgetRig: &widgetRig{t: t, b: br, site: site}, kobo: public, sk: sk, insts: insts}
}

// exchangeCode trades the widget's code for an account id and returns the
// account's v2 meta.
func (r *consentRig) exchangeCode(code string) (string, map[string]any) {
	r.t.Helper()
	do := func(method, path, body string) map[string]any {
		req, _ := http.NewRequest(method, r.kobo+path, strings.NewReader(body))
		req.Header.Set("mono-sec-key", r.sk)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			r.t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(res.Body).Decode(&m); err != nil || res.StatusCode != 200 {
			r.t.Fatalf("%s %s: %d %v %v", method, path, res.StatusCode, m, err)
		}
		return m
	}
	id := do("POST", "/account/auth", `{"code":"`+code+`"}`)["id"].(string)
	return id, do("GET", "/v2/accounts/"+id, "")["data"].(map[string]any)["meta"].(map[string]any)
}

// TestWidgetRedirectConsent links through a redirect consent in Chromium:
// the framed widget opens the bank's page in a window of its own, the bank
// sends the customer back to kobo's callback, and the widget, asking kobo
// meanwhile, finishes the link; the partner's onSuccess gets the code.
func TestWidgetRedirectConsent(t *testing.T) {
	t.Parallel()
	r := newConsentRig(t)
	r.b.Run("open the partner page", chromedp.Navigate(r.site.URL), chromedp.WaitVisible("#link", chromedp.ByQuery))
	r.eval(`window.c = makeConnect(); c.setup({selectedInstitution: {id: "`+r.insts[kobo.ConsentRedirect]+`", auth_method: "internet_banking"}}); c.open(); true`, nil)
	f := r.frame()
	r.waitScreen(f, "LOGIN")
	var label string
	var banner string
	r.b.Run("read the consent step", chromedp.Text("#submit", &label, in(f)...),
		chromedp.Text("#sandbox-banner", &banner, in(f)...))
	// a sandbox key always wears the banner, but a real provider's step
	// is not told "no real bank is contacted"
	if label != "Continue" || !strings.Contains(banner, "Sandbox") || strings.Contains(banner, "no real bank") {
		t.Fatalf("redirect step: button %q, sandbox banner %q", label, banner)
	}
	r.click(f, "#submit")
	r.waitScreen(f, "REDIRECT")
	r.b.Screenshots("consent-redirect-01")
	r.click(f, "#consent-continue")
	id, meta := r.exchangeCode(r.code(1))
	if c, _ := meta["consent"].(map[string]any); c["kind"] != kobo.ConsentRedirect || c["provider"] != "testbank" {
		t.Errorf("account %s meta.consent = %v", id, meta["consent"])
	}
	if err := has(r.eventNames(), "SUCCESS"); err != nil {
		t.Error(err)
	}
}

// TestWidgetEmbeddedConsent links through an embedded provider widget in
// Chromium: kobo's widget loads the provider's script (its origin allowed
// by the page's Content-Security-Policy), the customer approves in the
// provider's own UI, and the code it hands over finishes the link.
func TestWidgetEmbeddedConsent(t *testing.T) {
	t.Parallel()
	r := newConsentRig(t)
	r.b.Run("open the partner page", chromedp.Navigate(r.site.URL), chromedp.WaitVisible("#link", chromedp.ByQuery))
	r.eval(`window.c = makeConnect(); c.setup({selectedInstitution: {id: "`+r.insts[kobo.ConsentEmbedded]+`", auth_method: "internet_banking"}}); c.open(); true`, nil)
	f := r.frame()
	r.waitScreen(f, "LOGIN")
	r.click(f, "#submit")
	r.waitScreen(f, "EMBEDDED")
	r.click(f, "#testbank-approve")
	r.b.Screenshots("consent-embedded-01")
	id, meta := r.exchangeCode(r.code(1))
	if c, _ := meta["consent"].(map[string]any); c["kind"] != kobo.ConsentEmbedded || c["provider"] != "testbank" {
		t.Errorf("account %s meta.consent = %v", id, meta["consent"])
	}
	if ids, _ := meta["identifiers"].([]any); len(ids) != 1 {
		t.Errorf("meta.identifiers = %v", meta["identifiers"])
	}
}
