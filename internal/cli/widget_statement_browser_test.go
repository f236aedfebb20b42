package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/statement"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// TestWidgetStatementUpload: in Chromium, the customer picks "Any bank —
// upload a statement", a file that holds no statement is refused with
// what it holds, their export is read, the summary shows, and the code
// reaches onSuccess and exchanges to an account built from the file. A
// bank's login screen offers the upload too.
func TestWidgetStatementUpload(t *testing.T) {
	t.Parallel()
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

// lockedStatementPDF is kobo's own PDF statement of a sandbox account,
// locked the way banks send them: AES-256 with a user password, and an
// owner password the customer never sees.
func lockedStatementPDF(t *testing.T, password string) ([]byte, int) {
	t.Helper()
	wat := time.FixedZone("WAT", 3600)
	from := time.Date(2025, 10, 1, 0, 0, 0, 0, wat)
	to := time.Date(2025, 12, 31, 23, 59, 59, 0, wat)
	txns := banksim.History(7, "gtbank", "user_good", from, to)
	doc := statement.Document{Brand: "Acme Lending", GeneratedAt: to, From: from, To: to, HolderName: "ADAEZE OKAFOR", Institution: "GTBank",
		BankCode: "058", AccountNumber: "0123456789", AccountType: "SAVINGS", Currency: "NGN", Transactions: txns}
	var plain bytes.Buffer
	if err := statement.Render(&plain, doc); err != nil {
		t.Fatal(err)
	}
	// a configuration of its own: pdfcpu's default one reads and writes
	// a config file in the user's home
	conf := &model.Configuration{Reader15: true, ValidationMode: model.ValidationRelaxed, Eol: types.EolLF, Offline: true,
		Limits: model.DefaultResourceLimits(), UserPW: password, OwnerPW: "bank-owner-secret", EncryptUsingAES: true, EncryptKeyLength: 256,
		Permissions: model.PermissionsPrint, Cmd: model.ENCRYPT, TimestampFormat: "2006-01-02 15:04", DateFormat: "2006-01-02"}
	var locked bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(plain.Bytes()), &locked, conf); err != nil {
		t.Fatal(err)
	}
	return locked.Bytes(), len(txns)
}

// TestWidgetStatementLockedPDF: in Chromium, a customer at GTBank chooses
// to upload a statement; their PDF is locked, so the widget asks for its
// password (keeping the chosen file); a wrong password is an error on the
// password field itself, and the file need not be chosen again; the right
// one shows the summary; confirming hands the code to onSuccess, and only
// the partner's exchange makes the account, with every row of the PDF.
func TestWidgetStatementLockedPDF(t *testing.T) {
	t.Parallel()
	r := newWidgetRig(t, "")
	b := r.b
	pdf, rows := lockedStatementPDF(t, "2505")
	path := filepath.Join(t.TempDir(), "gtbank-statement.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}

	b.Run("open the partner page", chromedp.Navigate(r.site.URL), chromedp.WaitVisible("#link", chromedp.ByQuery))
	r.eval(`window.c = makeConnect(); c.setup({selectedInstitution: {id: "`+r.e.institution("GTBank")+`", auth_method: "statement_upload"}}); c.open(); true`, nil)
	f := r.frame()
	r.waitScreen(f, "UPLOAD")
	b.Run("choose the locked PDF", chromedp.SetUploadFiles("#f-file", []string{path}, in(f)...))
	r.click(f, "#upload-submit")

	// the prompt: a password field, the file still chosen
	b.Run("password prompt", chromedp.WaitVisible("#f-password", in(f)...))
	var prompt, hint string
	b.Run("prompt text", chromedp.Text(".error", &prompt, in(f)...), chromedp.Text("#f-file-hint", &hint, in(f)...))
	if !strings.Contains(prompt, "password is needed") || !strings.Contains(hint, "gtbank-statement.pdf") {
		t.Fatalf("prompt %q, file hint %q", prompt, hint)
	}
	b.Screenshots("statement-locked-01-prompt")

	r.typeIn(f, "#f-password", "1111")
	r.click(f, "#upload-submit")
	var fieldErr, invalid, describedBy string
	var ok bool
	b.Run("wrong password on the field",
		chromedp.WaitVisible("#f-password-error", in(f)...),
		chromedp.Text("#f-password-error", &fieldErr, in(f)...),
		chromedp.AttributeValue("#f-password", "aria-invalid", &invalid, &ok, in(f)...),
		chromedp.AttributeValue("#f-password", "aria-describedby", &describedBy, &ok, in(f)...))
	if !strings.Contains(fieldErr, "does not open") || invalid != "true" || describedBy != "f-password-error" {
		t.Fatalf("wrong password: %q (aria-invalid %q, describedby %q)", fieldErr, invalid, describedBy)
	}
	// the error sits inside the password field's label, not above the form
	var attached []*cdp.Node
	b.Run("error in the field's label", chromedp.Nodes(`label:has(> #f-password) > #f-password-error`, &attached, append(in(f), chromedp.AtLeast(0))...))
	if len(attached) != 1 {
		t.Fatal("the wrong-password error is not attached to the password field")
	}
	b.Screenshots("statement-locked-02-wrong-password")

	r.typeIn(f, "#f-password", "2505") // the file is still the chosen one
	r.click(f, "#upload-submit")
	r.waitScreen(f, "UPLOAD_SUMMARY")
	var summary string
	b.Run("summary", chromedp.Text("#upload-summary", &summary, in(f)...))
	if !strings.Contains(summary, "GTBank") || !strings.Contains(summary, "••••6789") || !strings.Contains(summary, fmt.Sprint(rows)) ||
		!strings.Contains(summary, "Closing balance") {
		t.Fatalf("summary: %q", summary)
	}
	b.Screenshots("statement-locked-03-summary")
	// nothing is an account until the partner exchanges the code
	if n := r.accounts(); n != 0 {
		t.Fatalf("%d accounts before the exchange", n)
	}
	r.click(f, "#upload-continue")
	code := r.code(1)
	if n := r.accounts(); n != 0 {
		t.Fatalf("%d accounts before the exchange", n)
	}
	acct := r.exchange(code)
	waitUntil(t, "statement read", 60*time.Second, func() bool { return status(t, r.e, acct) == "AVAILABLE" })
	a := r.e.must(200, "GET", "/v2/accounts/"+acct, nil, r.e.key()...).m(t)["data"].(map[string]any)
	if a["meta"].(map[string]any)["auth_method"] != "statement_upload" || a["account"].(map[string]any)["account_number"] != "0123456789" {
		t.Fatalf("account: %v", a)
	}
	var txns struct {
		Paging struct{ Total int }
	}
	json.Unmarshal(r.e.must(200, "GET", "/accounts/"+acct+"/transactions?limit=1", nil, r.e.key()...).body, &txns)
	if txns.Paging.Total != rows {
		t.Fatalf("%d transactions, the PDF has %d", txns.Paging.Total, rows)
	}
}

// accounts is how many accounts the rig's app has.
func (r *widgetRig) accounts() int {
	r.t.Helper()
	var n int
	if err := r.e.stk.store.View(context.Background(), func(tx kobo.Tx) error {
		var err error
		_, n, err = tx.ListAccounts(context.Background(), r.e.app["id"].(string), false, 1, 0)
		return err
	}); err != nil {
		r.t.Fatal(err)
	}
	return n
}
