package cli

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestDashboardWebhookFailingBanner: an endpoint that has been failing
// shows a banner with since-when and the last result, above the log;
// a healthy one shows none.
func TestDashboardWebhookFailingBanner(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	email := kobo.RandomToken(8) + "@acme.ng"
	e.must(201, "POST", "/v1/auth/signup", map[string]string{"name": "Acme", "email": email, "password": "a long passphrase"})
	auth := "Bearer " + e.must(200, "POST", "/v1/auth/login", map[string]string{"email": email, "password": "a long passphrase"}).m(t)["token"].(string)
	appID := e.must(201, "POST", "/v1/apps", map[string]any{"name": "loans", "webhook_url": "https://hooks.acme.ng/kobo"}, "Authorization", auth).m(t)["id"].(string)
	d := newDashClient(t, e)
	if st, _, body := d.post("/dashboard/login", url.Values{"email": {email}, "password": {"a long passphrase"}}, ""); st != http.StatusSeeOther {
		t.Fatalf("login: %d %.300s", st, body)
	}
	page := "/dashboard/apps/" + appID + "/webhooks"
	if _, _, body := d.get(page, ""); strings.Contains(body, `id="webhook-failing"`) {
		t.Fatal("a healthy endpoint shows the failing banner")
	}
	since := time.Now().Add(-3 * time.Hour).UTC()
	if err := e.stk.sealed.Update(context.Background(), func(tx kobo.Tx) error { return tx.SetWebhookHealth(context.Background(), appID, &since, nil) }); err != nil {
		t.Fatal(err)
	}
	// a test event gives the banner a last result to name
	e.must(202, "POST", "/v1/apps/"+appID+"/webhooks/test", nil, "Authorization", auth)
	st, _, body := d.get(page, "")
	if st != 200 || !strings.Contains(body, `id="webhook-failing"`) || !strings.Contains(body, "3 hours ago") || !strings.Contains(body, "Last result") {
		t.Fatalf("failing endpoint page: %d\n%s", st, body)
	}
}

// TestDashboardAccountSearch: the accounts page searches by name and
// account id, filters by data status and bank, says "no accounts match"
// only for a search, and exports what it found as CSV with the number
// masked.
func TestDashboardAccountSearch(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	email := kobo.RandomToken(8) + "@acme.ng"
	e.must(201, "POST", "/v1/auth/signup", map[string]string{"name": "Acme", "email": email, "password": "a long passphrase"})
	e.auth = "Bearer " + e.must(200, "POST", "/v1/auth/login", map[string]string{"email": email, "password": "a long passphrase"}).m(t)["token"].(string)
	e.app = e.must(201, "POST", "/v1/apps", map[string]any{"name": "loans"}, "Authorization", e.auth).m(t)
	e.sk = e.app["secret_key"].(string)
	appID := e.app["id"].(string)
	gtb := e.institution("GTBank")
	id := linkUser(t, e, gtb, "user_good", nil)
	waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
	acct := e.must(200, "GET", "/accounts/"+id, nil, e.key()...).m(t)["account"].(map[string]any)
	name := acct["name"].(string)
	number := acct["accountNumber"].(string)

	d := newDashClient(t, e)
	if st, _, body := d.post("/dashboard/login", url.Values{"email": {email}, "password": {"a long passphrase"}}, ""); st != http.StatusSeeOther {
		t.Fatalf("login: %d %.300s", st, body)
	}
	page := "/dashboard/apps/" + appID + "/accounts"
	word := strings.ToLower(strings.Fields(name)[0])
	for q, found := range map[string]bool{
		"?q=" + url.QueryEscape(word):                true,
		"?q=" + id:                                   true,
		"?status=AVAILABLE&bank=" + gtb:              true,
		"?status=PARTIAL":                            false,
		"?q=nobody-has-this-name":                    false,
		"?q=" + url.QueryEscape(word) + "&bank=nope": false,
	} {
		st, _, body := d.get(page+q, "")
		if st != 200 || strings.Contains(body, "/accounts/"+id) != found || strings.Contains(body, `id="no-match"`) == found {
			t.Errorf("accounts%s: %d, account listed %v, want %v", q, st, strings.Contains(body, "/accounts/"+id), found)
		}
	}
	if _, _, body := d.get(page, ""); strings.Contains(body, `id="no-match"`) {
		t.Error("no search, and the page says nothing matches")
	}
	st, h, body := d.get(page+".csv?q="+url.QueryEscape(word), "")
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(body, id) || !strings.Contains(body, number[len(number)-4:]) || strings.Contains(body, number) {
		t.Fatalf("accounts CSV: %d %s\n%s", st, h.Get("Content-Type"), body)
	}
}

// TestDashboardTransactionPaging: the account page's Older and Newer links
// follow page cursors (a keyset seek, as cheap deep in a long history as
// on the first page) and show the very rows the numbered pages show.
func TestDashboardTransactionPaging(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	email := kobo.RandomToken(8) + "@acme.ng"
	e.must(201, "POST", "/v1/auth/signup", map[string]string{"name": "Acme", "email": email, "password": "a long passphrase"})
	e.auth = "Bearer " + e.must(200, "POST", "/v1/auth/login", map[string]string{"email": email, "password": "a long passphrase"}).m(t)["token"].(string)
	e.app = e.must(201, "POST", "/v1/apps", map[string]any{"name": "loans"}, "Authorization", e.auth).m(t)
	e.sk = e.app["secret_key"].(string)
	appID := e.app["id"].(string)
	id := linkUser(t, e, e.institution("GTBank"), "user_good", nil)
	waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, e, id) == "AVAILABLE" })
	d := newDashClient(t, e)
	if st, _, body := d.post("/dashboard/login", url.Values{"email": {email}, "password": {"a long passphrase"}}, ""); st != http.StatusSeeOther {
		t.Fatalf("login: %d %.300s", st, body)
	}
	page := "/dashboard/apps/" + appID + "/accounts/" + id
	rows := func(body string) string {
		_, rest, ok := strings.Cut(body, "<tbody>")
		v, _, _ := strings.Cut(rest, "</tbody>")
		if !ok || strings.Count(v, "<tr") != 25 {
			t.Fatalf("no page of 25 transactions: %.500s", body)
		}
		return v
	}
	link := func(body, id string) string {
		m := regexp.MustCompile(`id="` + id + `" href="([^"]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no %s link", id)
		}
		return page + html.UnescapeString(m[1])
	}
	_, _, first := d.get(page, "")
	if strings.Contains(first, `id="txn-prev"`) {
		t.Error("the first page links to newer rows")
	}
	older := link(first, "txn-next")
	if !strings.Contains(older, "cursor=") {
		t.Fatalf("Older is not a cursor link: %s", older)
	}
	_, _, second := d.get(older, "")
	_, _, numbered := d.get(page+"?page=2", "")
	if rows(second) != rows(numbered) || rows(second) == rows(first) {
		t.Fatal("the Older page shows other rows than page 2")
	}
	_, _, back := d.get(link(second, "txn-prev"), "")
	if rows(back) != rows(first) {
		t.Fatal("Newer from page 2 is not page 1")
	}
}
