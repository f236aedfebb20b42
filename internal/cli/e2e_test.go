package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kobo-oss/kobo/internal/config"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/webhook"
)

var update = flag.Bool("update", false, "rewrite golden files")

// e2e is a whole kobo (production wiring from build) behind an httptest
// server, with the in-process sandbox bank.
type e2e struct {
	t    testing.TB
	url  string
	stk  *stack
	srv  *httptest.Server
	dir  string
	dsn  string
	auth string // partner bearer
	// email is the partner signupApp made (password "a long passphrase")
	email string
	app   map[string]any
	sk    string
	pk    string
	admin string // the admin listener, started by operator() on first use
}

type e2eOpts struct {
	postgres bool
	dir      string // reuse a data directory (restart tests)
	dsn      string
	tokenTTL time.Duration // partner and dashboard sessions
	logs     io.Writer     // JSON debug logs go here when set
	limits   bool          // keep the default rate limits
	clock    kobo.Clock    // the stack's clock; the system clock when nil
	// addr is the address kobo is taken to listen on (the test server
	// listens where it likes): the webhook guard follows it. Unset, the
	// operator switch for private webhook targets is on, for the loopback
	// receivers tests deliver to.
	addr      string
	masterKey string // KOBO_MASTER_KEY (Postgres defaults to a fixed test key)
	// providerGuard keeps providers off loopback and private addresses;
	// unset, the operator switch is on for the loopback SimpleFIN fakes.
	providerGuard bool
	mono          *config.Mono // the Mono upstream provider (KOBO_MONO_*)
	workers       int          // background workers (default 4)
	banksFile     string       // KOBO_BANKS_FILE (open-banking standard banks)
}

func startE2E(t testing.TB, o e2eOpts) *e2e {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = o.dir
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.LogLevel = "warn"
	cfg.Workers = 4
	cfg.BanksFile = o.banksFile
	if o.workers > 0 {
		cfg.Workers = o.workers
	}
	if o.mono != nil {
		cfg.Mono = *o.mono
	}
	cfg.BanksFile = o.banksFile
	if o.tokenTTL > 0 {
		cfg.TokenTTL = o.tokenTTL
	}
	if o.postgres {
		cfg.DatabaseURL = kobo.Secret(o.dsn)
		cfg.MasterKey = "dGVzdC1rZXktZm9yLWtvYm8tZTJlLXRlc3RzLTEyMzQ="
		cfg.Migrate = true
	}
	if o.masterKey != "" {
		cfg.MasterKey = kobo.Secret(o.masterKey)
	}
	srv := httptest.NewUnstartedServer(nil)
	cfg.PublicURL = "http://" + srv.Listener.Addr().String()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if o.logs != nil {
		cfg.LogFormat, cfg.LogLevel = "json", "debug"
		log = newLogger(cfg, o.logs)
	}
	if !o.limits {
		cfg.RateLimitPerKey, cfg.RateLimitPerIP = 0, 0 // tests hammer from one address
	}
	if o.addr != "" {
		cfg.Addr = o.addr
	} else {
		allow := true
		cfg.WebhookAllowPrivate = &allow
	}
	cfg.ProviderAllowPrivate = !o.providerGuard
	clock := o.clock
	if clock == nil {
		clock = kobo.SystemClock{}
	}
	stk, err := build(context.Background(), cfg, log, clock)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = stk.api.Handler()
	srv.Start()
	stk.start(context.Background())
	e := &e2e{t: t, url: srv.URL, stk: stk, srv: srv, dir: cfg.DataDir, dsn: o.dsn}
	t.Cleanup(e.stop)
	return e
}

func (e *e2e) stop() {
	if e.srv != nil {
		e.srv.Close()
		e.stk.close()
		e.srv = nil
	}
}

// postgresDSN gives a test its own schema in $KOBO_TEST_DATABASE_URL.
func postgresDSN(t testing.TB) string {
	dsn := os.Getenv("KOBO_TEST_DATABASE_URL")
	if dsn == "" {
		t.Skip("KOBO_TEST_DATABASE_URL is not set: skipping the PostgreSQL end-to-end test")
	}
	schema := "e2e_" + kobo.RandomToken(10)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	u, _ := url.Parse(dsn)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

type res struct {
	status int
	header http.Header
	body   []byte
}

func (r res) m(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not a JSON object (%d): %s", r.status, r.body)
	}
	return m
}

func (e *e2e) do(method, path string, body any, headers ...string) res {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
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

func (e *e2e) must(status int, method, path string, body any, headers ...string) res {
	e.t.Helper()
	r := e.do(method, path, body, headers...)
	if r.status != status {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, status, r.body)
	}
	return r
}

// key sends the app's secret key.
func (e *e2e) key(h ...string) []string { return append([]string{"mono-sec-key", e.sk}, h...) }

