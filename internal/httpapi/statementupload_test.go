package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
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
func (b *bundle) runJobs(t testing.TB) int { t.Helper(); return b.runJobsAt(t, time.Now()) }

// runJobsAt runs the statement jobs due at at (a test's clock).
func (b *bundle) runJobsAt(t testing.TB, at time.Time) int {
	t.Helper()
	ctx := context.Background()
	var jobs []*kobo.Job
	if err := b.st.Update(ctx, func(tx kobo.Tx) error {
		var err error
		jobs, err = tx.ClaimJobs(ctx, "test", 10, at, time.Minute)
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

// The widget's upload runs in a connect session like a login: a locked
// PDF answers 400 naming the password field (the widget's cue for a
// password prompt) and a wrong password counts against the session; the
// right one answers the summary and stages the file, with no account and
// no job; the confirmation gives the code; only the partner's exchange
// (secret key) makes the account and queues the read.
func TestWidgetUploadLockedPDF(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Second)
	now := t0
	clock := kobo.ClockFunc(func() time.Time { return now })
	b := setupUploadsWith(t, app.Config{Clock: clock, Throttles: app.Throttles{SessionsPerPublicKey: 2, CustomersPerPublicKey: 100}})
	m := b.do(t, "POST", "/v1/apps", map[string]any{"name": "loans"}, "Authorization", b.partner(t, "w@acme.ng")).want(t, 201).json(t)
	pk, sk := m["public_key"].(string), m["secret_key"].(string)
	anyBank := b.anyBank(t, pk)
	session := func() string {
		r := b.do(t, "POST", "/connect/api/session", map[string]any{"institution": anyBank, "auth_method": "statement_upload",
			"customer": map[string]string{"email": "ada@obi.ng", "name": "Ada Obi"}}, "x-public-key", pk).want(t, 200).json(t)
		return r["session_id"].(string)
	}
	sess := session()
	send := func(sess string, fields map[string]string) resp {
		return b.widgetUpload(t, pk, sess, "statement.pdf", []byte("%PDF-1.7\n"), fields)
	}
	r := send(sess, nil).want(t, 400)
	if !strings.Contains(string(r.Body), `"field":"password"`) || !strings.Contains(string(r.Body), "password is needed") {
		t.Fatalf("no password cue: %s", r.Body)
	}
	r = send(sess, map[string]string{"password": "guess"}).want(t, 400)
	if !strings.Contains(string(r.Body), `"field":"password"`) || !strings.Contains(string(r.Body), "does not open") {
		t.Fatalf("wrong password: %s", r.Body)
	}
	// the customer fields come from the session, never from the upload
	send(sess, map[string]string{"password": "s3cret", "customer[email]": "eve@x.ng"}).want(t, 400)
	r = send(sess, map[string]string{"password": "s3cret"}).want(t, 200)
	j := r.json(t)
	up := j["upload"].(map[string]any)
	if j["responseCode"] != float64(app.CodeMoreInput) || j["code"] != nil || up["transactions"] != float64(2) || up["status"] != "STAGED" || up["account_number"] != "0123456789" {
		t.Fatalf("widget upload: %s", r.Body)
	}
	if n := b.countAccounts(t); n != 0 {
		t.Fatalf("the upload made %d accounts before any exchange", n)
	}
	if n := b.runJobs(t); n != 0 {
		t.Fatalf("the upload queued %d jobs before any exchange", n)
	}
	c := b.do(t, "POST", "/connect/api/statement/confirm", nil, "x-public-key", pk, "x-session-id", sess).want(t, 200).json(t)
	code, _ := c["code"].(string)
	if c["responseCode"] != float64(app.CodeLinked) || !strings.HasPrefix(code, "code_") {
		t.Fatalf("confirm: %v", c)
	}
	if n := b.countAccounts(t); n != 0 {
		t.Fatalf("the confirmation made %d accounts", n)
	}
	b.do(t, "POST", "/connect/api/statement/confirm", nil, "x-public-key", pk, "x-session-id", sess).want(t, 400) // once
	acct := b.do(t, "POST", "/account/auth", map[string]string{"code": code}, "mono-sec-key", sk).want(t, 200).json(t)["id"].(string)
	if n := b.countAccounts(t); n != 1 {
		t.Fatalf("%d accounts after the exchange", n)
	}
	if n := b.runJobs(t); n != 1 {
		t.Fatalf("%d jobs after the exchange", n)
	}
	a := b.do(t, "GET", "/v2/accounts/"+acct, nil, "mono-sec-key", sk).want(t, 200).json(t)["data"].(map[string]any)
	if a["meta"].(map[string]any)["auth_method"] != "statement_upload" || a["meta"].(map[string]any)["data_status"] != "AVAILABLE" || a["customer"] == nil {
		t.Fatalf("account: %v", a)
	}
	b.do(t, "POST", "/account/auth", map[string]string{"code": code}, "mono-sec-key", sk).want(t, 400) // once only

	// the upload session counts against the public key's hourly session
	// cap, as a login's does: the second is the last this hour
	abandoned := session()
	send(abandoned, map[string]string{"password": "s3cret"}).want(t, 409) // the same file: already an account's
	b.do(t, "POST", "/connect/api/session", map[string]any{"institution": anyBank, "auth_method": "statement_upload"}, "x-public-key", pk).want(t, 429)
}

// An upload the customer abandons (staged, never confirmed, or confirmed
// and never exchanged) leaves nothing once pruned: not the upload, not
// its file; the same file can be uploaded again in a new session, and a
// late exchange of the abandoned code is refused.
func TestWidgetUploadAbandoned(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Second)
	now := t0
	clock := kobo.ClockFunc(func() time.Time { return now })
	b := setupUploadsWith(t, app.Config{Clock: clock})
	m := b.do(t, "POST", "/v1/apps", map[string]any{"name": "loans"}, "Authorization", b.partner(t, "ab@acme.ng")).want(t, 201).json(t)
	pk, sk := m["public_key"].(string), m["secret_key"].(string)
	gtb := b.institutionNamed(t, pk, "GTBank")
	open := func() string {
		return b.do(t, "POST", "/connect/api/session", map[string]any{"institution": gtb, "auth_method": "statement_upload"}, "x-public-key", pk).
			want(t, 200).json(t)["session_id"].(string)
	}
	csv := []byte("Account Number,0123456789\nTrans. Date,Value Date,Reference,Debits,Credits,Balance,Remarks\n" +
		"01-Dec-2025,01-Dec-2025,R1,,\"5,000.00\",\"15,000.00\",SALARY\n02-Dec-2025,02-Dec-2025,R2,\"1,000.00\",,\"14,000.00\",POS\n")
	first := open()
	b.widgetUpload(t, pk, first, "gtb.csv", csv, nil).want(t, 200)
	// a second widget with the same file takes it over (the first was
	// left open); confirm there, and never exchange
	second := open()
	b.widgetUpload(t, pk, second, "gtb.csv", csv, nil).want(t, 200)
	b.do(t, "POST", "/connect/api/statement/confirm", nil, "x-public-key", pk, "x-session-id", first).want(t, 400)
	code := b.do(t, "POST", "/connect/api/statement/confirm", nil, "x-public-key", pk, "x-session-id", second).want(t, 200).json(t)["code"].(string)
	if n := b.countUploadRows(t); n[0] != 1 || n[1] != 1 {
		t.Fatalf("staged: %d uploads, %d chunks", n[0], n[1])
	}
	now = t0.Add(app.SessionTTL + app.CodeTTL + 6*time.Minute)
	pruned, err := b.svc.PruneStagedUploads(context.Background())
	if err != nil || pruned != 1 {
		t.Fatalf("pruned %d, %v", pruned, err)
	}
	if n := b.countUploadRows(t); n[0] != 0 || n[1] != 0 || b.countAccounts(t) != 0 {
		t.Fatalf("after pruning: %d uploads, %d chunks, %d accounts", n[0], n[1], b.countAccounts(t))
	}
	b.do(t, "POST", "/account/auth", map[string]string{"code": code}, "mono-sec-key", sk).want(t, 400)
	// the customer comes back: the same file goes through
	third := open()
	b.widgetUpload(t, pk, third, "gtb.csv", csv, nil).want(t, 200)
	code = b.do(t, "POST", "/connect/api/statement/confirm", nil, "x-public-key", pk, "x-session-id", third).want(t, 200).json(t)["code"].(string)
	b.do(t, "POST", "/account/auth", map[string]string{"code": code}, "mono-sec-key", sk).want(t, 200)
	if b.runJobsAt(t, now) != 1 || b.countAccounts(t) != 1 {
		t.Fatal("the returning customer's upload did not make its account")
	}
	// and an exchanged upload is never pruned
	now = now.Add(24 * time.Hour)
	if pruned, err := b.svc.PruneStagedUploads(context.Background()); err != nil || pruned != 0 {
		t.Fatalf("pruned %d exchanged uploads, %v", pruned, err)
	}
}

func setupUploadsWith(t testing.TB, cfg app.Config) *bundle {
	v, err := vault.New([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Statements, cfg.Sealer, cfg.FingerprintKey = statement.New(fakePDF{}), v, []byte("fp")
	b := setupWith(t, cfg)
	if err := b.svc.SeedInstitutions(context.Background(), statement.Catalog()); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *bundle) widgetUpload(t testing.TB, pk, session, name string, file []byte, fields map[string]string) resp {
	t.Helper()
	ct, body := uploadBody(t, name, file, fields)
	req, _ := http.NewRequest("POST", b.srv.URL+"/connect/api/statement", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("x-public-key", pk)
	req.Header.Set("x-session-id", session)
	res, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return resp{Status: res.StatusCode, Header: res.Header, Body: out}
}

func (b *bundle) anyBank(t testing.TB, pk string) string {
	return b.institutionNamed(t, pk, "Any bank — upload a statement")
}

func (b *bundle) institutionNamed(t testing.TB, pk, name string) string {
	t.Helper()
	cat := b.do(t, "GET", "/connect/api/config", nil, "x-public-key", pk).want(t, 200).json(t)
	for _, in := range cat["institutions"].([]any) {
		if in := in.(map[string]any); in["name"] == name {
			return in["id"].(string)
		}
	}
	t.Fatalf("the widget offers no %q", name)
	return ""
}

func (b *bundle) countAccounts(t testing.TB) int {
	return b.count(t, "SELECT count(*) FROM accounts")
}

// countUploadRows is the uploads and file chunks the database holds.
func (b *bundle) countUploadRows(t testing.TB) [2]int {
	return [2]int{b.count(t, "SELECT count(*) FROM statement_uploads"), b.count(t, "SELECT count(*) FROM statement_upload_chunks")}
}

// count runs a counting query on the bundle's SQLite file directly: what
// is in the database, whatever the API says.
func (b *bundle) count(t testing.TB, query string) int {
	t.Helper()
	db, err := sql.Open("sqlite", b.st.(interface{ Path() string }).Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
