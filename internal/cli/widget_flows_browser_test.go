package cli

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/kobo-oss/kobo/internal/browsertest"
)

// axeClean fails the test for every serious or critical axe-core
// violation on the page as it is now.
func (r *widgetRig) axeClean(what string) {
	r.t.Helper()
	for _, v := range r.b.Axe(what) {
		r.t.Errorf("%s: %s", what, v)
	}
}

// cardHeight is the widget dialog's height on screen, in CSS pixels.
func (r *widgetRig) cardHeight() float64 {
	r.t.Helper()
	var h float64
	r.eval(`document.querySelector(".card").getBoundingClientRect().height`, &h)
	return h
}

// attr reads an attribute of the first element sel matches.
func (r *widgetRig) attr(f *cdp.Node, sel, name string) string {
	r.t.Helper()
	var v string
	var ok bool
	r.b.Run("read "+sel+"["+name+"]", chromedp.WaitReady(sel, in(f)...), chromedp.AttributeValue(sel, name, &v, &ok, in(f)...))
	return v
}

// TestWidgetScreens walks every screen of the widget as a page of its own
// (so axe-core sees the widget's document) on a 1280×900 desktop: axe-core
// finds no serious violation on any of them, the dialog keeps one height
// from step to step and fits the screen, search finds banks by alias,
// short name, code and initials with the popular banks first, fields are
// labelled with the bank's hints and their errors attached to them, and
// the dead ends (too many attempts, a locked account) offer the ways out.
func TestWidgetScreens(t *testing.T) {
	t.Parallel()
	r := newWidgetRig(t, "")
	b := r.b
	b.Run("a 900 px desktop", chromedp.EmulateViewport(1280, 900))
	b.Run("open the widget page", chromedp.Navigate(r.e.url+"/connect/?key="+r.e.pk+"&reference=screens"))
	heights := map[string]float64{}
	seen := func(name string) {
		t.Helper()
		r.waitScreen(nil, name)
		r.axeClean(name)
		heights[name] = r.cardHeight()
	}
	seen("CONSENT")
	var sandboxShown bool
	r.eval(`!document.getElementById("sandbox-banner").hidden`, &sandboxShown)
	if !sandboxShown {
		t.Errorf("a sandbox key's widget hides the sandbox banner")
	}
	r.click(nil, "#continue")
	seen("INSTITUTIONS")

	// popular banks first, by the catalog's order
	var first []string
	r.eval(`[].slice.call(document.querySelectorAll("#institutions [data-institution]"), 0, 3).map(function (b) { return b.dataset.institution; })`, &first)
	if strings.Join(first, ",") != "GTBank,Access Bank,Zenith Bank" {
		t.Errorf("the list starts %v, want the popular banks GTBank, Access Bank, Zenith Bank", first)
	}
	// search by what customers type: an alias, a short name, the bank
	// code, initials; each finds the bank and not the whole list
	for q, want := range map[string]string{"guaranty": "GTBank", "GTB": "GTBank", "058": "GTBank", "FBN": "First Bank of Nigeria", "skye": "Polaris Bank", "alat": "Wema Bank (ALAT)"} {
		r.typeIn(nil, "#search", q)
		b.Run("search "+q, chromedp.WaitVisible(`[data-institution="`+want+`"]`, chromedp.ByQuery))
		var n int
		r.eval(`document.querySelectorAll("#institutions [data-institution]").length`, &n)
		if n > 2 {
			t.Errorf("search %q lists %d banks", q, n)
		}
		b.Run("clear the search", chromedp.SendKeys("#search", strings.Repeat("\b", len(q)), chromedp.ByQuery))
	}
	r.click(nil, `[data-institution="GTBank"]`)
	seen("AUTH_METHOD")
	r.click(nil, `[data-method="internet_banking"]`)
	seen("LOGIN")
	// the label is the bank's own hint
	var label string
	b.Run("read the label", chromedp.Text(`label[for="f-username"]`, &label, chromedp.ByQuery))
	if !strings.HasPrefix(label, "UserID or Account Number") {
		t.Errorf("username label %q, want GTBank's hint", label)
	}
	// a missing field: the error is the field's
	r.click(nil, "#submit")
	b.Run("field error", chromedp.WaitVisible("#f-username-error", chromedp.ByQuery))
	if d, inv := r.attr(nil, "#f-username", "aria-describedby"), r.attr(nil, "#f-username", "aria-invalid"); !strings.Contains(d, "f-username-error") || inv != "true" {
		t.Errorf("username error not attached: aria-describedby %q aria-invalid %q", d, inv)
	}
	r.axeClean("LOGIN with a field error")
	// wrong password: the form's error, attached to every field
	r.typeIn(nil, "#f-username", "user_bad")
	r.typeIn(nil, "#f-password", "nope")
	r.click(nil, "#submit")
	b.Run("form error", chromedp.WaitVisible("#form-error", chromedp.ByQuery))
	for _, id := range []string{"#f-username", "#f-password"} {
		if d := r.attr(nil, id, "aria-describedby"); !strings.Contains(d, "form-error") {
			t.Errorf("%s aria-describedby %q lacks the form's error", id, d)
		}
	}
	if got := r.attr(nil, "#f-username", "aria-describedby"); strings.Contains(got, "f-username-error") {
		t.Errorf("the fixed field error is still attached: %q", got)
	}
	r.axeClean("LOGIN with a form error")
	// closing mid-flow asks first; staying keeps what was typed
	r.click(nil, "#close")
	b.Run("exit pane", chromedp.WaitVisible("#exit-confirm", chromedp.ByQuery))
	// the pane takes the step's place: the form behind it is not shown
	b.Run("the step is hidden", chromedp.WaitNotVisible("#screen", chromedp.ByQuery), chromedp.WaitNotVisible("#back", chromedp.ByQuery))
	r.axeClean("exit pane")
	heights["EXIT"] = r.cardHeight()
	r.click(nil, "#exit-stay")
	var kept string
	b.Run("the login is still there", chromedp.WaitVisible("#f-username", chromedp.ByQuery), chromedp.Value("#f-username", &kept, chromedp.ByQuery))
	if kept != "user_bad" {
		t.Errorf("after staying the username is %q", kept)
	}
	// two more wrong passwords end the session: a dead end with exits
	for i := 0; i < 2; i++ {
		b.Run("wait for the form", chromedp.WaitEnabled("#submit", chromedp.ByQuery))
		r.click(nil, "#submit")
		if i == 0 {
			b.Run("second error", chromedp.WaitVisible("#form-error", chromedp.ByQuery))
		}
	}
	seen("ATTEMPTS")
	for _, sel := range []string{"#try-again", "#another-bank", "#dead-close"} {
		b.Run("exit "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery))
	}
	r.click(nil, "#try-again")
	seen("LOGIN")
	r.click(nil, "#back")
	r.waitScreen(nil, "INSTITUTIONS")
	r.click(nil, `[data-institution="GTBank"]`)
	r.click(nil, `[data-method="internet_banking"]`)
	r.login(nil, "user_locked")
	seen("LOCKED")
	var exits []*cdp.Node
	b.Run("no retry for a locked account", chromedp.Nodes("#try-again", &exits, chromedp.ByQuery, chromedp.AtLeast(0)))
	if len(exits) != 0 {
		t.Errorf("a locked account offers Try again")
	}
	r.click(nil, "#another-bank")
	seen("INSTITUTIONS")

	// PINs and OTPs: numeric keyboards, one-time codes from messages
	r.click(nil, `[data-institution="Access Bank"]`)
	r.click(nil, `[data-method="mobile_banking"]`)
	r.waitScreen(nil, "LOGIN")
	if m := r.attr(nil, "#f-pin", "inputmode"); m != "numeric" {
		t.Errorf("the mobile PIN has inputmode %q", m)
	}
	r.click(nil, "#back")
	r.waitScreen(nil, "INSTITUTIONS")
	r.click(nil, `[data-institution="GTBank"]`)
	r.click(nil, `[data-method="internet_banking"]`)
	r.login(nil, "user_otp")
	seen("MFA")
	if m, ac := r.attr(nil, "#f-otp", "inputmode"), r.attr(nil, "#f-otp", "autocomplete"); m != "numeric" || ac != "one-time-code" {
		t.Errorf("OTP field inputmode %q autocomplete %q", m, ac)
	}
	r.typeIn(nil, "#f-otp", "123456")
	r.click(nil, "#submit")
	seen("SUCCESS")
	var text string
	b.Run("read the success screen", chromedp.Text("#screen", &text, chromedp.ByQuery))
	for _, want := range []string{"Account linked", "GTBank", "••••", "Continue"} {
		if !strings.Contains(text, want) {
			t.Errorf("success screen lacks %q: %s", want, text)
		}
	}
	b.Screenshot("screens-success")

	// several accounts to choose from, and the chosen one on the success screen
	b.Run("open the widget page", chromedp.Navigate(r.e.url+"/connect/?key="+r.e.pk+"&reference=screens-2"))
	r.waitScreen(nil, "CONSENT")
	r.click(nil, "#continue")
	r.click(nil, `[data-institution="Providus Bank"]`)
	r.login(nil, "user_multi")
	seen("ACCOUNT_SELECTION")
	var second string
	r.eval(`document.querySelector('[data-account="1"] small').textContent`, &second)
	r.click(nil, `[data-account="1"]`)
	seen("SUCCESS")
	b.Run("read the success screen", chromedp.Text("#linked-account", &text, chromedp.ByQuery))
	if last4 := second[len(second)-4:]; !strings.Contains(text, "Providus Bank") || !strings.Contains(text, "••••"+last4) || strings.Contains(text, second[len(second)-10:]) {
		t.Errorf("success screen shows %q for account %q (want the bank and ••••%s, never the whole number)", text, second, last4)
	}

	// a statement upload, its error attached to the file field, its
	// summary, and its account on the success screen
	dir := t.TempDir()
	bad := filepath.Join(dir, "contacts.csv")
	os.WriteFile(bad, []byte("name,phone,city\nAda,0803,Lagos\n"), 0o600)
	good := filepath.Join(dir, "kuda.csv")
	os.WriteFile(good, []byte("Kuda Bank\nAccount Number,2001234567\nAccount Name,ADA OBI\n"+
		"Date/Time,Money In,Money Out,Category,To / From,Description,Balance\n"+
		"02/12/25 09:30:00,\"₦40,000.00\",,inward,JOHN,Salary,\"₦50,000.00\"\n"), 0o600)
	b.Run("open the widget page", chromedp.Navigate(r.e.url+"/connect/?key="+r.e.pk+"&reference=screens-3"))
	r.waitScreen(nil, "CONSENT")
	r.click(nil, "#continue")
	r.click(nil, `[data-institution="GTBank"]`)
	r.click(nil, `[data-method="internet_banking"]`)
	r.waitScreen(nil, "LOGIN")
	r.click(nil, "#upload-instead")
	seen("UPLOAD")
	b.Run("choose the wrong file", chromedp.SetUploadFiles("#f-file", []string{bad}, chromedp.ByQuery))
	r.click(nil, "#upload-submit")
	b.Run("refused", chromedp.WaitVisible("#upload-error", chromedp.ByQuery))
	if d := r.attr(nil, "#f-file", "aria-describedby"); !strings.Contains(d, "upload-error") {
		t.Errorf("the upload error is not attached to the file field: %q", d)
	}
	r.axeClean("UPLOAD with an error")
	b.Run("choose the statement", chromedp.SetUploadFiles("#f-file", []string{good}, chromedp.ByQuery))
	r.click(nil, "#upload-submit")
	seen("UPLOAD_SUMMARY")
	r.click(nil, "#upload-continue")
	seen("SUCCESS")
	b.Run("read the success screen", chromedp.Text("#linked-account", &text, chromedp.ByQuery))
	if !strings.Contains(text, "••••4567") {
		t.Errorf("success screen after an upload shows %q", text)
	}

	// re-authorisation: the entry screen names the app, the bank and why
	// before the bank is asked anything
	reauth := linkUser(t, r.e, r.e.institution("GTBank"), "user_reauth", map[string]string{"otp": "123456"})
	waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, r.e, reauth) == "AVAILABLE" })
	r.e.must(200, "POST", "/v2/sandbox/clock/advance", map[string]int{"days": 31}, r.e.key()...)
	r.e.must(200, "POST", "/accounts/"+reauth+"/sync", nil, r.e.key()...)
	token := r.e.must(200, "POST", "/accounts/"+reauth+"/reauthorise", nil, r.e.key()...).m(t)["token"].(string)
	b.Run("open the re-auth widget", chromedp.Navigate(r.e.url+"/connect/?key="+r.e.pk+"&scope=reauth&reauth_token="+token))
	r.waitScreen(nil, "REAUTH")
	r.axeClean("REAUTH")
	heights["REAUTH"] = r.cardHeight()
	r.reauthEntry(nil, "GTBank")
	seen("MFA")

	// a widget opened wrongly says so, accessibly
	b.Run("open the widget without a key", chromedp.Navigate(r.e.url+"/connect/"))
	seen("ERROR")

	// a live key: no sandbox banner, and the sandbox users stay a test
	// key's (the widget asks only with one; kobo refuses a live key)
	r.e.relogin()
	live := r.e.must(200, "PATCH", "/v1/apps/"+r.e.app["id"].(string), map[string]any{"live": true}, "Authorization", r.e.auth).m(t)
	livePK, _ := live["public_key"].(string)
	if !strings.HasPrefix(livePK, "live_pk_") {
		t.Fatalf("going live gave no live public key: %v", live)
	}
	b.Run("open the live widget", chromedp.Navigate(r.e.url+"/connect/?key="+livePK))
	seen("CONSENT")
	var bannerShown bool
	r.eval(`!document.getElementById("sandbox-banner").hidden`, &bannerShown)
	if bannerShown {
		t.Errorf("a live key's widget shows the sandbox banner")
	}
	if got := r.e.do("GET", "/connect/api/sandbox", nil, "x-public-key", livePK); got.status != 403 {
		t.Errorf("sandbox users for a live key: %d %s", got.status, got.body)
	}

	// one height for every step, and it fits a 900 px screen
	var names []string
	for n := range heights {
		names = append(names, n)
	}
	sort.Strings(names)
	h0 := heights["CONSENT"]
	for _, n := range names {
		if math.Abs(heights[n]-h0) > 1 {
			t.Errorf("the dialog is %.0f px on %s and %.0f px on CONSENT", heights[n], n, h0)
		}
	}
	if h0 < 400 || h0 > 900-32 {
		t.Errorf("the dialog is %.0f px high on a 900 px screen", h0)
	}
	t.Logf("dialog height %.0f px on every screen (%s)", h0, strings.Join(names, ", "))
}

