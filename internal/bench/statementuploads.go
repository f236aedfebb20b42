package bench

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/statement"
	"github.com/kobo-oss/kobo/internal/statementimport"
)

// benchStatementUploads measures statement uploads end to end against a
// `kobo serve` child, through the HTTP API: how long a 500-row PDF takes
// from the start of POST /v2/statements/upload to GET
// /v2/statements/uploads/{id} answering AVAILABLE (the read, the store,
// the job, the merge), and the child's peak resident memory (VmHWM) over
// the upload of a 20 MB statement, against its peak before it. Uploads
// run one at a time, so the latency is one customer's, not a queue's.
func benchStatementUploads(ctx context.Context, o benchOpts) ([]benchResult, error) {
	k, err := startBenchKobo(ctx, o, "")
	if err != nil {
		return nil, err
	}
	defer k.stop()
	var out []benchResult

	// upload → AVAILABLE for a 500-row, 6-month PDF: each file a different
	// account (a repeat of one file is a 409, and the merge of a growing
	// history is the ingest suite's figure)
	n := 40
	if o.quick {
		n = 12
	}
	files := make([][]byte, n+1)
	for i := range files {
		doc := benchStatementDoc(500, 6)
		doc.AccountNumber = fmt.Sprintf("01%08d", i)
		var buf bytes.Buffer
		if err := statement.Render(&buf, doc); err != nil {
			return nil, err
		}
		files[i] = buf.Bytes()
	}
	if _, err := k.uploadAvailable(files[0], "warm.pdf", time.Minute); err != nil { // the first read warms the process
		return nil, err
	}
	var lat []time.Duration
	for i := 1; i <= n; i++ {
		d, err := k.uploadAvailable(files[i], "statement.pdf", time.Minute)
		if err != nil {
			return nil, err
		}
		lat = append(lat, d)
	}
	p99 := pct(lat, .99)
	out = append(out, benchResult{Suite: "statements", Engine: o.engine(), Name: fmt.Sprintf("upload to AVAILABLE, 500-row PDF (%d KB), p99", len(files[1])>>10),
		Value: ms(p99), Unit: "ms", Target: "< 2000 ms", Pass: p99 < 2*time.Second,
		Note: fmt.Sprintf("%d uploads one at a time through the HTTP API; p50 %v, max %v", n, pct(lat, .5).Round(time.Millisecond), pct(lat, 1).Round(time.Millisecond))})

	// peak RSS over a 20 MB upload: a 330,000-row CSV export, the largest
	// statement the API takes, read at upload, stored, read again by the
	// job and merged into a new account
	size := cmp.Or(o.bigUpload, 20<<20)
	big := statementimport.SampleCSV(size/60 + 10)
	if len(big) > size {
		big = big[:bytes.LastIndexByte(big[:size], '\n')+1]
	}
	rows := bytes.Count(big, []byte("\n")) - 2
	before, err := vmHWM(k.pid)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	id, err := k.uploadStatement(big, "export.csv")
	if err != nil {
		return nil, err
	}
	accepted := time.Since(t0)
	atRequest, err := vmHWM(k.pid) // the request: spooled, read once, stored
	if err != nil {
		return nil, err
	}
	took, err := k.waitUpload(id, "export.csv", t0, 3*time.Minute)
	if err != nil {
		return nil, err
	}
	peak, err := vmHWM(k.pid) // and the job: read again, merged
	if err != nil {
		return nil, err
	}
	out = append(out, benchResult{Suite: "statements", Engine: o.engine(), Name: fmt.Sprintf("peak RSS over a %.1f MB upload (%d-row CSV) to AVAILABLE", float64(len(big))/(1<<20), rows),
		Value: float64(peak) / 1024, Unit: "MB", Baseline: float64(before) / 1024, BaseName: "MB peak before it", Ratio: float64(peak) / float64(max(before, 1)),
		Target: "< 150 MB", Pass: peak < 150*1024,
		Note: fmt.Sprintf("VmHWM of the kobo serve child: %.0f MB by the 202 (%v), %.0f MB by AVAILABLE (%v)",
			float64(atRequest)/1024, accepted.Round(time.Millisecond), float64(peak)/1024, took.Round(time.Millisecond))})
	return out, nil
}

// uploadAvailable uploads a statement and waits for its upload to be
// AVAILABLE, returning the time from the start of the request.
func (k *benchKobo) uploadAvailable(file []byte, name string, limit time.Duration) (time.Duration, error) {
	t0 := time.Now()
	id, err := k.uploadStatement(file, name)
	if err != nil {
		return 0, err
	}
	return k.waitUpload(id, name, t0, limit)
}

// uploadStatement posts a statement and returns the upload's id once
// the API has accepted it (202, PROCESSING).
func (k *benchKobo) uploadStatement(file []byte, name string) (string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("bank_code", "058")
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(file)
	mw.Close()
	req, err := http.NewRequest("POST", k.api+"/v2/statements/upload", &body)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("mono-sec-key", k.sk)
	res, err := k.client.Do(req)
	if err != nil {
		return "", err
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		return "", fmt.Errorf("upload %s: %d %.300s", name, res.StatusCode, b)
	}
	var up struct {
		Data struct{ ID, Status, Error string }
	}
	if err := json.Unmarshal(b, &up); err != nil || up.Data.Status != "PROCESSING" {
		return "", fmt.Errorf("upload %s answered %.300s", name, b)
	}
	return up.Data.ID, nil
}

// waitUpload polls an upload until it is AVAILABLE and returns the time
// since t0.
func (k *benchKobo) waitUpload(id, name string, t0 time.Time, limit time.Duration) (time.Duration, error) {
	for time.Since(t0) < limit {
		var st struct {
			Data struct{ Status, Error string }
		}
		if _, err := k.call("GET", "/v2/statements/uploads/"+id, k.sk, nil, &st); err != nil {
			return 0, err
		}
		switch st.Data.Status {
		case "AVAILABLE":
			return time.Since(t0), nil
		case "FAILED":
			return 0, fmt.Errorf("upload %s failed: %s", name, st.Data.Error)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, fmt.Errorf("upload %s not AVAILABLE within %v", name, limit)
}

// vmHWM is a process's peak resident set size so far, in KB.
func vmHWM(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	return 0, fmt.Errorf("no VmHWM for pid %d", pid)
}
