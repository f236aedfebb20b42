package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kobo-oss/kobo/internal/config"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/webhook"
)

// demo is `kobo demo`: a scripted tour of the whole product against an
// in-process kobo with a throwaway database, the sandbox bank and a local
// webhook receiver, printing each step as it goes. It uses only the public
// HTTP API, the way a partner's code would.
func demo(ctx context.Context, e env) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	keep := fs.Bool("keep", false, "keep the demo's data directory and statement PDF")
	if err := fs.Parse(e.args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "kobo-demo-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	cfg := config.Default()
	cfg.DataDir, cfg.Addr, cfg.PublicURL = filepath.Join(dir, "data"), ln.Addr().String(), "http://"+ln.Addr().String()
	allow := true // the demo's webhook receiver is on loopback beside it
	cfg.WebhookAllowPrivate = &allow
	cfg.LogLevel = "error"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	stk, err := build(ctx, cfg, log, kobo.SystemClock{})
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: stk.api.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	stk.start(ctx)
	defer func() { srv.Close(); stk.close() }()

	hooks := &demoHooks{}
	hln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hsrv := &http.Server{Handler: hooks, ReadHeaderTimeout: 5 * time.Second}
	go hsrv.Serve(hln)
	defer hsrv.Close()

	d := &demoRun{out: e.stdout, base: cfg.PublicURL, start: time.Now()}
	fmt.Fprintf(e.stdout, "kobo demo: a partner's first hour, against a real kobo on %s (SQLite in %s)\n\n", cfg.PublicURL, dir)

	var auth, sk, appID, code, id string
	steps := []struct {
		name string
		fn   func() (string, error)
	}{
		{"Sign up a partner and log in", func() (string, error) {
			if _, err := d.call("POST", "/v1/auth/signup", "", map[string]string{"name": "Acme Lending", "email": "demo@acme.ng", "password": "a long demo passphrase"}, nil); err != nil {
				return "", err
			}
			var tok struct{ Token string }
			_, err := d.call("POST", "/v1/auth/login", "", map[string]string{"email": "demo@acme.ng", "password": "a long demo passphrase"}, &tok)
			auth = "Bearer " + tok.Token
			return "bearer token issued", err
		}},
		{"Create an app (sandbox keys, webhook URL)", func() (string, error) {
			var a struct {
				ID, SecretKey, PublicKey, WebhookSecret string
			}
			var raw map[string]any
			if _, err := d.call("POST", "/v1/apps", auth, map[string]any{"name": "Acme Loans", "webhook_url": "http://" + hln.Addr().String() + "/hooks"}, &raw); err != nil {
				return "", err
			}
			a.ID, a.SecretKey, a.PublicKey, a.WebhookSecret = str(raw["id"]), str(raw["secret_key"]), str(raw["public_key"]), str(raw["webhook_secret"])
			appID, sk = a.ID, a.SecretKey
			hooks.setSecret(a.WebhookSecret)
			return fmt.Sprintf("%s, %s…", a.PublicKey, a.SecretKey[:12]), nil
		}},
		{"Link user_reauth at GTBank with the headless Connect API (OTP)", func() (string, error) {
			var list []map[string]any
			if _, err := d.call("GET", "/v1/institutions", "", nil, &list); err != nil {
				return "", err
			}
			gt := ""
			for _, in := range list {
				if in["name"] == "GTBank" {
					gt = str(in["_id"])
				}
			}
			var sess map[string]any
			if _, err := d.call("POST", "/v1/connect/session", sk, map[string]string{"institution": gt, "auth_method": "internet_banking"}, &sess); err != nil {
				return "", err
			}
			sid := str(sess["id"])
			var step map[string]any
			if _, err := d.callH("POST", "/v1/connect/login", sk, map[string]string{"username": "user_reauth", "password": "123456"}, &step, "x-session-id", sid); err != nil {
				return "", err
			}
			if step["responseCode"] != float64(102) {
				return "", fmt.Errorf("login answered %v", step["responseCode"])
			}
			if _, err := d.callH("POST", "/v1/connect/commit", sk, map[string]string{"otp": "123456"}, &step, "x-session-id", sid); err != nil {
				return "", err
			}
			code = str(step["data"].(map[string]any)["code"])
			return "responseCode 102 (OTP) → 99, " + code[:10] + "…", nil
		}},
		{"Exchange the code for an account id; wait for the first fetch", func() (string, error) {
			var r struct{ ID string }
			if _, err := d.call("POST", "/account/auth", sk, map[string]string{"code": code}, &r); err != nil {
				return "", err
			}
			id = r.ID
			t0 := time.Now()
			for {
				var a map[string]any
				if _, err := d.call("GET", "/accounts/"+id, sk, nil, &a); err != nil {
					return "", err
				}
				if st := a["meta"].(map[string]any)["data_status"]; st == "AVAILABLE" {
					acct := a["account"].(map[string]any)
					return fmt.Sprintf("%s, %s, balance ₦%.2f, AVAILABLE after %v", id, acct["name"], acct["balance"].(float64)/100, time.Since(t0).Round(time.Millisecond)), nil
				}
				if time.Since(t0) > 30*time.Second {
					return "", errors.New("the first fetch did not finish in 30 s")
				}
				time.Sleep(50 * time.Millisecond)
			}
		}},
		{"Read transactions (v2, newest first)", func() (string, error) {
			var r struct {
				Data []struct {
					Narration, Type, Category string
					Amount                    int64
				}
				Meta struct{ Total int }
			}
			if _, err := d.call("GET", "/v2/accounts/"+id+"/transactions?limit=3", sk, nil, &r); err != nil {
				return "", err
			}
			var b strings.Builder
			fmt.Fprintf(&b, "%d transactions; latest:", r.Meta.Total)
			for _, t := range r.Data {
				fmt.Fprintf(&b, "\n        %-6s ₦%11.2f  %-22s %s", t.Type, float64(t.Amount)/100, t.Category, t.Narration)
			}
			return b.String(), nil
		}},
		{"Estimate income", func() (string, error) {
			var r map[string]any
			if _, err := d.call("GET", "/accounts/"+id+"/income", sk, nil, &r); err != nil {
				return "", err
			}
			return fmt.Sprintf("%s from %s, ₦%.2f a month (confidence %.2f)", r["type"], r["employer"], r["amount"].(float64)/100, r["confidence"]), nil
		}},
		{"Build a 12-month PDF statement", func() (string, error) {
			var job map[string]any
			if _, err := d.call("GET", "/accounts/"+id+"/statement?period=last12months&output=pdf", sk, nil, &job); err != nil {
				return "", err
			}
			for i := 0; i < 300; i++ {
				if _, err := d.call("GET", "/accounts/"+id+"/statement/jobs/"+str(job["id"]), sk, nil, &job); err != nil {
					return "", err
				}
				if job["status"] == "BUILT" {
					pdf, err := d.raw("GET", str(job["path"]))
					if err != nil {
						return "", err
					}
					path := filepath.Join(dir, "statement.pdf")
					if err := os.WriteFile(path, pdf, 0o644); err != nil {
						return "", err
					}
					note := ""
					if !*keep {
						note = " (run with --keep to keep it)"
					}
					return fmt.Sprintf("%d KB PDF at %s%s", len(pdf)/1024, path, note), nil
				}
				time.Sleep(50 * time.Millisecond)
			}
			return "", errors.New("the statement was not built in 15 s")
		}},
		{"Receive the signed webhooks", func() (string, error) {
			if err := hooks.wait(id, "mono.events.account_updated", 10*time.Second); err != nil {
				return "", err
			}
			return strings.Join(hooks.types(), ", ") + " (signatures verified)", nil
		}},
		{"A month passes; sync: the bank wants the OTP again", func() (string, error) {
			if _, err := d.call("POST", "/v2/sandbox/clock/advance", sk, map[string]int{"days": 31}, nil); err != nil {
				return "", err
			}
			var r map[string]any
			if _, err := d.call("POST", "/accounts/"+id+"/sync", sk, nil, &r); err != nil {
				return "", err
			}
			if err := hooks.wait(id, "mono.events.reauthorisation_required", 10*time.Second); err != nil {
				return "", err
			}
			return fmt.Sprintf("sync answered %v; reauthorisation_required received", r["code"]), nil
		}},
		{"Re-authorise (only the OTP is asked for)", func() (string, error) {
			var r map[string]any
			if _, err := d.call("POST", "/v2/connect/reauth/session", sk, map[string]string{"account": id}, &r); err != nil {
				return "", err
			}
			data := r["data"].(map[string]any)
			if _, err := d.callH("POST", "/v2/connect/reauth/login", sk, map[string]string{"otp": "123456"}, &r, "x-session-id", str(data["session_id"])); err != nil {
				return "", err
			}
			if err := hooks.wait(id, "mono.events.account_reauthorized", 10*time.Second); err != nil {
				return "", err
			}
			return "account_reauthorized received; data syncs again", nil
		}},
		{"Unlink the account", func() (string, error) {
			if _, err := d.call("POST", "/accounts/"+id+"/unlink", sk, nil, nil); err != nil {
				return "", err
			}
			if err := hooks.wait(id, "mono.events.account_unlinked", 10*time.Second); err != nil {
				return "", err
			}
			return "account_unlinked received; its data and credentials are deleted", nil
		}},
	}
	for i, s := range steps {
		fmt.Fprintf(e.stdout, "[%2d/%d] %s ", i+1, len(steps), s.name)
		t0 := time.Now()
		msg, err := s.fn()
		if err != nil {
			fmt.Fprintf(e.stdout, "FAILED\n        %v\n", err)
			return fmt.Errorf("step %d (%s): %w", i+1, s.name, err)
		}
		fmt.Fprintf(e.stdout, "ok (%v)\n        %s\n", time.Since(t0).Round(time.Millisecond), msg)
	}
	fmt.Fprintf(e.stdout, "\nDone in %v: %d API calls, %d webhooks received and verified, app %s.\n", time.Since(d.start).Round(time.Millisecond), d.calls, len(hooks.types()), appID)
	fmt.Fprintf(e.stdout, "Next: go run ./cmd/kobo serve, then open http://127.0.0.1:8080/dashboard/ (or follow the README's curl walk).\n")
	return nil
}