// TestWidgetSuccessAndExits drives the widget in kobo's connect.js on a
// partner page: onSuccess waits for Continue on the success screen and
// its payload is what it always was; closing the success screen still
// delivers the code; a dead end closes without asking; closing mid-flow
// asks, and staying or Escape keep the customer where they were; every
// close hands focus back to the launcher.
func TestWidgetSuccessAndExits(t *testing.T) {
	t.Parallel()
	r := newWidgetRig(t, "")
	b := r.b
	b.Run("open the partner page", chromedp.Navigate(r.site.URL), chromedp.WaitVisible("#link", chromedp.ByQuery))
	gt := r.e.institution("GTBank")
	open := func() *cdp.Node {
		t.Helper()
		r.eval(`window.c = makeConnect(); c.setup({selectedInstitution: {id: "`+gt+`", auth_method: "internet_banking"}}); document.getElementById("link").onclick = function () { c.open(); }; true`, nil)
		b.Run("click Link", chromedp.Click("#link", chromedp.ByQuery))
		return r.frame()
	}
	launcherFocused := func(when string) {
		t.Helper()
		var id string
		b.Run("focus back on the launcher", chromedp.Poll(`document.activeElement && document.activeElement.id`, &id, chromedp.WithPollingTimeout(browsertest.StepTimeout)))
		if id != "link" {
			t.Errorf("%s: focus is on %q, not the launcher", when, id)
		}
	}

	// 1. success: ACCOUNT_LINKED at once, onSuccess only on Continue
	f := open()
	r.login(f, "user_good")
	r.waitScreen(f, "SUCCESS")
	var results int
	r.eval(`window.results.length`, &results)
	if results != 0 {
		t.Fatalf("onSuccess ran before Continue")
	}
	if err := has(r.eventNames(), "ACCOUNT_LINKED"); err != nil {
		t.Error(err)
	}
	if err := has(r.eventNames(), "SUCCESS"); err == nil {
		t.Error("SUCCESS before Continue")
	}
	b.Screenshots("exits-01-success")
	code := r.code(1)
	var keys []string
	r.eval(`Object.keys(window.results[0]).sort()`, &keys)
	if strings.Join(keys, ",") != "code,reference,timestamp" || !strings.HasPrefix(code, "code_") {
		t.Errorf("onSuccess got keys %v, code %q; want code, reference and timestamp as before", keys, code)
	}
	r.exchange(code)
	var closes int
	b.Run("closed once", chromedp.Poll(`window.closes`, &closes, chromedp.WithPollingTimeout(browsertest.StepTimeout)))
	launcherFocused("after success")

	// 2. the close button on the success screen still delivers the code
	f = open()
	r.login(f, "user_good")
	r.waitScreen(f, "SUCCESS")
	r.click(f, "#close")
	var code2 string
	b.Run("onSuccess from close", chromedp.Poll(`window.results.length === 2 && window.results[1].code`, &code2, chromedp.WithPollingTimeout(browsertest.StepTimeout)))
	r.exchange(code2)
	b.Run("closed", chromedp.Poll(`window.closes === 2`, nil, chromedp.WithPollingTimeout(browsertest.StepTimeout)))

	// 3. a dead end closes without asking
	f = open()
	r.login(f, "user_locked")
	r.waitScreen(f, "LOCKED")
	b.Screenshots("exits-02-locked")
	r.click(f, "#dead-close")
	b.Run("closed", chromedp.Poll(`window.closes === 3`, nil, chromedp.WithPollingTimeout(browsertest.StepTimeout)))
	var exitPage string
	r.eval(`window.events.filter(function (e) { return e.name === "EXIT"; }).pop().data.pageName`, &exitPage)
	if exitPage != "LOCKED" {
		t.Errorf("EXIT pageName %q, want LOCKED", exitPage)
	}
	launcherFocused("after a dead end")

	// 4. mid-flow: the exit pane; stay, Escape twice, then exit
	f = open()
	r.waitScreen(f, "LOGIN")
	r.typeIn(f, "#f-username", "user_good")
	r.click(f, "#close")
	b.Run("exit pane", chromedp.WaitVisible("#exit-confirm", in(f)...))
	b.Screenshots("exits-03-confirm")
	r.click(f, "#exit-stay")
	b.Run("back on the form", chromedp.WaitVisible("#f-username", in(f)...))
	b.Run("Escape asks", chromedp.KeyEvent(kb.Escape), chromedp.WaitVisible("#exit-confirm", in(f)...))
	b.Run("Escape again stays", chromedp.KeyEvent(kb.Escape), chromedp.WaitVisible("#f-username", in(f)...))
	r.eval(`window.closes`, &closes)
	if closes != 3 {
		t.Fatalf("the widget closed without the customer confirming (%d closes)", closes)
	}
	r.click(f, "#close")
	r.click(f, "#exit-confirm")
	b.Run("closed", chromedp.Poll(`window.closes === 4`, nil, chromedp.WithPollingTimeout(browsertest.StepTimeout)))
	r.eval(`window.events.filter(function (e) { return e.name === "EXIT"; }).pop().data.pageName`, &exitPage)
	if exitPage != "LOGIN" {
		t.Errorf("EXIT pageName %q, want LOGIN", exitPage)
	}
	launcherFocused("after the exit pane")
	r.eval(`window.results.length`, &results)
	if results != 2 {
		t.Errorf("onSuccess ran %d times, want 2", results)
	}

	// the link funnel: two linked, one locked (its close is no exit), one
	// left at the login form (the widget's POST /connect/api/exit)
	want := "GTBank 4/4/3/2 exited 1 failed 1 conv 0.5"
	var got string
	waitUntil(t, "the funnel to count the exit", 20*time.Second, func() bool {
		rows := r.e.funnelOf(t, "?days=1")["data"].([]any)
		got = fmt.Sprint(len(rows))
		if len(rows) == 1 {
			got = funnelCounts(rows[0].(map[string]any))
		}
		return got == want
	})
}

