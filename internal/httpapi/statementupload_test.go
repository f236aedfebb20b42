package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/statement"
	"github.com/kobo-oss/kobo/internal/statementimport"
	"github.com/kobo-oss/kobo/internal/vault"
)

// fakePDF stands in for the PDF parser: a locked statement that opens
// with "s3cret" and, once open, reads as a GTBank statement saved by an
// editor.
type fakePDF struct{}

func (fakePDF) Format() statementimport.Format { return statementimport.FormatPDF }
func (fakePDF) Sniff(head []byte, _ string) bool {
	return bytes.HasPrefix(head, []byte("%PDF-"))
}
func (fakePDF) Parse(_ context.Context, _ io.ReaderAt, _ int64, o statementimport.Options) (*statementimport.Statement, error) {
	switch o.Password {
	case "":
		return nil, statementimport.ErrPasswordRequired
	case "s3cret":
	default:
		return nil, statementimport.ErrWrongPassword
	}
	b1, b2 := int64(500000), int64(450000)
	open := int64(0)
	return &statementimport.Statement{Format: statementimport.FormatPDF, BankName: "Guaranty Trust Bank", AccountNumber: "0123456789",
		AccountName: "ADA OBI", Currency: "NGN", Opening: &open, Layout: "gtbank",
		PeriodStart: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC),
		Rows: []statementimport.Row{
			{Date: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), Narration: "SALARY", Credit: 500000, Balance: &b1, Page: 1, Line: 12},
			{Date: time.Date(2025, 12, 2, 0, 0, 0, 0, time.UTC), Narration: "POS", Debit: 50000, Balance: &b2, Page: 1, Line: 13},
		},
		PDF: &statementimport.PDFInfo{Producer: "iLovePDF", Encrypted: true, AmountFonts: []string{"Arial"}},
	}, nil
}

func uploadBody(t testing.TB, name string, file []byte, fields map[string]string) (string, []byte) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(file)
	mw.Close()
	return mw.FormDataContentType(), body.Bytes()
}

