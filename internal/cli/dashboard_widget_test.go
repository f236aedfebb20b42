package cli

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestDashboardWidgetPage: the Widget page saves the branding the
// consent screen shows (a bad colour or a non-https link saves nothing
// and keeps what was typed), previews it, frames the real sandbox widget,
// and the widget's config and the Partner API carry what was saved.
func TestDashboardWidgetPage(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	email := kobo.RandomToken(8) + "@acme.ng"
	e.must(201, "POST", "/v1/auth/signup", map[string]string{"name": "Acme", "email": email, "password": "a long passphrase"})
	auth := "Bearer " + e.must(200, "POST", "/v1/auth/login", map[string]string{"email": email, "password": "a long passphrase"}).m(t)["token"].(string)
	created := e.must(201, "POST", "/v1/apps", map[string]any{"name": "loans"}, "Authorization", auth).m(t)
	appID, pk := created["id"].(string), created["public_key"].(string)
	d := newDashClient(t, e)
	if st, _, body := d.post("/dashboard/login", url.Values{"email": {email}, "password": {"a long passphrase"}}, ""); st != http.StatusSeeOther {
		t.Fatalf("login: %d %.300s", st, body)
	}
	page := "/dashboard/apps/" + appID + "/widget"
	st, _, body := d.get(page, "")
	if st != 200 || !strings.Contains(body, `src="/connect/?key=`+url.QueryEscape(pk)) || !strings.Contains(body, "No privacy policy link set.") {
		t.Fatalf("widget page: %d\n%s", st, body)
	}
	bad := url.Values{"display_name": {"Acme Loans"}, "brand_color": {"red;}body{x"}, "privacy_url": {"javascript:alert(1)"}, "terms_url": {""}, "icon": {""}}
	st, _, body = d.post(page, bad, "")
	if st != http.StatusBadRequest || !strings.Contains(body, `id="w-color-err"`) || !strings.Contains(body, `id="w-privacy-err"`) ||
		!strings.Contains(body, `value="Acme Loans"`) || !strings.Contains(body, `aria-describedby="w-color-hint w-color-err"`) {
		t.Fatalf("bad branding: %d\n%s", st, body)
	}
	if got := e.must(200, "GET", "/v1/apps/"+appID, nil, "Authorization", auth).m(t); got["display_name"] != "" || got["brand_color"] != "" {
		t.Fatalf("a refused save wrote: %v", got)
	}
	good := url.Values{"display_name": {"Acme Loans"}, "brand_color": {"#1A2B3C"}, "privacy_url": {"https://acme.ng/privacy"}, "terms_url": {"https://acme.ng/terms"}, "icon": {""}}
	st, h, _ := d.post(page, good, "")
	if st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), page) {
		t.Fatalf("save: %d %s", st, h.Get("Location"))
	}
	st, _, body = d.get(h.Get("Location"), "")
	if st != 200 || !strings.Contains(body, "Widget settings saved.") || !strings.Contains(body, `href="https://acme.ng/privacy"`) ||
		!strings.Contains(body, "Acme Loans's privacy policy") || !strings.Contains(body, ">AL<") || !strings.Contains(body, "%231a2b3c") {
		t.Fatalf("after save: %d\n%s", st, body)
	}
	cfg := e.must(200, "GET", "/connect/api/config", nil, "x-public-key", pk).m(t)["app"].(map[string]any)
	if cfg["privacy_url"] != "https://acme.ng/privacy" || cfg["terms_url"] != "https://acme.ng/terms" || cfg["brand_color"] != "#1a2b3c" || cfg["display_name"] != "Acme Loans" {
		t.Errorf("widget config app = %v", cfg)
	}
	audit := e.must(200, "GET", "/v1/audit?action=app.settings_changed", nil, "Authorization", auth).m(t)["data"].([]any)
	if len(audit) != 1 || !strings.Contains(audit[0].(map[string]any)["detail"].(string), "privacy policy link, terms link, widget colour") {
		t.Errorf("audit = %v", audit)
	}
}
