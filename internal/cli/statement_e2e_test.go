package cli

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// upload posts a statement as multipart/form-data.
func (e *e2e) upload(name string, file []byte, fields map[string]string, headers ...string) res {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(file)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", e.url+"/v2/statements/upload", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("mono-sec-key", e.sk)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return res{status: r.StatusCode, header: r.Header, body: b}
}

func (e *e2e) uploadStatus(id string) map[string]any {
	e.t.Helper()
	return e.must(200, "GET", "/v2/statements/uploads/"+id, nil, e.key()...).m(e.t)["data"].(map[string]any)
}

// gtbCSV is a GTBank export; rows are date, narration, debit, credit, balance.
func gtbCSV(opening string, rows [][]string) []byte {
	var b strings.Builder
	b.WriteString("Guaranty Trust Bank\nAccount No:,0123456789\nAccount Name:,ADA OBI\nOpening Balance:," + opening + "\n")
	b.WriteString("Trans. Date,Value Date,Reference,Debits,Credits,Balance,Originating Branch,Remarks\n")
	for i, r := range rows {
		fmt.Fprintf(&b, "%s,%s,FT%d,%s,%s,%s,LAGOS,%s\n", r[0], r[0], i, r[2], r[3], r[4], r[1])
	}
	return []byte(b.String())
}

// TestStatementUploadE2E: upload → 202 → poll → AVAILABLE → the Mono
// endpoints serve it → a second, overlapping month merges → the same file
// again is 409 → sync is a no-op → unlink deletes it and its file.
func TestStatementUploadE2E(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); statementUploadE2E(t, e2eOpts{}) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); statementUploadE2E(t, e2eOpts{postgres: true, dsn: postgresDSN(t)}) })
}

