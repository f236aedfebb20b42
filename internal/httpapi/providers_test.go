package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/vault"
)

// redirectBank is a test double of an open-banking provider whose one
// consent is a redirect to the bank and back; it checks an api_key.
type redirectBank struct{}

func (redirectBank) Policy() kobo.ProviderPolicy {
	return kobo.ProviderPolicy{Real: true, Credentials: []string{"api_key"}, MinManualSyncInterval: 10 * time.Minute}
}

func (redirectBank) CheckCredentials(ctx context.Context, c kobo.ProviderCredentials) kobo.ProviderHealth {
	return kobo.ProviderHealth{OK: c["api_key"].Reveal() == "good-key", Message: map[bool]string{false: "key refused"}[c["api_key"].Reveal() == "good-key"]}
}

func (redirectBank) Login(ctx context.Context, req kobo.LoginRequest) (kobo.LoginStep, error) {
	if req.Redirect == nil || req.Credentials["api_key"].Reveal() != "good-key" {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "no redirect params or key"}
	}
	return kobo.LoginStep{Redirect: &kobo.Redirect{URL: "https://bank.example/auth?" + url.Values{"state": {req.Redirect.State}, "cb": {req.Redirect.CallbackURL}}.Encode(), Ref: "r"}}, nil
}
func (redirectBank) Callback(ctx context.Context, req kobo.CallbackRequest) (kobo.LoginStep, error) {
	if req.Params["code"] != "bank-code" || req.CodeVerifier == "" {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "declined"}
	}
	return kobo.LoginStep{Session: &kobo.BankSession{Token: "t", Persist: "p"}}, nil
}
func (redirectBank) Poll(ctx context.Context, d kobo.Decoupled, creds kobo.ProviderCredentials) (kobo.LoginStep, error) {
	return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankNotFound}
}
func (redirectBank) Answer(ctx context.Context, ch kobo.Challenge, f map[string]kobo.Secret) (kobo.LoginStep, error) {
	return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankNotFound}
}
func (redirectBank) Accounts(ctx context.Context, s kobo.BankSession) ([]kobo.BankAccount, error) {
	return []kobo.BankAccount{{Ref: "a1", Number: "12345678", Name: "ADA", Type: "CURRENT", Currency: "GBP", Balance: 100,
		Identifiers: []kobo.AccountIdentifier{{Scheme: kobo.SchemeSortCode, Value: "20000012345678"}, {Scheme: kobo.SchemeIBAN, Value: "GB33BUKB20000012345678"},
			{Scheme: kobo.SchemeNUBAN, Value: "12345678"}}}}, nil
}
func (redirectBank) Balance(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankBalance, error) {
	return kobo.BankBalance{Ref: ref, Balance: 100, Currency: "GBP"}, nil
}
func (redirectBank) Transactions(ctx context.Context, s kobo.BankSession, ref string, q kobo.TxnQuery, fn func([]kobo.BankTransaction) error) error {
	return nil
}
func (redirectBank) Identity(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankIdentity, error) {
	return kobo.BankIdentity{FullName: "ADA"}, nil
}