// focusedIn reports whether sel is the focused element in the widget.
func (r *widgetRig) focusedIn(f *cdp.Node, sel string) bool {
	var nodes []*cdp.Node
	r.b.Run("is "+sel+" focused", chromedp.Nodes(sel+":focus", &nodes, append(in(f), chromedp.AtLeast(0))...))
	return len(nodes) > 0
}

// tabTo presses Tab until sel has focus in the widget, checking after
// each press that focus is still inside the widget's frame (the trap).
func (r *widgetRig) tabTo(f *cdp.Node, sel string) {
	r.t.Helper()
	for i := 0; i < 40; i++ {
		if r.focusedIn(f, sel) {
			return
		}
		r.b.Run("Tab", chromedp.KeyEvent(kb.Tab))
		var inFrame bool
		r.eval(`document.activeElement && document.activeElement.id === "mono-connect--frame-id"`, &inFrame)
		if !inFrame {
			r.t.Fatalf("Tab took focus out of the widget, looking for %s", sel)
		}
	}
	r.b.Screenshot("tab-to-" + strings.Trim(sel, "#[]\"="))
	r.t.Fatalf("40 Tabs never reached %s", sel)
}

// TestWidgetKeyboardOnly links an account with the keyboard alone, from
// the partner's launcher to onSuccess: focus moves into the dialog when it
// opens, Tab cycles inside it (it never reaches the partner's page behind
// it), Enter works every step, and focus returns to the launcher.
func TestWidgetKeyboardOnly(t *testing.T) {
	t.Parallel()
	r := newWidgetRig(t, "")
	b := r.b
	b.Run("open the partner page", chromedp.Navigate(r.site.URL), chromedp.WaitVisible("#link", chromedp.ByQuery))
	r.eval(`window.c = makeConnect(); c.setup(); document.getElementById("link").onclick = function () { c.open(); }; true`, nil)
	// as partners do, the widget is set up early: it loads and draws its
	// first step while hidden, where nothing can take focus
	b.Run("the hidden widget loads", chromedp.Poll(`window.loads >= 1`, nil, chromedp.WithPollingTimeout(browsertest.StepTimeout)))
	var hidden []*cdp.Node
	b.Run("take the hidden frame", chromedp.Nodes("#mono-connect--frame-id", &hidden, chromedp.ByQuery))
	b.Run("its first step is drawn", chromedp.WaitReady(`#screen[data-screen="CONSENT"]`, chromedp.ByQuery, chromedp.FromNode(hidden[0])))
	// reach the launcher with Tab, press Enter
	for i := 0; ; i++ {
		var id string
		r.eval(`document.activeElement ? document.activeElement.id : ""`, &id)
		if id == "link" {
			break
		}
		if i > 10 {
			t.Fatalf("Tab never reached the launcher")
		}
		b.Run("Tab", chromedp.KeyEvent(kb.Tab))
	}
	b.Run("Enter on the launcher", chromedp.KeyEvent(kb.Enter))
	f := r.frame()
	r.waitScreen(f, "CONSENT")
	b.Run("focus moves into the dialog", chromedp.Poll(`document.activeElement && document.activeElement.id === "mono-connect--frame-id"`, nil, chromedp.WithPollingTimeout(browsertest.StepTimeout)))
	b.Run("focus on the step's heading", chromedp.WaitReady("#screen h1:focus", in(f)...))
	// the trap: twice round every control, never out of the dialog
	for i := 0; i < 12; i++ {
		b.Run("Tab", chromedp.KeyEvent(kb.Tab))
		var inFrame bool
		r.eval(`document.activeElement && document.activeElement.id === "mono-connect--frame-id"`, &inFrame)
		if !inFrame {
			t.Fatalf("Tab %d left the dialog", i+1)
		}
	}
	// and backwards past the first control (the close button) to the
	// last (Continue: this app links no privacy policy)
	r.tabTo(f, "#close")
	b.Run("Shift+Tab", chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(input.ModifierShift)))
	var stayed bool
	r.eval(`document.activeElement && document.activeElement.id === "mono-connect--frame-id"`, &stayed)
	if !stayed {
		t.Fatalf("Shift+Tab left the dialog")
	}
	if !r.focusedIn(f, "#continue") {
		t.Errorf("Shift+Tab from the first control did not wrap to the last")
	}
	r.tabTo(f, "#continue")
	b.Run("Enter", chromedp.KeyEvent(kb.Enter))
	r.waitScreen(f, "INSTITUTIONS")
	if !r.focusedIn(f, "#search") {
		t.Fatalf("the bank list does not start in its search field")
	}
	b.Run("type GTB", chromedp.KeyEvent("GTB"))
	b.Run("GTBank found", chromedp.WaitVisible(`[data-institution="GTBank"]`, in(f)...))
	r.tabTo(f, `[data-institution="GTBank"]`)
	b.Run("Enter", chromedp.KeyEvent(kb.Enter))
	r.waitScreen(f, "AUTH_METHOD")
	r.tabTo(f, `[data-method="internet_banking"]`)
	b.Run("Enter", chromedp.KeyEvent(kb.Enter))
	r.waitScreen(f, "LOGIN")
	if !r.focusedIn(f, "#f-username") {
		t.Fatalf("the login does not start in its first field")
	}
	b.Run("type the login", chromedp.KeyEvent("user_otp"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("123456"), chromedp.KeyEvent(kb.Enter))
	r.waitScreen(f, "MFA")
	b.Run("the OTP field has focus", chromedp.WaitReady("#f-otp:focus", in(f)...))
	b.Run("type the OTP", chromedp.KeyEvent("123456"), chromedp.KeyEvent(kb.Enter))
	r.waitScreen(f, "SUCCESS")
	r.tabTo(f, "#success-continue")
	b.Run("Enter", chromedp.KeyEvent(kb.Enter))
	var code string
	b.Run("onSuccess", chromedp.Poll(`window.results.length === 1 && window.results[0].code`, &code, chromedp.WithPollingTimeout(browsertest.StepTimeout)))
	r.exchange(code)
	var id string
	b.Run("focus back on the launcher", chromedp.Poll(`document.activeElement && document.activeElement.id`, &id, chromedp.WithPollingTimeout(browsertest.StepTimeout)))
	if id != "link" {
		t.Fatalf("after the widget closed focus is on %q, not the launcher", id)
	}
}

