package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/browsertest"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/mono"
)

// fakeMonoConnectJS stands in for Mono's connect.js, written from its
// README and source (docs/mono-api.md §7.1): new Connect({key, onSuccess,
// onClose, ...rest}) keeps every other option for its frame's query,
// setup() starts a link, reauthorise(token) a re-authorisation, open()
// shows it. In place of Mono's frame it shows two buttons in kobo's
// widget, finish and close, and it records what it was given in
// window.fakeMono for the test to read. As Mono's does, its close after a
// success calls onClose too.
const fakeMonoConnectJS = `window.fakeMono = window.fakeMono || [];
window.Connect = function (o) {
  if (!o || !o.key) throw new Error("PUBLIC_KEY is required");
  if (typeof o.onSuccess !== "function") throw new Error("onSuccess callback is required");
  var rec = { options: {}, calls: [] };
  Object.keys(o).forEach(function (k) { if (typeof o[k] !== "function") rec.options[k] = o[k]; });
  window.fakeMono.push(rec);
  var box = document.createElement("div");
  box.id = "fake-mono";
  function button(id, text, fn) {
    var b = document.createElement("button");
    b.id = id; b.type = "button"; b.textContent = text; b.onclick = fn;
    box.appendChild(b);
  }
  button("fake-mono-finish", "Finish at Mono", function () { box.remove(); o.onSuccess({ code: "code_mono_" + window.fakeMono.length }); if (o.onClose) o.onClose(); });
  button("fake-mono-close", "Close Mono", function () { box.remove(); if (o.onClose) o.onClose(); });
  this.setup = function (c) { rec.calls.push(c ? "setup " + JSON.stringify(c) : "setup"); };
  this.reauthorise = function (t) {
    if (!t) throw new Error("Re-auth token is required for reauthorisation");
    rec.calls.push("reauthorise " + t);
  };
  this.open = function () { rec.calls.push("open"); document.body.appendChild(box); };
};`

// monoUpstream is a Mono for kobo's Mono provider: the fake connect.js and
// the server calls the widget's link and re-auth need, answered as
// docs.mono.co shows them.
type monoUpstream struct {
	srv      *httptest.Server
	mu       sync.Mutex
	codes    []string // exchanged at POST /v2/accounts/auth
	reauths  int      // POST /accounts/{id}/reauthorise
	partners int      // Partners API re-auth calls (a widget-linked account must make none)
}

const monoAccountID = "5f171a530295e231abca1153"