// signupApp makes a partner and a sandbox app; webhook may be "".
// relogin gives e a fresh partner token.
func (e *e2e) relogin() {
	e.t.Helper()
	tok := e.must(200, "POST", "/v1/auth/login", map[string]string{"email": e.email, "password": "a long passphrase"}).m(e.t)["token"].(string)
	e.auth = "Bearer " + tok
}

func (e *e2e) signupApp(webhookURL string) {
	e.t.Helper()
	email := kobo.RandomToken(8) + "@acme.ng"
	e.must(201, "POST", "/v1/auth/signup", map[string]string{"name": "Acme", "email": email, "password": "a long passphrase"})
	e.email = email
	e.relogin()
	body := map[string]any{"name": "loans"}
	if webhookURL != "" {
		body["webhook_url"] = webhookURL
	}
	e.app = e.must(201, "POST", "/v1/apps", body, "Authorization", e.auth).m(e.t)
	e.sk, e.pk = e.app["secret_key"].(string), e.app["public_key"].(string)
}

func (e *e2e) institution(name string) string {
	e.t.Helper()
	var list []map[string]any
	json.Unmarshal(e.must(200, "GET", "/v1/institutions", nil).body, &list)
	for _, in := range list {
		if in["name"] == name {
			return in["_id"].(string)
		}
	}
	e.t.Fatalf("no institution %q", name)
	return ""
}

// Golden files: volatile values become placeholders.
var volatile = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`), "<timestamp>"},
	{regexp.MustCompile(`^sess_[a-z0-9]+$`), "<session_id>"},
	{regexp.MustCompile(`^code_[a-z0-9]+$`), "<code>"},
	{regexp.MustCompile(`^[0-9a-f]{24}$`), "<id>"},
	{regexp.MustCompile(`^[A-Za-z0-9]{20}$`), "<token>"},
	{regexp.MustCompile(`^[0-9a-f]{24}[a-z0-9]+$`), "<job_id>"},
}

var localURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)

func normalize(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e, k)
		}
	case []any:
		for i, e := range x {
			x[i] = normalize(e, key)
		}
	case string:
		if key == "mono_url" {
			return "<connect link url>"
		}
		x = localURL.ReplaceAllString(x, "http://<host>")
		for _, p := range volatile {
			if p.re.MatchString(x) {
				return p.re.ReplaceAllString(x, p.repl)
			}
		}
		if key != "data_request_id" && !(key == "path" && strings.Contains(x, "/statements/")) {
			return x
		}
	case float64:
		switch key {
		case "expiresAt":
			return "<epoch_ms>"
		case "balance":
			return "<kobo>" // the sandbox bank's balances move with real time
		}
	}
	if s, ok := v.(string); ok && key == "path" && strings.Contains(s, "/statements/") {
		return "<signed statement url>"
	}
	if key == "data_request_id" {
		return "<data_request_id>"
	}
	return v
}

func golden(t testing.TB, name string, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: not JSON: %s", name, body)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(normalize(v, ""))
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		os.WriteFile(path, buf.Bytes(), 0o644)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (run go test -update)", name, err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from %s:\n%s", name, path, buf.Bytes())
	}
}

// hookReceiver collects signed webhooks.
type hookReceiver struct {
	mu     sync.Mutex
	events []map[string]any
	bad    int
	secret string
	srv    *httptest.Server
}

func newHookReceiver(t testing.TB) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.secret != "" && (r.Header.Get("mono-webhook-secret") != h.secret || webhook.Verify(h.secret, r.Header, body, time.Now(), 5*time.Minute) != nil) {
			h.bad++
			http.Error(w, "bad signature", 401)
			return
		}
		var m map[string]any
		json.Unmarshal(body, &m)
		h.events = append(h.events, m)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) types(account string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, e := range h.events {
		if account == "" || strings.Contains(fmt.Sprint(e["data"]), account) {
			out = append(out, strings.TrimPrefix(strings.TrimPrefix(e["event"].(string), "mono.events."), "mono.accounts."))
		}
	}
	return out
}

// waitFloor is the least time waitUntil waits.
const waitFloor = 2 * time.Minute

// waitUntil polls cond until it holds, failing the test after d.
//
// The wait is a failure detector, never a speed target (those live in
// kobo bench): d is what a quiet machine needs with room to spare, and the
// wait is at least waitFloor, since a -race kobo on two cores shared with
// other test binaries has needed over 20 s for one first fetch.
func waitUntil(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	d = max(d, waitFloor)
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDemo runs `kobo demo` end to end: every step must pass.
func TestDemo(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"demo"}, func(string) string { return "" }, &out, &errOut); code != 0 {
		t.Fatalf("kobo demo exited %d:\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"[11/11] Unlink the account ok", "signatures verified", "REAUTHORISATION_REQUIRED", "Done in"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}
