package app_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/sqlite"
)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type bundle struct {
	svc   *app.Service
	clock *testClock
	store kobo.Store
}

func setup(t *testing.T) bundle {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kobo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx, kobo.SystemClock{}); err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	// cheap argon2 parameters keep the suite fast; production uses OWASP's
	svc := app.New(app.Config{Store: st, Clock: clock, PasswordParams: app.PasswordParams{Memory: 64, Time: 1, Threads: 1}})
	return bundle{svc: svc, clock: clock, store: st}
}

func code(t *testing.T, err error, want kobo.Code) *kobo.Error {
	t.Helper()
	if got := kobo.ErrorCode(err); got != want {
		t.Fatalf("error = %v (code %q), want %q", err, got, want)
	}
	e, _ := err.(*kobo.Error)
	return e
}

func signup(t *testing.T, b bundle, email string) *kobo.Partner {
	t.Helper()
	p, err := b.svc.Signup(context.Background(), app.SignupInput{Name: "Ada Lending", Email: email, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSignupValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		in    app.SignupInput
		field string
	}{
		{"MissingName", app.SignupInput{Email: "a@b.ng", Password: "correct horse battery"}, "name"},
		{"BadEmail", app.SignupInput{Name: "A", Email: "not-an-email", Password: "correct horse battery"}, "email"},
		{"DisplayNameEmail", app.SignupInput{Name: "A", Email: "Ada <a@b.ng>", Password: "correct horse battery"}, "email"},
		{"NoTLD", app.SignupInput{Name: "A", Email: "a@localhost", Password: "correct horse battery"}, "email"},
		{"ShortPassword", app.SignupInput{Name: "A", Email: "a@b.ng", Password: "short"}, "password"},
		{"CommonPassword", app.SignupInput{Name: "A", Email: "a@b.ng", Password: "Password123"}, "password"},
		{"RepeatedPassword", app.SignupInput{Name: "A", Email: "a@b.ng", Password: "aaaaaaaaaaaa"}, "password"},
		{"LongPassword", app.SignupInput{Name: "A", Email: "a@b.ng", Password: kobo.Secret(strings.Repeat("x", 129) + "y")}, "password"},
	} {
		_, err := b.svc.Signup(ctx, c.in)
		e := code(t, err, kobo.EINVALID)
		if _, ok := e.Fields[c.field]; !ok || !strings.Contains(e.Message, c.field) {
			t.Errorf("%s: error %q does not name field %q", c.name, e.Message, c.field)
		}
	}
	_, err := b.svc.Signup(ctx, app.SignupInput{})
	e := code(t, err, kobo.EINVALID)
	if len(e.Fields) != 3 {
		t.Errorf("empty signup names %v, want all three fields", e.Fields)
	}
	signup(t, b, "Ops@Ada.NG")
	_, err = b.svc.Signup(ctx, app.SignupInput{Name: "Again", Email: "ops@ada.ng", Password: "another good pass"})
	code(t, err, kobo.ECONFLICT)
}

func TestLoginAndTokens(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	p := signup(t, b, "login@ada.ng")
	_, err := b.svc.Login(ctx, "login@ada.ng", "wrong password!!", "1.2.3.4", "api")
	e1 := code(t, err, kobo.EUNAUTHORIZED)
	_, err = b.svc.Login(ctx, "nobody@ada.ng", "wrong password!!", "1.2.3.4", "api")
	e2 := code(t, err, kobo.EUNAUTHORIZED)
	if e1.Message != e2.Message {
		t.Errorf("messages reveal which emails exist: %q vs %q", e1.Message, e2.Message)
	}
	tok, err := b.svc.Login(ctx, "LOGIN@ada.ng", "correct horse battery", "1.2.3.4", "api")
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.svc.AuthenticatePartner(ctx, tok.Value.Reveal())
	if err != nil || got.ID != p.ID {
		t.Fatalf("AuthenticatePartner = %v, %v", got, err)
	}
	_, err = b.svc.AuthenticatePartner(ctx, "kobo_pat_bogus")
	code(t, err, kobo.EUNAUTHORIZED)
	b.clock.Add(24*time.Hour + time.Second)
	_, err = b.svc.AuthenticatePartner(ctx, tok.Value.Reveal())
	if e := code(t, err, kobo.EUNAUTHORIZED); !strings.Contains(e.Message, "expired") {
		t.Errorf("expired token message = %q", e.Message)
	}
	tok2, err := b.svc.Login(ctx, "login@ada.ng", "correct horse battery", "1.2.3.4", "api")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.svc.Logout(ctx, tok2.Value.Reveal()); err != nil {
		t.Fatal(err)
	}
	_, err = b.svc.AuthenticatePartner(ctx, tok2.Value.Reveal())
	code(t, err, kobo.EUNAUTHORIZED)
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	signup(t, b, "throttle@ada.ng")
	var limited *kobo.Error
	for i := 0; i < 11; i++ { // ten failures are allowed in 15 minutes
		_, err := b.svc.Login(ctx, "throttle@ada.ng", "wrong password!!", "5.6.7.8", "api")
		if kobo.ErrorCode(err) == kobo.ERATELIMIT {
			limited = err.(*kobo.Error)
			break
		}
	}
	if limited == nil || limited.RetryAfter <= 0 {
		t.Fatalf("11 wrong passwords in a row were never throttled (%v)", limited)
	}
	// even the right password is refused while throttled...
	_, err := b.svc.Login(ctx, "throttle@ada.ng", "correct horse battery", "5.6.7.8", "api")
	code(t, err, kobo.ERATELIMIT)
	// ...and allowed again once the window has passed
	b.clock.Add(limited.RetryAfter)
	if _, err := b.svc.Login(ctx, "throttle@ada.ng", "correct horse battery", "5.6.7.8", "api"); err != nil {
		t.Fatalf("after waiting: %v", err)
	}
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	p := signup(t, b, "change@ada.ng")
	old, _ := b.svc.Login(ctx, "change@ada.ng", "correct horse battery", "ip", "dashboard")
	_, err := b.svc.ChangePassword(ctx, p.ID, old.Value.Reveal(), "not it at all", "a brand new passphrase", "dashboard")
	code(t, err, kobo.EINVALID)
	tok, err := b.svc.ChangePassword(ctx, p.ID, old.Value.Reveal(), "correct horse battery", "a brand new passphrase", "dashboard")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.AuthenticatePartner(ctx, old.Value.Reveal()); kobo.ErrorCode(err) != kobo.EUNAUTHORIZED {
		t.Errorf("old session survived a password change: %v", err)
	}
	if _, err := b.svc.AuthenticatePartner(ctx, tok.Value.Reveal()); err != nil {
		t.Errorf("new session: %v", err)
	}
	if _, err := b.svc.Login(ctx, "change@ada.ng", "a brand new passphrase", "ip", "api"); err != nil {
		t.Errorf("login with new password: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestAppsAndKeys(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	p := signup(t, b, "apps@ada.ng")
	other := signup(t, b, "other@ada.ng")

	_, err := b.svc.CreateApp(ctx, p.ID, app.AppInput{})
	code(t, err, kobo.EINVALID)
	d, err := b.svc.CreateApp(ctx, p.ID, app.AppInput{Name: ptr("Loans"), DisplayName: ptr("Ada Loans")})
	if err != nil {
		t.Fatal(err)
	}
	a := d.App
	if a.Live || !strings.HasPrefix(d.PublicKeys[kobo.ModeTest], "test_pk_") || !strings.HasPrefix(d.SecretKeys[kobo.ModeTest].Reveal(), "test_sk_") ||
		!strings.HasPrefix(d.WebhookSecret.Reveal(), "whsec_") || len(d.SecretKeys) != 1 {
		t.Fatalf("new app = %+v", d)
	}
	sk := d.SecretKeys[kobo.ModeTest].Reveal()
	pk := d.PublicKeys[kobo.ModeTest]

	// keys authenticate as their kind only
	c, err := b.svc.AuthenticateKey(ctx, sk, kobo.SecretKey)
	if err != nil || c.App.ID != a.ID || c.Mode != kobo.ModeTest {
		t.Fatalf("AuthenticateKey(sk) = %+v, %v", c, err)
	}
	if _, err := b.svc.AuthenticateKey(ctx, pk, kobo.SecretKey); !strings.Contains(kobo.ErrorMessage(err), "secret key") {
		t.Errorf("public key as secret: %v", err)
	}
	if c, err := b.svc.AuthenticateKey(ctx, pk, kobo.PublicKey); err != nil || c.App.ID != a.ID {
		t.Errorf("AuthenticateKey(pk) = %+v, %v", c, err)
	}
	for _, bad := range []string{"", "test_sk_", "test_sk_NOTLOWER", "prod_sk_abc", sk + "x", otherLastChar(sk)} {
		if _, err := b.svc.AuthenticateKey(ctx, bad, kobo.SecretKey); kobo.ErrorCode(err) != kobo.EUNAUTHORIZED {
			t.Errorf("AuthenticateKey(%q) = %v, want unauthorized", bad, err)
		}
	}

	// another partner cannot see or touch the app
	for _, err := range []error{
		func() error { _, err := b.svc.GetApp(ctx, other.ID, a.ID); return err }(),
		func() error { _, err := b.svc.UpdateApp(ctx, other.ID, a.ID, app.AppInput{Name: ptr("x")}); return err }(),
		func() error { _, err := b.svc.RotateKeys(ctx, other.ID, a.ID, ""); return err }(),
		b.svc.DeleteApp(ctx, other.ID, a.ID, false),
	} {
		code(t, err, kobo.ENOTFOUND)
	}

	// rotation revokes the old secret key at once
	r, err := b.svc.RotateKeys(ctx, p.ID, a.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.AuthenticateKey(ctx, sk, kobo.SecretKey); kobo.ErrorCode(err) != kobo.EUNAUTHORIZED {
		t.Errorf("rotated key still works: %v", err)
	}
	if _, err := b.svc.AuthenticateKey(ctx, r.SecretKeys[kobo.ModeTest].Reveal(), kobo.SecretKey); err != nil {
		t.Errorf("new key: %v", err)
	}
	_, err = b.svc.RotateKeys(ctx, p.ID, a.ID, kobo.ModeLive)
	code(t, err, kobo.ECONFLICT)

	// going live issues live keys; sandbox keys keep working
	u, err := b.svc.UpdateApp(ctx, p.ID, a.ID, app.AppInput{Live: ptr(true), WebhookURL: ptr("https://hooks.ada.ng/kobo"), SyncFrequency: ptr(6)})
	if err != nil {
		t.Fatal(err)
	}
	live := u.SecretKeys[kobo.ModeLive].Reveal()
	if !u.App.Live || !strings.HasPrefix(live, "live_sk_") || !strings.HasPrefix(u.PublicKeys[kobo.ModeLive], "live_pk_") || u.App.SyncFrequency != 6 {
		t.Fatalf("after going live: %+v", u)
	}
	if c, err := b.svc.AuthenticateKey(ctx, live, kobo.SecretKey); err != nil || c.Mode != kobo.ModeLive {
		t.Errorf("live key: %+v %v", c, err)
	}
	// live apps may not send webhooks to private addresses
	for _, bad := range []string{"http://hooks.ada.ng/x", "https://127.0.0.1/x", "https://10.0.0.5/x", "https://localhost:8080/x", "https://[::1]/x", "https://169.254.169.254/latest"} {
		_, err := b.svc.UpdateApp(ctx, p.ID, a.ID, app.AppInput{WebhookURL: ptr(bad)})
		if e := code(t, err, kobo.EINVALID); e.Fields["webhook_url"] == "" {
			t.Errorf("%s: %v", bad, e)
		}
	}
	// back to sandbox revokes live keys
	if _, err := b.svc.UpdateApp(ctx, p.ID, a.ID, app.AppInput{Live: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.AuthenticateKey(ctx, live, kobo.SecretKey); kobo.ErrorCode(err) != kobo.EUNAUTHORIZED {
		t.Errorf("live key survived going back to sandbox: %v", err)
	}
	_, err = b.svc.UpdateApp(ctx, p.ID, a.ID, app.AppInput{SyncFrequency: ptr(7), Relink: ptr("sometimes"), Icon: ptr("ftp://x")})
	if e := code(t, err, kobo.EINVALID); len(e.Fields) != 3 {
		t.Errorf("fields = %v", e.Fields)
	}

	w, err := b.svc.RotateWebhookSecret(ctx, p.ID, a.ID)
	if err != nil || w.WebhookSecret == d.WebhookSecret || !strings.HasPrefix(w.WebhookSecret.Reveal(), "whsec_") {
		t.Fatalf("RotateWebhookSecret = %v, %v", w, err)
	}
	list, err := b.svc.ListApps(ctx, p.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListApps = %d, %v", len(list), err)
	}
	if err := b.svc.DeleteApp(ctx, p.ID, a.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.AuthenticateKey(ctx, r.SecretKeys[kobo.ModeTest].Reveal(), kobo.SecretKey); kobo.ErrorCode(err) != kobo.EUNAUTHORIZED {
		t.Errorf("deleted app's key still works: %v", err)
	}
}

// otherLastChar returns s with its last character replaced by a different
// one: a key that is wrong by exactly one character. (Replacing it with a
// fixed "0" gave the key itself back whenever it already ended in 0.)
func otherLastChar(s string) string {
	last := s[len(s)-1]
	for _, c := range []byte("01") {
		if c != last {
			return s[:len(s)-1] + string(c)
		}
	}
	panic("unreachable")
}

func TestOtherLastCharAlwaysDiffers(t *testing.T) {
	for _, s := range []string{"test_sk_abc0", "test_sk_abc1", "test_sk_abcz", "0"} {
		got := otherLastChar(s)
		if got == s || len(got) != len(s) || got[:len(s)-1] != s[:len(s)-1] {
			t.Errorf("otherLastChar(%q) = %q, want the same length and prefix, a different last character", s, got)
		}
	}
}