func statementUploadE2E(t *testing.T, o e2eOpts) {
	hooks := newHookReceiver(t)
	e := startE2E(t, o)
	e.signupApp(hooks.srv.URL)
	hooks.secret = e.app["webhook_secret"].(string)

	// two months ending last week, so "last N months" reads them
	base := time.Now().UTC().AddDate(0, 0, -40).Truncate(24 * time.Hour)
	day := func(n int) string { return base.AddDate(0, 0, n).Format("02-Jan-2006") }
	dec := gtbCSV("10,000.00", [][]string{
		{day(0), "SALARY DEC", "", "\"250,000.00\"", "\"260,000.00\""},
		{day(4), "POS SHOPRITE", "\"12,500.00\"", "", "\"247,500.00\""},
		{day(19), "TRANSFER TO MUSA", "\"7,500.00\"", "", "\"240,000.00\""},
	})
	fields := map[string]string{"bank_code": "058", "customer[name]": "Ada Obi", "customer[email]": "ada@obi.ng", "ref": "loan-42"}
	r := e.upload("december.csv", dec, fields, "Idempotency-Key", "up-1")
	if r.status != 202 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	d := r.m(t)["data"].(map[string]any)
	upID, acct := d["id"].(string), d["account"].(string)
	if d["status"] != "PROCESSING" || upID == "" || acct == "" {
		t.Fatalf("upload answered %s", r.body)
	}
	// the same request again with the same key replays the first answer
	again := e.upload("december.csv", dec, fields, "Idempotency-Key", "up-1")
	if again.status != 202 || again.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.body, r.body) {
		t.Fatalf("replay: %d %s", again.status, again.body)
	}
	waitUntil(t, "upload parsed", 20*time.Second, func() bool { return e.uploadStatus(upID)["status"] != "PROCESSING" })
	st := e.uploadStatus(upID)
	if st["status"] != "AVAILABLE" || st["format"] != "csv" || st["account_number"] != "0123456789" || st["transactions"] != float64(3) ||
		st["opening_balance"] != float64(1000000) || st["closing_balance"] != nil {
		t.Fatalf("upload status: %v", st)
	}
	if b := st["bank"].(map[string]any); b["bank_code"] != "058" || b["name"] != "GTBank" {
		t.Fatalf("bank: %v", b)
	}
	if tot := st["totals"].(map[string]any); tot["debits"] != float64(2000000) || tot["credits"] != float64(25000000) {
		t.Fatalf("totals: %v", tot)
	}
	if a := st["authenticity"].(map[string]any); a["verdict"] != "consistent" {
		t.Fatalf("authenticity: %v", a)
	}
	if p := st["period"].(map[string]any); p["start"] != base.Format("2006-01-02") || p["end"] != base.AddDate(0, 0, 19).Format("2006-01-02") {
		t.Fatalf("period: %v", p)
	}

	// the account, through the Mono endpoints
	a := e.must(200, "GET", "/v2/accounts/"+acct, nil, e.key()...).m(t)["data"].(map[string]any)
	meta, account := a["meta"].(map[string]any), a["account"].(map[string]any)
	if meta["auth_method"] != "statement_upload" || meta["data_status"] != "AVAILABLE" || account["balance"] != float64(24000000) ||
		account["account_number"] != "0123456789" || account["name"] != "ADA OBI" || meta["ref"] != "loan-42" ||
		account["institution"].(map[string]any)["bank_code"] != "058" {
		t.Fatalf("account: %v", a)
	}
	txns := e.must(200, "GET", "/v2/accounts/"+acct+"/transactions", nil, e.key()...).m(t)
	if n := len(txns["data"].([]any)); n != 3 {
		t.Fatalf("%d transactions: %v", n, txns)
	}
	bal := e.must(200, "GET", "/v2/accounts/"+acct+"/balance", nil, e.key()...).m(t)["data"].(map[string]any)
	if bal["balance"] != float64(24000000) {
		t.Fatalf("balance: %v", bal)
	}
	id := e.must(200, "GET", "/v2/accounts/"+acct+"/identity", nil, e.key()...).m(t)["data"].(map[string]any)
	if !strings.Contains(fmt.Sprint(id), "ADA OBI") {
		t.Fatalf("identity: %v", id)
	}
	e.must(200, "GET", "/accounts/"+acct+"/credits", nil, e.key()...)
	waitUntil(t, "connected and updated", 20*time.Second, func() bool {
		return strings.Join(hooks.types(acct), ",") == "account_connected,account_updated"
	})

	// the same file again, without the key: 409 naming the first upload
	dup := e.upload("copy.csv", dec, fields)
	if dup.status != 409 || !strings.Contains(string(dup.body), upID) {
		t.Fatalf("duplicate: %d %s", dup.status, dup.body)
	}

	// January overlaps December's last row: it merges, no duplicate
	jan := gtbCSV("247,500.00", [][]string{
		{day(19), "TRANSFER TO MUSA", "\"7,500.00\"", "", "\"240,000.00\""},
		{day(32), "SALARY JAN", "", "\"250,000.00\"", "\"490,000.00\""},
		{day(33), "RENT", "\"150,000.00\"", "", "\"340,000.00\""},
	})
	r2 := e.upload("january.csv", jan, map[string]string{"bank_code": "058"})
	if r2.status != 202 {
		t.Fatalf("second upload: %d %s", r2.status, r2.body)
	}
	d2 := r2.m(t)["data"].(map[string]any)
	if d2["account"] != acct {
		t.Fatalf("the second month made a new account: %s", r2.body)
	}
	up2 := d2["id"].(string)
	waitUntil(t, "second upload parsed", 20*time.Second, func() bool { return e.uploadStatus(up2)["status"] == "AVAILABLE" })
	if m := e.uploadStatus(up2)["merge"].(map[string]any); m["added"] != float64(2) || m["already_on_record"] != float64(1) {
		t.Fatalf("merge: %v", m)
	}
	txns = e.must(200, "GET", "/v2/accounts/"+acct+"/transactions", nil, e.key()...).m(t)
	if n := len(txns["data"].([]any)); n != 5 {
		t.Fatalf("after the second month: %d transactions", n)
	}
	a = e.must(200, "GET", "/v2/accounts/"+acct, nil, e.key()...).m(t)["data"].(map[string]any)
	if a["account"].(map[string]any)["balance"] != float64(34000000) {
		t.Fatalf("balance after January: %v", a["account"])
	}
	waitUntil(t, "second account_updated", 20*time.Second, func() bool {
		return strings.Join(hooks.types(acct), ",") == "account_connected,account_updated,account_updated"
	})

	// the rest of the data endpoints read it like any account
	var stj struct {
		Meta struct{ Count int }
		Data []any
	}
	json.Unmarshal(e.must(200, "GET", "/accounts/"+acct+"/statement?period=last3months&output=json", nil, e.key()...).body, &stj)
	if stj.Meta.Count != 5 || len(stj.Data) != 5 {
		t.Fatalf("JSON statement: %d rows", stj.Meta.Count)
	}
	e.must(200, "GET", "/v2/accounts/"+acct+"/statement?period=last3months", nil, e.key()...)
	e.must(200, "GET", "/accounts/"+acct+"/income", nil, e.key()...)
	for _, r := range e.must(200, "GET", "/v2/accounts/"+acct+"/transactions", nil, e.key()...).m(t)["data"].([]any) {
		if c, _ := r.(map[string]any)["category"].(string); c == "" {
			t.Fatalf("uncategorised: %v", r)
		}
	}

	// the dashboard's account page carries the upload report
	page := e.dashboardPage(t, "/dashboard/apps/"+e.app["id"].(string)+"/accounts/"+acct)
	for _, want := range []string{"Statement uploads", "december.csv", "january.csv", "2 new, 1 already held", "consistent"} {
		if !strings.Contains(page, want) {
			t.Fatalf("the account page lacks %q", want)
		}
	}

	// sync: no bank to call
	sync := e.must(200, "POST", "/accounts/"+acct+"/sync", nil, e.key()...).m(t)
	if sync["code"] != "SYNC_SUCCESSFUL" || sync["hasNewData"] != false || !strings.Contains(fmt.Sprint(sync["message"]), "uploaded statements") {
		t.Fatalf("sync: %v", sync)
	}

	// a tampered statement is flagged, with the row
	tampered := gtbCSV("0.00", [][]string{
		{"01-Nov-2025", "SALARY NOV", "", "\"100,000.00\"", "\"100,000.00\""},
		{"02-Nov-2025", "POS", "\"1,000.00\"", "", "\"199,000.00\""},
	})
	r3 := e.upload("november.csv", tampered, map[string]string{"bank_code": "058"})
	up3 := r3.m(t)["data"].(map[string]any)["id"].(string)
	waitUntil(t, "tampered parsed", 20*time.Second, func() bool { return e.uploadStatus(up3)["status"] == "AVAILABLE" })
	auth := e.uploadStatus(up3)["authenticity"].(map[string]any)
	if auth["verdict"] != "suspicious" || !strings.Contains(fmt.Sprint(auth["reasons"]), "line 7 (2025-11-02)") {
		t.Fatalf("tampered: %v", auth)
	}

	// unlink takes the account, its uploads and their files
	e.must(200, "POST", "/v2/accounts/"+acct+"/unlink", nil, e.key()...)
	e.must(404, "GET", "/v2/statements/uploads/"+upID, nil, e.key()...)
	e.must(404, "GET", "/v2/accounts/"+acct, nil, e.key()...)
	err := e.stk.store.View(context.Background(), func(tx kobo.Tx) error {
		n := 0
		err := tx.UploadChunks(context.Background(), upID, func([]byte) error { n++; return nil })
		if err == nil && n != 0 {
			err = fmt.Errorf("%d file chunks left after unlink", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// and the file may be uploaded again afterwards
	if r := e.upload("december.csv", dec, fields); r.status != 202 {
		t.Fatalf("upload after unlink: %d %s", r.status, r.body)
	}
}

// TestStatementUploadBadInput: every bad upload is a clear 4xx or a
// FAILED upload naming what was found, and writes no account.
func TestStatementUploadBadInput(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	accounts := func() int {
		var n int
		if err := e.stk.store.View(context.Background(), func(tx kobo.Tx) error {
			var err error
			_, n, err = tx.ListAccounts(context.Background(), e.app["id"].(string), false, 10, 0)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	cases := []struct {
		name, file string
		data       []byte
		fields     map[string]string
		status     int
		msg        string
	}{
		{"no file", "", nil, nil, 400, "file is required"},
		{"not a statement", "photo.jpg", []byte("\xff\xd8\xff\xe0JFIF\x00\x01"), nil, 400, "not a statement format"},
		{"bad bank code", "a.csv", []byte("Date,Amount\n"), map[string]string{"bank_code": "gtb"}, 400, "bank_code"},
		{"unknown field", "a.csv", []byte("x"), map[string]string{"colour": "blue"}, 400, "unknown field"},
		{"too large", "big.csv", bytes.Repeat([]byte("01/12/2025,x,1.00\n"), (20<<20)/18+10), nil, 413, "20 MB"},
		{"zip bomb", "bomb.xlsx", zipBomb(t), nil, 413, "expands"},
		{"pdf bomb", "bomb.pdf", pdfBomb(t), nil, 413, "decodes to more than"},
	}
	for _, c := range cases {
		r := e.upload(c.file, c.data, c.fields)
		if r.status != c.status || !strings.Contains(string(r.body), c.msg) {
			t.Errorf("%s: %d %s; want %d with %q", c.name, r.status, r.body, c.status, c.msg)
		}
	}
	// a CSV with no statement in it: FAILED, naming what it holds
	r := e.upload("contacts.csv", []byte("name,phone,city\nAda,0803,Lagos\n"), nil)
	d := r.m(t)["data"].(map[string]any)
	if r.status != 202 || d["status"] != "FAILED" || d["account"] != nil || !strings.Contains(fmt.Sprint(d["error"]), "name | phone | city") {
		t.Fatalf("layout: %d %s", r.status, r.body)
	}
	if st := e.uploadStatus(d["id"].(string)); st["status"] != "FAILED" || !strings.Contains(fmt.Sprint(st["error"]), "no header row") {
		t.Fatalf("layout status: %v", st)
	}
	// an export without an account number needs the hint
	noNumber := []byte("Date,Description,Debit,Credit,Balance\n01/12/2025,Salary,,100.00,100.00\n")
	if d := e.upload("x.csv", noNumber, nil).m(t)["data"].(map[string]any); d["status"] != "FAILED" || !strings.Contains(fmt.Sprint(d["error"]), "account_number") {
		t.Fatalf("no number: %v", d)
	}
	if n := accounts(); n != 0 {
		t.Fatalf("bad uploads made %v accounts", n)
	}
	if r := e.upload("x.csv", noNumber, map[string]string{"account_number": "2001234567"}); r.status != 202 || r.m(t)["data"].(map[string]any)["status"] != "PROCESSING" {
		t.Fatalf("with the hint: %d %s", r.status, r.body)
	}
}

func zipBomb(t testing.TB) []byte {
	const n = 300 // MB of zeros
	raw, _ := repeatedDeflate(0, n)
	crc := crc32.NewIEEE()
	zeros := make([]byte, 1<<20)
	for range n {
		crc.Write(zeros)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(len(raw)), UncompressedSize64: n << 20})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw)
	zw.Close()
	return b.Bytes()
}

// repeatedDeflate is a raw deflate stream of mb megabytes of the byte c,
// and its Adler-32. Deflating hundreds of megabytes costs the race
// detector about a minute, so one megabyte is deflated and its blocks
// repeated: a sync flush ends them on a byte boundary, and deflate
// streams are sequences of blocks, so the copies concatenate into one
// valid stream that a final empty block closes.
func repeatedDeflate(c byte, mb int) ([]byte, uint32) {
	var one bytes.Buffer
	fw, _ := flate.NewWriter(&one, flate.BestCompression)
	fw.Write(bytes.Repeat([]byte{c}, 1<<20))
	fw.Flush()
	var out bytes.Buffer
	for range mb {
		out.Write(one.Bytes())
	}
	fw2, _ := flate.NewWriter(&out, flate.BestCompression)
	fw2.Close() // the final (empty) block
	// Adler-32 of n copies of c, in closed form: A = 1 + n*c, B = n + c*n(n+1)/2
	const mod = 65521
	n := uint64(mb) << 20
	a := (1 + n*uint64(c)) % mod
	bsum := (n%mod + uint64(c)*((n*(n+1)/2)%mod)) % mod
	return out.Bytes(), uint32(bsum<<16 | a)
}

// pdfBomb is a small PDF whose one page's content inflates to 64 MB of
// spaces: the reader must refuse it by the inflated size, not read it.
func pdfBomb(t testing.TB) []byte {
	// a zlib stream: header, the deflate blocks, Adler-32 big-endian
	raw, sum := repeatedDeflate(' ', 64)
	var z bytes.Buffer
	z.Write([]byte{0x78, 0xda})
	z.Write(raw)
	z.Write(binary.BigEndian.AppendUint32(nil, sum))
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.Bytes())}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	if b.Len() > 1<<20 {
		t.Fatalf("the bomb is %d bytes", b.Len())
	}
	return b.Bytes()
}

// dashboardPage logs the app's partner in to the dashboard and fetches a page.
func (e *e2e) dashboardPage(t *testing.T, path string) string {
	t.Helper()
	email := e.must(200, "GET", "/v1/auth/me", nil, "Authorization", e.auth).m(t)["email"].(string)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	get := func(p string) string {
		res, err := client.Get(e.url + p)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d", p, res.StatusCode)
		}
		return string(b)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(get("/dashboard/login"))
	if m == nil {
		t.Fatal("no CSRF token on the login page")
	}
	res, err := client.PostForm(e.url+"/dashboard/login", url.Values{"email": {email}, "password": {"a long passphrase"}, "csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return get(path)
}

// TestStatementUploadOfKoboPDF: a PDF statement kobo itself renders for a
// linked sandbox account, uploaded back, builds an account with the same
// transactions (the PDF reader behind the same upload API).
func TestStatementUploadOfKoboPDF(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	linked := linkUser(t, e, e.institution("GTBank"), "user_good", nil)
	waitUntil(t, "first fetch", 20*time.Second, func() bool { return status(t, e, linked) == "AVAILABLE" })
	job := e.must(200, "GET", "/accounts/"+linked+"/statement?period=last3months&output=pdf", nil, e.key()...).m(t)
	var path string
	waitUntil(t, "statement built", 30*time.Second, func() bool {
		j := e.must(200, "GET", "/accounts/"+linked+"/statement/jobs/"+job["id"].(string), nil, e.key()...).m(t)
		path, _ = j["path"].(string)
		return j["status"] == "BUILT"
	})
	u, _ := url.Parse(path)
	pdf := e.must(200, "GET", u.RequestURI(), nil).body
	var want struct {
		Meta struct{ Count int }
	}
	json.Unmarshal(e.must(200, "GET", "/accounts/"+linked+"/statement?period=last3months&output=json", nil, e.key()...).body, &want)

	r := e.upload("statement.pdf", pdf, map[string]string{"bank_code": "058"})
	if r.status != 202 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	d := r.m(t)["data"].(map[string]any)
	if d["status"] != "PROCESSING" {
		t.Fatalf("upload: %s", r.body)
	}
	id := d["id"].(string)
	waitUntil(t, "pdf parsed", 30*time.Second, func() bool { return e.uploadStatus(id)["status"] != "PROCESSING" })
	st := e.uploadStatus(id)
	if st["status"] != "AVAILABLE" || st["format"] != "pdf" || st["transactions"] != float64(want.Meta.Count) || want.Meta.Count == 0 {
		t.Fatalf("upload of kobo's own PDF (%d rows in the JSON statement): %v", want.Meta.Count, st)
	}
	if v := st["authenticity"].(map[string]any)["verdict"]; v == "suspicious" {
		t.Fatalf("kobo's own statement judged suspicious: %v", st["authenticity"])
	}
}

// widgetUpload posts a file to the widget's upload in a session.
func (e *e2e) widgetUpload(name string, file []byte, headers ...string) res {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(file)
	mw.Close()
	req, _ := http.NewRequest("POST", e.url+"/connect/api/statement", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return res{status: r.StatusCode, header: r.Header, body: b}
}

// TestStatementUploadViaConnectLink: a Connect Link's customer uploads a
// statement; the link is the key, so kobo exchanges the code when the
// customer finishes, the account is made then (with the link's customer
// and reference), account_connected fires, and the partner's own
// exchange of the same code answers the same account.
func TestStatementUploadViaConnectLink(t *testing.T) {
	t.Parallel()
	hooks := newHookReceiver(t)
	e := startE2E(t, e2eOpts{})
	e.signupApp(hooks.srv.URL)
	hooks.secret = e.app["webhook_secret"].(string)
	r := e.must(200, "POST", "/v2/accounts/initiate", map[string]any{"customer": map[string]string{"name": "Ada Obi", "email": "ada@obi.ng"},
		"meta": map[string]string{"ref": "loan-77"}, "scope": "auth", "redirect_url": "https://acme.ng/done"}, e.key()...)
	u, _ := url.Parse(r.m(t)["data"].(map[string]any)["mono_url"].(string))
	tok := u.Query().Get("link")
	sess := e.must(200, "POST", "/connect/api/session", map[string]any{"institution": e.institution("GTBank"), "auth_method": "statement_upload"},
		"x-link-token", tok).m(t)["session_id"].(string)
	csv := gtbCSV("10,000.00", [][]string{{"01-Dec-2025", "SALARY", "", "\"250,000.00\"", "\"260,000.00\""}, {"02-Dec-2025", "POS", "\"10,000.00\"", "", "\"250,000.00\""}})
	up := e.widgetUpload("gtb.csv", csv, "x-link-token", tok, "x-session-id", sess)
	if up.status != 200 || up.m(t)["upload"].(map[string]any)["status"] != "STAGED" {
		t.Fatalf("upload: %d %s", up.status, up.body)
	}
	code := e.must(200, "POST", "/connect/api/statement/confirm", nil, "x-link-token", tok, "x-session-id", sess).m(t)["code"].(string)
	done := e.must(200, "POST", "/connect/api/link/complete", map[string]string{"code": code}, "x-link-token", tok).m(t)
	redirect, _ := done["redirect"].(string)
	ru, err := url.Parse(redirect)
	if err != nil || ru.Host != "acme.ng" || ru.Query().Get("status") != "linked" {
		t.Fatalf("redirect %q", redirect)
	}
	acct := ru.Query().Get("account_id")
	again := e.must(200, "POST", "/account/auth", map[string]string{"code": code}, e.key()...).m(t)["id"].(string)
	if acct == "" || again != acct {
		t.Fatalf("the partner's exchange answered %s, the link made %s", again, acct)
	}
	waitUntil(t, "statement read", 30*time.Second, func() bool { return status(t, e, again) == "AVAILABLE" })
	a := e.must(200, "GET", "/v2/accounts/"+again, nil, e.key()...).m(t)["data"].(map[string]any)
	if a["meta"].(map[string]any)["ref"] != "loan-77" || a["customer"] == nil || a["meta"].(map[string]any)["auth_method"] != "statement_upload" {
		t.Fatalf("account: %v", a)
	}
	waitUntil(t, "connected and updated", 20*time.Second, func() bool {
		return strings.Join(hooks.types(again), ",") == "account_connected,account_updated"
	})
	// the upload is the session's submission; the link's own exchange
	// linked it, and the partner's second exchange counts nothing
	if got := funnelCounts(e.funnelOf(t, "")["total"].(map[string]any)); got != "total 1/1/1/1 exited 0 failed 0 conv 1" {
		t.Errorf("link funnel: %s", got)
	}
}

// The bombs are only bombs if a reader takes them for valid streams: two
// megabytes of repeated blocks inflate to exactly that, checksum included.
func TestRepeatedDeflateIsValid(t *testing.T) {
	t.Parallel()
	raw, sum := repeatedDeflate('x', 2)
	var z bytes.Buffer
	z.Write([]byte{0x78, 0xda})
	z.Write(raw)
	z.Write(binary.BigEndian.AppendUint32(nil, sum))
	zr, err := zlib.NewReader(&z)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, bytes.Repeat([]byte{'x'}, 2<<20)) {
		t.Fatalf("inflated %d bytes, %v", len(got), err)
	}
	zr2, err := zip.NewReader(bytes.NewReader(zipBomb(t)), int64(len(zipBomb(t))))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr2.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, make([]byte, 1<<20)) {
		t.Fatalf("the zip bomb's first megabyte: %v", err)
	}
}
