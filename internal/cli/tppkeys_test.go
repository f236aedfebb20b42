package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	bgface "github.com/kobo-oss/kobo/internal/banksim/berlingroup"
	obieface "github.com/kobo-oss/kobo/internal/banksim/obie"
	"github.com/kobo-oss/kobo/internal/config"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// koboCmd runs a kobo subcommand against a data directory and returns
// its output and exit code.
func koboCmd(t *testing.T, env map[string]string, args ...string) (string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return out.String() + errb.String(), code
}

// TestTPPKeysFromTheDatabase links through banksim's Berlin Group face
// (mTLS, signed requests required) and its OBIE face (mTLS, signed
// request object) with every certificate and key imported into kobo's
// database by `kobo banks import-cert` and named in the banks file, the
// private key files deleted before kobo starts. The listing shows no
// key material, and a re-import under the same name is what the replica
// uses after its refresh.
func TestTPPKeysFromTheDatabase(t *testing.T) {
	t.Parallel()
	clk := &shiftClock{}
	sim := banksim.New(banksim.Config{Seed: 5, Clock: clk})
	bg, err := bgface.StartLoopback(bgface.Config{Sim: sim}, "127.0.0.1:0", t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bg.Close() })
	ob, err := obieface.StartLoopback(obieface.Config{Sim: sim, Clients: map[string][]string{"kobo-e2e": nil}}, "127.0.0.1:0", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })

	data := t.TempDir()
	env := map[string]string{"KOBO_DATA_DIR": data}
	for _, imp := range [][]string{
		{"--name", "xs2a-qwac", "--cert", bg.CertFile, "--key", bg.KeyFile},
		{"--name", "xs2a-qseal", "--cert", bg.SigningCertFile, "--key", bg.SigningKeyFile},
		{"--name", "obie-transport", "--cert", ob.CertFile, "--key", ob.KeyFile},
		{"--name", "obie-signing", "--key", ob.SigningKeyFile},
	} {
		if out, code := koboCmd(t, env, append([]string{"banks", "import-cert"}, imp...)...); code != 0 || !strings.Contains(out, "stored "+imp[1]) {
			t.Fatalf("import %s: %d %s", imp[1], code, out)
		}
	}
	// refusals name what to fix, and store nothing
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--name", "Bad Name", "--key", bg.KeyFile}, "--name: "},
		{[]string{"--name", "mismatch", "--cert", bg.CertFile, "--key", bg.SigningKeyFile}, "not the private key's"},
		{[]string{"--name", "nokey", "--cert", bg.CertFile}, "--key is required"},
	} {
		if out, code := koboCmd(t, env, append([]string{"banks", "import-cert"}, c.args...)...); code != 1 || !strings.Contains(out, c.want) {
			t.Errorf("import %v: %d %s, want %q", c.args, code, out, c.want)
		}
	}
	keyPEMs := map[string][]byte{}
	for _, f := range []string{bg.KeyFile, bg.SigningKeyFile, ob.KeyFile, ob.SigningKeyFile} {
		keyPEMs[f], _ = os.ReadFile(f)
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	list, code := koboCmd(t, env, "banks", "list-certs")
	if code != 0 || strings.Count(list, "\n") != 5 || !strings.Contains(list, "CN=kobo-tpp,O=kobo test") || !strings.Contains(list, "(bare key)") {
		t.Fatalf("list-certs: %d\n%s", code, list)
	}
	for f, k := range keyPEMs {
		body := strings.Split(string(k), "\n")[1] // a line of the key's base64
		if strings.Contains(list, "PRIVATE") || strings.Contains(list, body) {
			t.Fatalf("list-certs shows key material of %s:\n%s", f, list)
		}
	}

	// the banks file names the stored keys, no key files
	bgEntry := func(id, name string, approaches ...string) map[string]any {
		e := bg.BankEntry(id, name, "kobo-e2e", approaches...)
		for _, f := range []string{"cert_file", "key_file", "signing_cert_file", "signing_key_file"} {
			delete(e, f)
		}
		e["cert_secret"], e["signing_secret"] = "xs2a-qwac", "xs2a-qseal"
		return e
	}
	obEntry := ob.BankEntry("simbank", "Sim Bank UK", "kobo-e2e")
	for _, f := range []string{"cert_file", "key_file", "signing_key_file"} {
		delete(obEntry, f)
	}
	obEntry["cert_secret"], obEntry["signing_secret"] = "obie-transport", "obie-signing"
	raw, _ := json.Marshal(map[string]any{"berlingroup": []any{bgEntry("xs2a-stored", "XS2A Stored Keys", "embedded")}, "obie": []any{obEntry}})
	banks := filepath.Join(t.TempDir(), "banks.json")
	if err := os.WriteFile(banks, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	e := startE2E(t, e2eOpts{dir: data, clock: clk, banksFile: banks})
	e.signupApp("")

	exchange := func(r res) string {
		t.Helper()
		if r.m(t)["responseCode"] != float64(99) {
			t.Fatalf("not linked: %s", r.body)
		}
		code := r.m(t)["data"].(map[string]any)["code"].(string)
		id := e.must(200, "POST", "/account/auth", map[string]string{"code": code}, e.key()...).m(t)["id"].(string)
		waitUntil(t, "first fetch", 2*time.Minute, func() bool { return status(t, e, id) == "AVAILABLE" })
		return id
	}
	// Berlin Group, embedded: every request over the stored QWAC and signed with the stored QSealC
	s := e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": e.institution("XS2A Stored Keys"), "auth_method": "internet_banking"}, e.key()...).m(t)["id"].(string)
	r := e.must(200, "POST", "/v1/connect/login", map[string]string{"psu_id": "user_good", "password": "123456"}, e.key("x-session-id", s)...)
	if r.m(t)["responseCode"] != float64(102) {
		t.Fatalf("embedded login: %s", r.body)
	}
	bgID := exchange(e.must(200, "POST", "/v1/connect/commit", map[string]string{"otp": banksim.TestOTP}, e.key("x-session-id", s)...))
	if n := txnCount(t, e, bgID); n == 0 {
		t.Fatal("no transactions through the Berlin Group face")
	}

	// OBIE: the stored transport certificate and request-object key
	s = e.must(200, "POST", "/v1/connect/session", map[string]string{"institution": e.institution("Sim Bank UK"), "auth_method": "internet_banking"}, e.key()...).m(t)["id"].(string)
	r = e.must(200, "POST", "/v1/connect/login", map[string]string{}, e.key("x-session-id", s)...)
	authURL, _ := r.m(t)["data"].(map[string]any)["url"].(string)
	if r.m(t)["responseCode"] != float64(103) || !strings.Contains(authURL, "request=") {
		t.Fatalf("OBIE login: %s", r.body)
	}
	back := obieAtBank(t, ob, authURL, "user_good")
	obieCallback(t, back)
	obID := exchange(e.must(200, "POST", "/v1/connect/commit", map[string]any{}, e.key("x-session-id", s)...))
	if n := txnCount(t, e, obID); n == 0 {
		t.Fatal("no transactions through the OBIE face")
	}

	// the certificates' expiry is a metric (an alert's input); a bare key has none
	mfs, err := e.stk.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	expiries := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "kobo_tpp_certificate_expiry_timestamp_seconds" {
			for _, m := range mf.GetMetric() {
				expiries[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
			}
		}
	}
	if len(expiries) != 3 || expiries["xs2a-qwac"] < float64(time.Now().Unix()) || expiries["obie-signing"] != 0 {
		t.Errorf("expiry metric: %v", expiries)
	}

	// rotation: a new pair under the same name is what the replica holds
	// after its next refresh (each handshake asks the keyring)
	before, _ := e.stk.tppKeys.Key("xs2a-qwac")
	other, err := bgface.StartLoopback(bgface.Config{Sim: sim}, "127.0.0.1:0", t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	if out, code := koboCmd(t, env, "banks", "import-cert", "--name", "xs2a-qwac", "--cert", other.CertFile, "--key", other.KeyFile); code != 0 {
		t.Fatalf("re-import: %s", out)
	}
	if err := e.stk.tppKeys.load(context.Background()); err != nil {
		t.Fatal(err)
	}
	after, _ := e.stk.tppKeys.Key("xs2a-qwac")
	if after.Fingerprint == before.Fingerprint || after.Leaf.Raw == nil || string(after.Leaf.Raw) != string(other.PKI.Client.Certificate[0]) {
		t.Fatalf("after the re-import the keyring holds %s (was %s)", after.Fingerprint, before.Fingerprint)
	}
	if out, code := koboCmd(t, env, "banks", "delete-cert", "--name", "xs2a-qwac"); code != 0 {
		t.Fatalf("delete: %s", out)
	}
	if out, code := koboCmd(t, env, "banks", "delete-cert", "--name", "xs2a-qwac"); code != 1 || !strings.Contains(out, "not found") {
		t.Fatalf("delete twice: %d %s", code, out)
	}
}

func txnCount(t *testing.T, e *e2e, id string) int {
	t.Helper()
	var out struct {
		Paging struct {
			Total float64 `json:"total"`
		} `json:"paging"`
	}
	json.Unmarshal(e.must(200, "GET", "/accounts/"+id+"/transactions?limit=1", nil, e.key()...).body, &out)
	return int(out.Paging.Total)
}

// TestTPPKeyMissingStopsStart: an entry naming a key the database does
// not hold, or a bare key where a certificate is needed, stops kobo at
// start with a message naming the entry and the field.
func TestTPPKeyMissingStopsStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bg, err := bgface.StartLoopback(bgface.Config{Sim: banksim.New(banksim.Config{Seed: 1})}, "127.0.0.1:0", dir, false)
	if err != nil {
		t.Fatal(err)
	}
	bg.Close()
	data := t.TempDir()
	if out, code := koboCmd(t, map[string]string{"KOBO_DATA_DIR": data}, "banks", "import-cert", "--name", "bare", "--key", bg.KeyFile); code != 0 {
		t.Fatal(out)
	}
	for _, c := range []struct {
		file, want string
	}{
		{`{"berlingroup":[{"id":"xs2a-x","name":"X","country":"de","base_url":"https://127.0.0.1:1","sca_approaches":["embedded"],"cert_secret":"nope"}]}`,
			`berlingroup bank "xs2a-x": cert_secret "nope": no such key in kobo's database (store it with: kobo banks import-cert --name nope`},
		{`{"berlingroup":[{"id":"xs2a-y","name":"Y","country":"de","base_url":"https://127.0.0.1:1","sca_approaches":["embedded"],"signing":true,"signing_secret":"bare"}]}`,
			`berlingroup bank "xs2a-y": signing_secret "bare": the stored key has no certificate`},
		{`{"obie":[{"id":"uk-z","name":"Z","base_url":"https://127.0.0.1:1/open-banking/v3.1/aisp","auth_url":"https://127.0.0.1:1/authorize","token_url":"https://127.0.0.1:1/token","client_id":"c","cert_secret":"bare"}]}`,
			`obie bank uk-z: cert_secret "bare": the stored key has no certificate`},
		{`{"obie":[{"id":"uk-w","name":"W","base_url":"https://127.0.0.1:1/open-banking/v3.1/aisp","auth_url":"https://127.0.0.1:1/authorize","token_url":"https://127.0.0.1:1/token","client_id":"c","signing_secret":"gone"}]}`,
			`obie bank uk-w: signing_secret "gone": no such key`},
	} {
		banks := filepath.Join(t.TempDir(), "banks.json")
		os.WriteFile(banks, []byte(c.file), 0o600)
		cfg := config.Default()
		cfg.DataDir, cfg.BanksFile, cfg.LogLevel = data, banks, "warn"
		cfg.PublicURL = (&url.URL{Scheme: "http", Host: "127.0.0.1:1"}).String()
		stk, err := build(context.Background(), cfg, newLogger(cfg, &bytes.Buffer{}), kobo.SystemClock{})
		if err == nil {
			stk.stop()
			stk.store.Close()
			t.Errorf("kobo started with %s", c.file)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("start: %v\nwant %q", err, c.want)
		}
	}
}

// TestTPPKeysEveryReplicaReads imports a certificate into PostgreSQL
// while two replicas run: each holds it after its refresh, and a
// replacement under the same name reaches both.
func TestTPPKeysEveryReplicaReads(t *testing.T) {
	t.Parallel()
	dsn := postgresDSN(t)
	bg, err := bgface.StartLoopback(bgface.Config{Sim: banksim.New(banksim.Config{Seed: 1})}, "127.0.0.1:0", t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	bg.Close()
	banks := filepath.Join(t.TempDir(), "banks.json")
	entry := bg.BankEntry("xs2a", "XS2A", "kobo", "embedded") // file-configured: the keyring runs beside it
	raw, _ := json.Marshal(map[string]any{"berlingroup": []any{entry}})
	os.WriteFile(banks, raw, 0o600)
	a := startE2E(t, e2eOpts{postgres: true, dsn: dsn, banksFile: banks})
	b := startE2E(t, e2eOpts{postgres: true, dsn: dsn, banksFile: banks})
	env := map[string]string{"DATABASE_URL": dsn, "KOBO_MASTER_KEY": "dGVzdC1rZXktZm9yLWtvYm8tZTJlLXRlc3RzLTEyMzQ="}
	holds := func(fingerprint string) {
		t.Helper()
		for i, r := range []*e2e{a, b} {
			if err := r.stk.tppKeys.load(context.Background()); err != nil {
				t.Fatal(err)
			}
			k, ok := r.stk.tppKeys.Key("qwac")
			if !ok || k.Fingerprint != fingerprint {
				t.Fatalf("replica %d holds %+v, want %s", i, k, fingerprint)
			}
		}
	}
	fp := func(out string) string {
		t.Helper()
		_, after, ok := strings.Cut(out, "SHA-256 ")
		if !ok || len(after) < 64 {
			t.Fatalf("import said %q", out)
		}
		return after[:64]
	}
	out, code := koboCmd(t, env, "banks", "import-cert", "--name", "qwac", "--cert", bg.CertFile, "--key", bg.KeyFile)
	if code != 0 {
		t.Fatal(out)
	}
	holds(fp(out))
	out, code = koboCmd(t, env, "banks", "import-cert", "--name", "qwac", "--cert", bg.SigningCertFile, "--key", bg.SigningKeyFile)
	if code != 0 {
		t.Fatal(out)
	}
	holds(fp(out))
	// a wrong master key cannot import what the replicas would not open
	env["KOBO_MASTER_KEY"] = "b3RoZXIta2V5LWZvci1rb2JvLWUyZS10ZXN0cy0xMjM="
	if out, code := koboCmd(t, env, "banks", "import-cert", "--name", "qwac2", "--cert", bg.CertFile, "--key", bg.KeyFile); code != 1 || !strings.Contains(out, "KOBO_MASTER_KEY does not match this database") {
		t.Fatalf("import under an unknown master key: %d %s", code, out)
	}
}