// TestWidgetAPIEndsAndLinks checks, over HTTP, what the widget's screens
// are built from: a locked account and a third wrong password end the
// session and say why (closed), a link answers the account's bank name
// and masked number (never the whole number), and the re-auth entry
// names the account only with the partner's token.
func TestWidgetAPIEndsAndLinks(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	pk := []string{"x-public-key", e.pk}
	session := func(inst string) []string {
		t.Helper()
		id := e.must(200, "POST", "/connect/api/session", map[string]string{"institution": e.institution(inst), "auth_method": "internet_banking"}, pk...).m(t)["session_id"].(string)
		return append([]string{"x-session-id", id}, pk...)
	}
	h := session("Providus Bank")
	if got := e.must(400, "POST", "/connect/api/login", map[string]string{"username": "user_locked", "password": "123456"}, h...).m(t)["closed"]; got != "locked" {
		t.Errorf("a locked account: closed = %v, want locked", got)
	}
	h = session("Providus Bank")
	for i := 1; i <= 3; i++ {
		got := e.must(400, "POST", "/connect/api/login", map[string]string{"username": "user_bad", "password": "nope"}, h...).m(t)["closed"]
		if want := map[bool]any{true: "attempts", false: nil}[i == 3]; got != want {
			t.Errorf("wrong password %d: closed = %v, want %v", i, got, want)
		}
	}
	h = session("Providus Bank")
	out := e.must(200, "POST", "/connect/api/login", map[string]string{"username": "user_good", "password": "123456"}, h...)
	acct, _ := out.m(t)["account"].(map[string]any)
	num, _ := acct["number"].(string)
	if out.m(t)["responseCode"] != float64(99) || !strings.HasPrefix(num, "••••") || len([]rune(num)) != 8 || acct["name"] == "" {
		t.Fatalf("linked: %s", out.body)
	}
	id := e.must(200, "POST", "/account/auth", map[string]string{"code": out.m(t)["code"].(string)}, e.key()...).m(t)["id"].(string)
	full := e.must(200, "GET", "/v2/accounts/"+id, nil, e.key()...).m(t)["data"].(map[string]any)["account"].(map[string]any)["account_number"].(string)
	if strings.Contains(string(out.body), full) || !strings.HasSuffix(num, full[len(full)-4:]) {
		t.Errorf("the widget got %q for account %s", num, full)
	}

	// the re-auth entry: nothing without the partner's token
	e.must(403, "GET", "/connect/api/reauth", nil, pk...)
	e.must(400, "GET", "/connect/api/reauth", nil, append([]string{"x-reauth-token", "not-a-token"}, pk...)...)
	re := linkUser(t, e, e.institution("GTBank"), "user_reauth", map[string]string{"otp": "123456"})
	waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, e, re) == "AVAILABLE" })
	e.must(200, "POST", "/v2/sandbox/clock/advance", map[string]int{"days": 31}, e.key()...)
	e.must(200, "POST", "/accounts/"+re+"/sync", nil, e.key()...)
	token := e.must(200, "POST", "/accounts/"+re+"/reauthorise", nil, e.key()...).m(t)["token"].(string)
	target := e.must(200, "GET", "/connect/api/reauth", nil, append([]string{"x-reauth-token", token}, pk...)...).m(t)
	if target["institution"].(map[string]any)["name"] != "GTBank" || !strings.HasPrefix(target["account"].(map[string]any)["number"].(string), "••••") || target["reauth_required"] != true {
		t.Errorf("re-auth target: %v", target)
	}
}