// TestProviderKeysAndRedirectConsentOverHTTP: an app configures its key at
// a provider through the Partner API (never returned), chooses that
// provider for an institution, and links through a redirect consent over
// the headless API and the callback route.
func TestProviderKeysAndRedirectConsentOverHTTP(t *testing.T) {
	t.Parallel()
	v, err := vault.New([]byte(strings.Repeat("v", 32)))
	if err != nil {
		t.Fatal(err)
	}
	b := setupWith(t, app.Config{Sealer: v, FingerprintKey: []byte("fp"), PublicURL: "https://kobo.test",
		Providers: map[string]kobo.Provider{"open": redirectBank{}}})
	ctx := context.Background()
	inst := kobo.Institution{ID: "6a2d08be60b92e2888287799", Name: "Open Bank", Type: kobo.PersonalBanking, BankCode: "999", Country: "gb",
		Provider: "banksim", Providers: []string{"banksim", "open"},
		AuthMethods: []kobo.AuthMethod{{ID: "70d071acf73e6468062ae899", Type: kobo.InternetBanking, Name: "Open", UI: kobo.UIForm{Title: "Open Bank"}, Consent: kobo.ConsentRedirect}}}
	if err := b.svc.SeedInstitutions(ctx, []kobo.Institution{inst}); err != nil {
		t.Fatal(err)
	}
	auth := b.partner(t, "providers@acme.ng")
	appID, sk := b.newApp(t, auth)
	other := b.partner(t, "other@acme.ng")
	base := "/v1/apps/" + appID

	list := b.do(t, "GET", base+"/providers", nil, "Authorization", auth).want(t, 200).json(t)["data"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["provider"] != "open" || list[0].(map[string]any)["configured"] != false {
		t.Fatalf("providers = %v", list)
	}
	b.do(t, "PUT", base+"/providers/open", map[string]any{"api_key": "good-key", "other": "x"}, "Authorization", auth).want(t, 400)
	b.do(t, "PUT", base+"/providers/open", map[string]any{"api_key": 5}, "Authorization", auth).want(t, 400)
	b.do(t, "PUT", base+"/providers/open", map[string]any{"api_key": "good-key"}, "Authorization", other).want(t, 404)
	put := b.do(t, "PUT", base+"/providers/open", map[string]any{"api_key": "good-key"}, "Authorization", auth).want(t, 200)
	got := b.do(t, "GET", base+"/providers", nil, "Authorization", auth).want(t, 200)
	for _, r := range []resp{put, got} {
		if strings.Contains(string(r.Body), "good-key") {
			t.Fatalf("a provider key came back: %s", r.Body)
		}
	}
	if h := put.json(t)["health"].(map[string]any); h["ok"] != true {
		t.Errorf("health after save = %v", h)
	}
	b.do(t, "POST", base+"/providers/open/check", nil, "Authorization", auth).want(t, 200)

	// the app chooses the provider for the institution
	b.do(t, "PUT", base+"/institutions/"+inst.ID+"/provider", map[string]any{"provider": "nope"}, "Authorization", auth).want(t, 400)
	ch := b.do(t, "PUT", base+"/institutions/"+inst.ID+"/provider", map[string]any{"provider": "open"}, "Authorization", auth).want(t, 200).json(t)
	if ch["provider"] != "open" || ch["sandbox"] != "open" || ch["live"] != "open" {
		t.Errorf("choice = %v", ch)
	}

	key := []string{"mono-sec-key", sk}
	sess := b.do(t, "POST", "/v2/connect/session", map[string]any{"institution": inst.ID}, key...).want(t, 200).json(t)
	id := sess["data"].(map[string]any)["session"].(map[string]any)["id"].(string)
	hk := append(key, "x-session-id", id)
	login := b.do(t, "POST", "/v2/connect/login", map[string]any{"redirect_url": "https://partner.example/back"}, hk...).want(t, 200).json(t)
	if login["responseCode"] != float64(103) {
		t.Fatalf("login = %v", login)
	}
	u, err := url.Parse(login["data"].(map[string]any)["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if u.Query().Get("cb") != "https://kobo.test/connect/callback/open" {
		t.Errorf("callback URL = %q", u.Query().Get("cb"))
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cb, err := noFollow.Get(b.srv.URL + "/connect/callback/open?" + url.Values{"state": {u.Query().Get("state")}, "code": {"bank-code"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	cb.Body.Close()
	loc, _ := url.Parse(cb.Header.Get("Location"))
	if cb.StatusCode != 303 || loc.Host != "partner.example" || loc.Query().Get("kobo_session") != id || loc.Query().Get("status") != "approved" {
		t.Fatalf("callback: %d %s", cb.StatusCode, cb.Header.Get("Location"))
	}
	// the same callback again is refused
	again, err := noFollow.Get(b.srv.URL + "/connect/callback/open?" + url.Values{"state": {u.Query().Get("state")}, "code": {"bank-code"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	again.Body.Close()
	if again.StatusCode != 400 {
		t.Errorf("replayed callback: %d", again.StatusCode)
	}
	commit := b.do(t, "POST", "/v2/connect/commit", map[string]any{}, hk...).want(t, 200).json(t)
	if commit["responseCode"] != float64(99) {
		t.Fatalf("commit = %v", commit)
	}
	code := commit["data"].(map[string]any)["code"].(string)
	acct := b.do(t, "POST", "/v2/accounts/auth", map[string]any{"code": code}, key...).want(t, 200).json(t)["id"].(string)
	meta := b.do(t, "GET", "/v2/accounts/"+acct, nil, key...).want(t, 200).json(t)["data"].(map[string]any)["meta"].(map[string]any)
	if c, _ := meta["consent"].(map[string]any); c["kind"] != "redirect" || c["provider"] != "open" || c["status"] != "active" {
		t.Errorf("meta.consent = %v", meta["consent"])
	}
	// the account's other names at its bank are kept and shown, the
	// account number itself not again
	want := `[{"scheme":"iban","value":"GB33BUKB20000012345678"},{"account_number":"12345678","scheme":"sort_code_account_number","sort_code":"200000","value":"20000012345678"}]`
	if got, _ := json.Marshal(meta["identifiers"]); string(got) != want {
		t.Errorf("meta.identifiers = %s, want %s", got, want)
	}
	v1 := b.do(t, "GET", "/accounts/"+acct, nil, key...).want(t, 200).json(t)["meta"].(map[string]any)
	if got, _ := json.Marshal(v1["identifiers"]); string(got) != want {
		t.Errorf("v1 meta.identifiers = %s", got)
	}

	// the widget API drives the same step: 103 with the bank's URL, the
	// redirect coming back to the widget page
	pk := b.do(t, "GET", base, nil, "Authorization", auth).want(t, 200).json(t)["public_key"].(string)
	cfg := b.do(t, "GET", "/connect/api/config", nil, "x-public-key", pk).want(t, 200).json(t)
	found := false
	for _, x := range cfg["institutions"].([]any) {
		in := x.(map[string]any)
		if in["id"] == inst.ID {
			found = in["auth_methods"].([]any)[0].(map[string]any)["consent"] == "redirect"
		}
	}
	if !found {
		t.Errorf("the widget config does not say the institution's consent is a redirect")
	}
	ws := b.do(t, "POST", "/connect/api/session", map[string]any{"institution": inst.ID}, "x-public-key", pk).want(t, 200).json(t)["session_id"].(string)
	wl := b.do(t, "POST", "/connect/api/login", map[string]any{"redirect_url": "https://kobo.test/connect/?key=" + pk}, "x-public-key", pk, "x-session-id", ws).want(t, 200).json(t)
	if c, _ := wl["consent"].(map[string]any); wl["responseCode"] != float64(103) || !strings.HasPrefix(c["url"].(string), "https://bank.example/") {
		t.Errorf("widget login = %v", wl)
	}

	if r := b.do(t, "DELETE", base+"/providers/open", nil, "Authorization", auth); r.Status != 204 {
		t.Errorf("delete: %d %s", r.Status, r.Body)
	}
	b.do(t, "DELETE", base+"/providers/open", nil, "Authorization", auth).want(t, 404)
}

// FuzzConsentCallback: whatever state and query a browser brings to the
// callback, kobo answers with a page of its own (never a redirect, never
// approval) unless it signed the state: nothing here was signed.
func FuzzConsentCallback(f *testing.F) {
	v, err := vault.New([]byte(strings.Repeat("v", 32)))
	if err != nil {
		f.Fatal(err)
	}
	b := setupWith(f, app.Config{Sealer: v, FingerprintKey: []byte("fp"), PublicURL: "https://kobo.test", Providers: map[string]kobo.Provider{"open": redirectBank{}}})
	for _, s := range []string{"", "sess_x.nonce.sig", "a.b.c", "sess_abc..", "..", strings.Repeat(".", 40), "sess_\x00.\xff.x"} {
		f.Add("open", s, "bank-code")
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	f.Fuzz(func(t *testing.T, provider, state, code string) {
		u := b.srv.URL + "/connect/callback/" + url.PathEscape(provider) + "?" + url.Values{"state": {state}, "code": {code}}.Encode()
		res, err := noFollow.Get(u)
		if err != nil {
			return // an URL the client itself refuses
		}
		res.Body.Close()
		if res.StatusCode != 400 && res.StatusCode != 404 && res.StatusCode != 410 {
			t.Fatalf("callback %s: %d %s", u, res.StatusCode, res.Header.Get("Location"))
		}
	})
}
