package banksim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func call(t *testing.T, srv *httptest.Server, method, path string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// TestSimulatorsSharingStateAreOneBank: two simulators (two kobo
// replicas' in-process banks) over one State. A custom user created on
// one logs in there and answers the challenge on the other; the clock
// advanced on one is the other's; faults set on one apply on the other.
// With state in each process, the second simulator did not know the user
// ("unknown challenge", a 400 to the partner) nor the clock.
func TestSimulatorsSharingStateAreOneBank(t *testing.T) {
	t.Parallel()
	state := NewMemoryState()
	clock := kobo.ClockFunc(func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) })
	a := httptest.NewServer(New(Config{Seed: 7, Clock: clock, State: state}).Handler())
	t.Cleanup(a.Close)
	b := httptest.NewServer(New(Config{Seed: 7, Clock: clock, State: state}).Handler())
	t.Cleanup(b.Close)

	if st, body := call(t, a, "POST", "/admin/users", map[string]any{"username": "custom_ada", "mfa": "otp", "accounts": []map[string]any{{"per_day": 1}}}); st != 201 {
		t.Fatalf("create user: %d %v", st, body)
	}
	var gt kobo.Institution
	for _, in := range Catalog() {
		if in.Name == "GTBank" {
			gt = in
		}
	}
	m := gt.AuthMethods[0]
	fields := map[string]string{}
	for _, f := range m.UI.Form {
		fields[f.Name] = "custom_ada"
		if isSecret(f) {
			fields[f.Name] = secretValue(f)
		}
	}
	st, body := call(t, a, "POST", "/v1/login", map[string]any{"institution": gt.ID, "auth_method": m.Type, "fields": fields, "interactive": true, "tenant": "app1"})
	if st != 200 || body["challenge"] == nil {
		t.Fatalf("login on A: %d %v", st, body)
	}
	tok := body["challenge"].(map[string]any)["token"].(string)
	st, body = call(t, b, "POST", "/v1/challenge", map[string]any{"token": tok, "fields": map[string]string{"otp": expectedAnswer(MFAOTP)}})
	if st != 200 || body["access_token"] == nil {
		t.Fatalf("challenge on B: %d %v", st, body)
	}

	if st, _ := call(t, a, "POST", "/admin/tenants/app1/clock/advance", map[string]any{"seconds": 86400}); st != 200 {
		t.Fatalf("advance on A: %d", st)
	}
	_, clk := call(t, b, "GET", "/admin/tenants/app1/clock", nil)
	if got, _ := time.Parse(time.RFC3339Nano, clk["now"].(string)); !got.Equal(clock.Now().Add(24 * time.Hour)) {
		t.Fatalf("B's clock for app1 = %v, want a day ahead of %v", clk["now"], clock.Now())
	}
}