func str(v any) string { s, _ := v.(string); return s }

type demoRun struct {
	out   io.Writer
	base  string
	start time.Time
	calls int
}

func (d *demoRun) call(method, path, key string, body, out any) (int, error) {
	return d.callH(method, path, key, body, out)
}

// callH calls the API; key is a secret key or "Bearer …".
func (d *demoRun) callH(method, path, key string, body, out any, headers ...string) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, d.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	switch {
	case strings.HasPrefix(key, "Bearer "):
		req.Header.Set("Authorization", key)
	case key != "":
		req.Header.Set("mono-sec-key", key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	d.calls++
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return res.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return res.StatusCode, fmt.Errorf("%s %s: %v", method, path, err)
		}
	}
	return res.StatusCode, nil
}

func (d *demoRun) raw(method, url string) ([]byte, error) {
	d.calls++
	res, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d", url, res.StatusCode)
	}
	return io.ReadAll(res.Body)
}

// demoHooks is the partner's webhook endpoint: it verifies every delivery.
type demoHooks struct {
	mu     sync.Mutex
	secret string
	events []map[string]any
}

func (h *demoHooks) setSecret(s string) { h.mu.Lock(); h.secret = s; h.mu.Unlock() }

func (h *demoHooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	h.mu.Lock()
	defer h.mu.Unlock()
	if webhook.Verify(h.secret, r.Header, body, time.Now(), 5*time.Minute) != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		h.events = append(h.events, m)
	}
}

func (h *demoHooks) types() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, e := range h.events {
		out = append(out, strings.TrimPrefix(strings.TrimPrefix(str(e["event"]), "mono.events."), "mono.accounts."))
	}
	return out
}

func (h *demoHooks) wait(account, event string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		for _, e := range h.events {
			if e["event"] == event && strings.Contains(fmt.Sprint(e["data"]), account) {
				h.mu.Unlock()
				return nil
			}
		}
		h.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no %s webhook within %v", event, d)
}