func newMonoUpstream(t *testing.T) *monoUpstream {
	u := &monoUpstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/connect.js" {
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, fakeMonoConnectJS)
			return
		}
		if r.Header.Get("mono-sec-key") != "test_sk_mono" {
			http.Error(w, `{"message":"Invalid key"}`, 401)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		u.mu.Lock()
		defer u.mu.Unlock()
		switch route := r.Method + " " + r.URL.Path; {
		case route == "GET /v1/institutions":
			fmt.Fprint(w, `[{"_id":"5f2d08be60b92e2888287702","name":"GTBank","type":"PERSONAL_BANKING","bank_code":"058"}]`)
		case route == "POST /v2/accounts/auth":
			var b struct{ Code string }
			if json.NewDecoder(r.Body).Decode(&b) != nil || !strings.HasPrefix(b.Code, "code_mono_") {
				http.Error(w, `{"status":"failed","message":"Invalid or expired code"}`, 400)
				return
			}
			u.codes = append(u.codes, b.Code)
			fmt.Fprintf(w, `{"id":%q}`, monoAccountID)
		case route == "GET /v2/accounts/"+monoAccountID:
			fmt.Fprintf(w, `{"status":"successful","data":{"account":{"id":%q,"name":"Samuel Olamide","account_number":"1234567890",
				"currency":"NGN","balance":73573,"type":"SAVINGS","institution":{"name":"GTBank","bank_code":"058","type":"PERSONAL_BANKING"}},
				"meta":{"data_status":"AVAILABLE","auth_method":"internet_banking"}}}`, monoAccountID)
		case route == "POST /accounts/"+monoAccountID+"/reauthorise":
			u.reauths++
			fmt.Fprint(w, `{"token":"VwxcfeLRZvq1UlD5WiuN"}`)
		case strings.HasPrefix(r.URL.Path, "/v2/connect/reauth/"):
			u.partners++
			http.Error(w, `{"message":"no Partners API access"}`, 403)
		default:
			http.Error(w, `{"message":"no route"}`, 404)
		}
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// fakeMonoRecord is what the fake connect.js was given.
type fakeMonoRecord struct {
	Options struct {
		Key                 string          `json:"key"`
		Scope               string          `json:"scope"`
		Reference           string          `json:"reference"`
		SelectedInstitution json.RawMessage `json:"selectedInstitution"`
	} `json:"options"`
	Calls []string `json:"calls"`
}

// newMonoWidgetRig is kobo (no job runner) whose GTBank goes through the
// Mono provider with Mono's widget embedded, the upstream, and Chromium.
type monoWidgetRig struct {
	*consentRig
	up    *monoUpstream
	svc   *app.Service
	appID string
	pk    string
	inst  string
}

func newMonoWidgetRig(t *testing.T) *monoWidgetRig {
	br := browsertest.New(t, 3*time.Minute)
	up := newMonoUpstream(t)
	provider := mono.New(mono.Config{BaseURL: up.srv.URL, WidgetScript: up.srv.URL + "/connect.js", Backoff: time.Millisecond})
	k := newRigKobo(t, "m", map[string]kobo.Provider{mono.Name: provider},
		map[string]kobo.ProviderCredentials{mono.Name: {mono.CredSecretKey: "test_sk_mono", mono.CredPublicKey: "test_pk_mono", mono.CredWebhookSecret: "whsec_mono"}})
	svc, public := k.svc, k.public
	inst := kobo.Institution{ID: "6a2d08be60b92e2888287790", Name: "GTBank", Type: kobo.PersonalBanking, BankCode: "058", Country: "ng",
		Scopes: []string{"financial_data"}, Provider: mono.Name, Providers: []string{mono.Name},
		AuthMethods: []kobo.AuthMethod{{ID: "70d071acf73e6468062ae890", Type: kobo.InternetBanking, Name: "Internet Banking",
			UI: kobo.UIForm{Title: "Connect GTBank"}, Consent: kobo.ConsentEmbedded}}}
	d := k.start([]kobo.Institution{inst}, "mono-widget@acme.ng", provider.ScriptOrigins())
	r := &consentRig{widgetRig: &widgetRig{t: t, b: br}, kobo: public, sk: d.SecretKeys[kobo.ModeTest].Reveal()}
	return &monoWidgetRig{consentRig: r, up: up, svc: svc, appID: d.App.ID, pk: d.PublicKeys[kobo.ModeTest], inst: inst.ID}
}

// reauthRequired is Mono's webhook saying the account needs the
// customer again (docs.mono.co/docs/data-synctokenisation).
func (r *monoWidgetRig) reauthRequired() {
	r.t.Helper()
	body := fmt.Sprintf(`{"event":"mono.events.reauthorisation_required","data":{"account":{"_id":%q}}}`, monoAccountID)
	if err := r.svc.ProviderWebhook(context.Background(), mono.Name, r.appID, http.Header{"Mono-Webhook-Secret": {"whsec_mono"}}, []byte(body)); err != nil {
		r.t.Fatal(err)
	}
}

// fakeMono reads what the n-th Connect the widget made was given.
func (r *consentRig) fakeMono(n int) fakeMonoRecord {
	r.t.Helper()
	var raw string
	r.b.Run("read Mono's Connect options", chromedp.Poll(fmt.Sprintf(`window.fakeMono && window.fakeMono.length >= %d && JSON.stringify(window.fakeMono[%d])`, n, n-1),
		&raw, chromedp.WithPollingTimeout(browsertest.StepTimeout)))
	var rec fakeMonoRecord
	if err := json.Unmarshal([]byte(raw), &rec); err != nil {
		r.t.Fatalf("fake connect.js record %s: %v", raw, err)
	}
	return rec
}

// linkedCode continues past the success screen and returns the code the
// widget hands its host (the widget is the page itself here).
func (r *consentRig) linkedCode() string {
	r.t.Helper()
	r.waitScreen(nil, "SUCCESS")
	// a top-level widget speaks to its host as in Mono's Android SDK
	r.eval(`window.linkedCode = ""; window.MonoClientInterface = { postMessage: function (s) {
	  var m = JSON.parse(s); if (m.type === "mono.connect.widget.account_linked") window.linkedCode = m.data.code; } }; true`, nil)
	r.click(nil, "#success-continue")
	var code string
	r.b.Run("wait for the code", chromedp.Poll(`window.linkedCode`, &code, chromedp.WithPollingTimeout(browsertest.StepTimeout)))
	return code
}

// closedByCustomer checks the screen closing Mono's window leaves: kobo's
// ways out, and nothing axe-core objects to.
func (r *consentRig) closedByCustomer(anotherBank bool) {
	r.t.Helper()
	r.waitScreen(nil, "EMBEDDED_CLOSED")
	r.b.Run("the ways out", chromedp.WaitVisible("#try-again", chromedp.ByQuery), chromedp.WaitVisible("#dead-close", chromedp.ByQuery))
	var others int
	r.eval(`document.querySelectorAll("#another-bank").length`, &others)
	if (others == 1) != anotherBank {
		r.t.Errorf("Choose another bank shown %d times, want it %v", others, anotherBank)
	}
	r.axeClean("EMBEDDED_CLOSED")
}

// TestWidgetMonoUpstreamConnect links and re-authorises through the Mono
// provider with Mono's connect.js embedded in kobo's widget: Mono's
// Connect gets the step's scope, the bank preselected as an object (its
// connect.js JSON-encodes it) and the partner's reference; closing Mono's
// window leaves the customer kobo's ways out (try again, another bank,
// close), not a spinner; and the re-authorisation opens Mono's re-auth
// (reauthorise with the token from POST /accounts/{id}/reauthorise, scope
// reauth), never a fresh link, back to the same account.
func TestWidgetMonoUpstreamConnect(t *testing.T) {
	t.Parallel()
	r := newMonoWidgetRig(t)
	up, inst, pk := r.up, r.inst, r.pk
	sel := fmt.Sprintf(`{"id":%q,"auth_method":"internet_banking"}`, inst)
	r.b.Run("open the widget", chromedp.Navigate(r.kobo+"/connect/?key="+pk+"&reference=ref-mono-1&selectedInstitution="+url.QueryEscape(sel)))
	r.waitScreen(nil, "LOGIN")
	r.click(nil, "#submit")
	r.waitScreen(nil, "EMBEDDED")
	rec := r.fakeMono(1)
	var got map[string]string
	if rec.Options.Key != "test_pk_mono" || rec.Options.Scope != "auth" || rec.Options.Reference != "ref-mono-1" {
		t.Errorf("Mono's Connect got key %q scope %q reference %q", rec.Options.Key, rec.Options.Scope, rec.Options.Reference)
	}
	if err := json.Unmarshal(rec.Options.SelectedInstitution, &got); err != nil || got["id"] != "5f2d08be60b92e2888287702" || got["auth_method"] != "internet_banking" {
		t.Errorf("selectedInstitution %s is not Mono's bank as an object (%v)", rec.Options.SelectedInstitution, err)
	}
	if strings.Join(rec.Calls, ",") != "setup,open" {
		t.Errorf("a link called %v on Mono's Connect", rec.Calls)
	}

	// the customer closes Mono's window: kobo's ways out, and Try again
	// opens Mono's window again
	r.click(nil, "#fake-mono-close")
	r.closedByCustomer(true)
	r.click(nil, "#try-again")
	r.waitScreen(nil, "EMBEDDED")
	r.fakeMono(2)
	r.click(nil, "#fake-mono-finish")
	id, _ := r.exchangeCode(r.linkedCode())

	// Mono wants the customer again: kobo's token, then Mono's re-auth path
	r.reauthRequired()
	token := r.mustToken(id)
	r.b.Run("open the re-auth widget", chromedp.Navigate(r.kobo+"/connect/?key="+pk+"&reference=ref-mono-2&reauth_token="+token))
	var screen string
	r.b.Run("wait for the re-auth", chromedp.Poll(`(function (s) { return s && s !== "LOADING" && s; })(document.getElementById("screen").getAttribute("data-screen"))`,
		&screen, chromedp.WithPollingTimeout(browsertest.StepTimeout)))
	if screen == "REAUTH" {
		r.click(nil, "#reauth-continue")
	}
	r.waitScreen(nil, "EMBEDDED")
	rec = r.fakeMono(1)
	if rec.Options.Scope != "reauth" || strings.Join(rec.Calls, ",") != "reauthorise VwxcfeLRZvq1UlD5WiuN,open" {
		t.Errorf("the re-auth opened Mono's Connect with scope %q and %v, want reauth and reauthorise(token)", rec.Options.Scope, rec.Calls)
	}
	if len(rec.Options.SelectedInstitution) != 0 {
		t.Errorf("the re-auth preselected a bank for a fresh link: %s", rec.Options.SelectedInstitution)
	}
	r.click(nil, "#fake-mono-close")
	r.closedByCustomer(false)
	r.click(nil, "#try-again")
	r.waitScreen(nil, "EMBEDDED")
	r.fakeMono(2)
	r.click(nil, "#fake-mono-finish")
	r.b.Run("reconnected", chromedp.WaitVisible(`//h1[text()="Account reconnected"]`, chromedp.BySearch))
	if again, _ := r.exchangeCode(r.linkedCode()); again != id {
		t.Errorf("the re-auth gave account %s, want %s", again, id)
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.reauths == 0 || up.partners != 0 || len(up.codes) != 2 {
		t.Errorf("Mono saw %d reauthorise calls, %d Partners API re-auth calls, codes %v", up.reauths, up.partners, up.codes)
	}
}

// mustToken is kobo's re-auth token for an account (POST
// /accounts/{id}/reauthorise with the app's secret key).
func (r *consentRig) mustToken(id string) string {
	r.t.Helper()
	req, _ := http.NewRequest("POST", r.kobo+"/accounts/"+id+"/reauthorise", nil)
	req.Header.Set("mono-sec-key", r.sk)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	var b struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&b); err != nil || res.StatusCode != 200 || b.Token == "" {
		r.t.Fatalf("reauthorise %s: %d %v", id, res.StatusCode, err)
	}
	return b.Token
}