func (b *bundle) upload(t testing.TB, sk, name string, file []byte, fields map[string]string) resp {
	t.Helper()
	ct, body := uploadBody(t, name, file, fields)
	req, _ := http.NewRequest("POST", b.srv.URL+"/v2/statements/upload", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("mono-sec-key", sk)
	res, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return resp{Status: res.StatusCode, Header: res.Header, Body: out}
}

func setupUploads(t testing.TB) *bundle {
	v, err := vault.New([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	b := setupWith(t, app.Config{Statements: statement.New(fakePDF{}), Sealer: v, FingerprintKey: []byte("fp")})
	if err := b.svc.SeedInstitutions(context.Background(), statement.Catalog()); err != nil {
		t.Fatal(err)
	}
	return b
}

// runJobs runs the queued statement jobs the way the runner would.
func (b *bundle) runJobs(t testing.TB) int {
	t.Helper()
	ctx := context.Background()
	var jobs []*kobo.Job
	if err := b.st.Update(ctx, func(tx kobo.Tx) error {
		var err error
		jobs, err = tx.ClaimJobs(ctx, "test", 10, time.Now(), time.Minute)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Kind != app.JobIngestStatement {
			continue
		}
		if err := b.svc.IngestStatement(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	return len(jobs)
}

// A locked PDF: no password and a wrong one are 400s that say so, and
// write nothing; the right one is kept sealed until the job has read the
// file with it.
func TestUploadLockedPDF(t *testing.T) {
	b := setupUploads(t)
	_, sk := b.newApp(t, b.partner(t, "pdf@acme.ng"))
	pdf := []byte("%PDF-1.7\n% a locked statement\n")
	r := b.upload(t, sk, "statement.pdf", pdf, nil).want(t, 400)
	if m := r.json(t)["message"].(string); !strings.Contains(m, "password is needed") {
		t.Fatalf("no password: %s", r.Body)
	}
	golden(t, "v2_statement_upload_password_required", r.Body)
	r = b.upload(t, sk, "statement.pdf", pdf, map[string]string{"password": "guess"}).want(t, 400)
	if m := r.json(t)["message"].(string); !strings.Contains(m, "password does not open") {
		t.Fatalf("wrong password: %s", r.Body)
	}
	if n := b.runJobs(t); n != 0 {
		t.Fatalf("refused uploads queued %d jobs", n)
	}
	r = b.upload(t, sk, "statement.pdf", pdf, map[string]string{"password": "s3cret", "bank_code": "058"}).want(t, 202)
	golden(t, "v2_statement_upload_accepted", r.Body)
	id := r.json(t)["data"].(map[string]any)["id"].(string)
	if n := b.runJobs(t); n != 1 {
		t.Fatalf("%d jobs", n)
	}
	st := b.do(t, "GET", "/v2/statements/uploads/"+id, nil, "mono-sec-key", sk).want(t, 200)
	golden(t, "v2_statement_upload_status", st.Body)
	d := st.json(t)["data"].(map[string]any)
	if d["status"] != "AVAILABLE" || d["format"] != "pdf" {
		t.Fatalf("status: %s", st.Body)
	}
	if a := d["authenticity"].(map[string]any); a["verdict"] != "suspicious" || !strings.Contains(strings.Join(toStrings(a["reasons"]), " "), "iLovePDF") {
		t.Fatalf("an editor's PDF was not flagged: %v", a)
	}
	// another app's key does not see it
	_, other := b.newApp(t, b.partner(t, "other@acme.ng"))
	b.do(t, "GET", "/v2/statements/uploads/"+id, nil, "mono-sec-key", other).want(t, 404)
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// FuzzStatementUpload throws arbitrary multipart bodies at the upload:
// the answer is JSON, and never a 5xx.
func FuzzStatementUpload(f *testing.F) {
	b := setupUploads(f)
	_, sk := b.newApp(f, b.partner(f, "fuzzup@acme.ng"))
	for _, s := range []string{"Date,Amount\n01/12/2025,5.00\n", "%PDF-1.4", "PK\x03\x04", "<OFX>", ":20:X\n:25:1\n", `{"Details":[]}`, ""} {
		f.Add("a.csv", s, "058")
	}
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, name, file, bank string) {
		ct, body := uploadBody(t, name, []byte(file), map[string]string{"bank_code": bank})
		if len(body) > 1<<16 {
			return
		}
		req, _ := http.NewRequest("POST", b.srv.URL+"/v2/statements/upload", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("mono-sec-key", sk)
		res, err := b.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 || !json.Valid(out) {
			t.Fatalf("%q: %d %s", file, res.StatusCode, out)
		}
	})
}

// The widget's upload: a locked PDF answers 400 naming the password field
// (the widget's cue for a password prompt); the right password answers
// the summary and a code that exchanges to the upload's account.
func TestWidgetUploadLockedPDF(t *testing.T) {
	b := setupUploads(t)
	m := b.do(t, "POST", "/v1/apps", map[string]any{"name": "loans"}, "Authorization", b.partner(t, "w@acme.ng")).want(t, 201).json(t)
	pk, sk := m["public_key"].(string), m["secret_key"].(string)
	var anyBank string
	cat := b.do(t, "GET", "/connect/api/config", nil, "x-public-key", pk).want(t, 200).json(t)
	for _, in := range cat["institutions"].([]any) {
		if in := in.(map[string]any); in["name"] == "Any bank — upload a statement" {
			anyBank = in["id"].(string)
		}
	}
	if anyBank == "" {
		t.Fatal("the widget offers no upload entry")
	}
	send := func(fields map[string]string) resp {
		ct, body := uploadBody(t, "statement.pdf", []byte("%PDF-1.7\n"), fields)
		req, _ := http.NewRequest("POST", b.srv.URL+"/connect/api/statement", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("x-public-key", pk)
		res, err := b.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return resp{Status: res.StatusCode, Header: res.Header, Body: out}
	}
	r := send(map[string]string{"institution": anyBank}).want(t, 400)
	if !strings.Contains(string(r.Body), `"field":"password"`) {
		t.Fatalf("no password cue: %s", r.Body)
	}
	r = send(map[string]string{"institution": anyBank, "password": "s3cret", "customer[email]": "ada@obi.ng"}).want(t, 200)
	j := r.json(t)
	code, _ := j["code"].(string)
	if j["responseCode"] != float64(99) || !strings.HasPrefix(code, "code_") || j["upload"].(map[string]any)["transactions"] != float64(2) {
		t.Fatalf("widget upload: %s", r.Body)
	}
	acct := b.do(t, "POST", "/account/auth", map[string]string{"code": code}, "mono-sec-key", sk).want(t, 200).json(t)["id"].(string)
	if acct != j["upload"].(map[string]any)["account"] {
		t.Fatalf("the code exchanged to %s, the upload made %v", acct, j["upload"].(map[string]any)["account"])
	}
	b.do(t, "POST", "/account/auth", map[string]string{"code": code}, "mono-sec-key", sk).want(t, 400) // once only
}
