package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestWidgetStatementUpload: in Chromium, the customer picks "Any bank —
// upload a statement", a file that holds no statement is refused with
// what it holds, their export is read, the summary shows, and the code
// reaches onSuccess and exchanges to an account built from the file. A
// bank's login screen offers the upload too.
func TestWidgetStatementUpload(t *testing.T) {
	r := newWidgetRig(t, "")
	b := r.b
	dir := t.TempDir()
	bad := filepath.Join(dir, "contacts.csv")
	os.WriteFile(bad, []byte("name,phone,city\nAda,0803,Lagos\n"), 0o600)
	good := filepath.Join(dir, "kuda.csv")
	os.WriteFile(good, []byte("Kuda Bank\nAccount Number,2001234567\nAccount Name,ADA OBI\n"+
		"Date/Time,Money In,Money Out,Category,To / From,Description,Balance\n"+
		"02/12/25 09:30:00,\"₦40,000.00\",,inward,JOHN,Salary,\"₦50,000.00\"\n"+
		"01/12/25 08:12:33,,\"₦5,000.00\",transfer,JANE,Rent,\"₦10,000.00\"\n"), 0o600)

	b.Run("open the partner page", chromedp.Navigate(r.site.URL), chromedp.WaitVisible("#link", chromedp.ByQuery))
	r.eval(`window.c = makeConnect(); c.setup(); c.open(); true`, nil)
	f := r.frame()
	r.waitScreen(f, "CONSENT")
	r.click(f, "#continue")
	r.waitScreen(f, "INSTITUTIONS")
	r.typeIn(f, "#search", "upload")
	r.click(f, `[data-institution="Any bank — upload a statement"]`)
	r.waitScreen(f, "UPLOAD")
	b.Screenshots("statement-01-upload")
	b.Run("choose the wrong file", chromedp.SetUploadFiles("#f-file", []string{bad}, in(f)...))
	r.click(f, "#upload-submit")
	var msg string
	b.Run("refused", chromedp.WaitVisible(".error", in(f)...), chromedp.Text(".error", &msg, in(f)...))
	if !strings.Contains(msg, "name | phone | city") {
		t.Fatalf("refusal says %q", msg)
	}
	b.Screenshots("statement-02-refused")
	b.Run("choose the statement", chromedp.SetUploadFiles("#f-file", []string{good}, in(f)...))
	r.click(f, "#upload-submit")
	r.waitScreen(f, "UPLOAD_SUMMARY")
	var summary string
	b.Run("summary", chromedp.Text("#upload-summary", &summary, in(f)...))
	if !strings.Contains(summary, "Kuda Bank") || !strings.Contains(summary, "••••4567") || !strings.Contains(summary, "2") {
		t.Fatalf("summary: %q", summary)
	}
	b.Screenshots("statement-03-summary")
	r.click(f, "#upload-continue")
	code := r.code(1)
	acct := r.exchange(code)
	a := r.e.must(200, "GET", "/v2/accounts/"+acct, nil, r.e.key()...).m(t)["data"].(map[string]any)
	if a["meta"].(map[string]any)["auth_method"] != "statement_upload" || a["account"].(map[string]any)["account_number"] != "2001234567" {
		t.Fatalf("account: %v", a)
	}
	if a["customer"] == nil {
		t.Fatalf("the widget's customer was not attached: %v", a)
	}

	// a bank's login screen offers the upload next to the login (on a
	// fresh page, so nothing of the first widget is left to find)
	b.Run("reopen the partner page", chromedp.Navigate(r.site.URL), chromedp.WaitVisible("#link", chromedp.ByQuery))
	r.eval(`window.c = makeConnect(); c.setup({selectedInstitution: {id: "`+r.e.institution("Providus Bank")+`", auth_method: "internet_banking"}}); c.open(); true`, nil)
	f = r.frame()
	r.waitScreen(f, "LOGIN")
	r.click(f, "#upload-instead")
	r.waitScreen(f, "UPLOAD")
	var h1 string
	b.Run("heading", chromedp.Text("h1", &h1, in(f)...))
	if h1 != "Upload your Providus Bank statement" {
		t.Fatalf("heading %q", h1)
	}
}
