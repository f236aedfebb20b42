package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// downBank is a sandbox bank whose core banking is down: every login
// answers 503.
type downBank struct{ simBank }

func (downBank) Login(ctx context.Context, req kobo.LoginRequest) (kobo.LoginStep, error) {
	return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "core banking is temporarily unavailable"}
}

// TestInstitutionsStatus: failed logins at a bank turn its /v3 status to
// down with a note, for the app whose sandbox met them (a new ETag, the
// old one no longer revalidates); live (v1) is untouched until the
// operator writes a note, which shows on v1, v3 and the widget's list.
func TestInstitutionsStatus(t *testing.T) {
	t.Parallel()
	b := setupWith(t, app.Config{Providers: map[string]kobo.Provider{"banksim": downBank{}}})
	ctx := context.Background()
	auth := b.partner(t, "status@acme.ng")
	appID, sk := b.newApp(t, auth)
	pk := b.do(t, "GET", "/v1/apps/"+appID, nil, "Authorization", auth).json(t)["public_key"].(string)
	gtbank := func(path string, headers ...string) (resp, map[string]any) {
		t.Helper()
		r := b.do(t, "GET", path, nil, headers...).want(t, 200)
		var list []any
		if err := json.Unmarshal(r.Body, &list); err != nil { // v1 is a bare array
			switch m := r.json(t); {
			case m["data"] != nil:
				list = m["data"].([]any)
			default:
				list = m["institutions"].([]any)
			}
		}
		for _, x := range list {
			if in := x.(map[string]any); in["name"] == "GTBank" {
				return r, in
			}
		}
		t.Fatalf("%s has no GTBank", path)
		return r, nil
	}
	r0, in := gtbank("/v3/institutions?country=ng", "mono-sec-key", sk)
	if in["status"] != "up" || in["status_note"] != nil {
		t.Fatalf("before any call: %v %v", in["status"], in["status_note"])
	}
	etag := r0.Header.Get("ETag")

	c, err := b.svc.AuthenticateKey(ctx, sk, kobo.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := b.svc.Catalog(ctx)
	var inst *kobo.Institution
	for _, x := range cat.All {
		if x.Name == "GTBank" {
			inst = x
		}
	}
	fields := map[string]string{}
	for _, n := range inst.AuthMethods[0].UI.Names() {
		fields[n] = "1234"
	}
	for range app.HealthMinCalls {
		cs, _, err := b.svc.CreateSession(ctx, c, app.SessionInput{InstitutionID: inst.ID, AuthMethod: inst.AuthMethods[0].Type, CustomerEmail: "ada@obi.ng"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.ConnectLogin(ctx, c, cs.ID, fields); kobo.BankErrorKindOf(err) != kobo.BankUnavailable && !strings.Contains(kobo.ErrorMessage(err), "unavailable") {
			t.Fatalf("login at a down bank: %v", err)
		}
	}
	if err := b.svc.FlushBankHealth(ctx); err != nil {
		t.Fatal(err)
	}
	r1, in := gtbank("/v3/institutions?country=ng", "mono-sec-key", sk)
	note, _ := in["status_note"].(string)
	if in["status"] != "down" || !strings.HasPrefix(note, "GTBank is not responding right now") {
		t.Fatalf("after %d failed logins: %v %q", app.HealthMinCalls, in["status"], note)
	}
	if r1.Header.Get("ETag") == etag {
		t.Fatal("the ETag did not change with the status")
	}
	// the old ETag no longer revalidates; the new one does, gzip alike
	if r := b.do(t, "GET", "/v3/institutions?country=ng", nil, "mono-sec-key", sk, "If-None-Match", etag); r.Status != 200 {
		t.Fatalf("old ETag: %d", r.Status)
	}
	if r := b.do(t, "GET", "/v3/institutions?country=ng", nil, "mono-sec-key", sk, "If-None-Match", r1.Header.Get("ETag")); r.Status != 304 {
		t.Fatalf("new ETag: %d", r.Status)
	}
	req, _ := http.NewRequest("GET", b.srv.URL+"/v3/institutions?country=ng", nil)
	req.Header.Set("mono-sec-key", sk)
	req.Header.Set("Accept-Encoding", "gzip")
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	res, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	res.Body.Close()
	if !bytes.Contains(unzipped, []byte(`"status":"down","status_note":"GTBank is not responding`)) {
		t.Fatalf("gzip body lacks the status: %.300s", unzipped)
	}
	// the widget's list carries it too, for this app's public key
	_, in = gtbank("/connect/api/config", "x-public-key", pk)
	if in["status"] != "down" || in["status_note"] != note {
		t.Fatalf("widget config: %v %v", in["status"], in["status_note"])
	}
	// live (v1 takes no key) has seen no live calls
	_, in = gtbank("/v1/institutions")
	if in["status"] != "up" || in["status_note"] != nil {
		t.Fatalf("v1 after sandbox failures: %v %v", in["status"], in["status_note"])
	}
	// another app's sandbox is its own
	_, sk2 := b.newApp(t, auth)
	if _, in = gtbank("/v3/institutions?country=ng", "mono-sec-key", sk2); in["status"] != "up" {
		t.Fatalf("another app sees %v", in["status"])
	}

	// the operator's note shows everywhere, in place of kobo's
	v1 := b.do(t, "GET", "/v1/institutions", nil).want(t, 200)
	if _, err := b.svc.SetInstitutionNote(ctx, "GTBank", "degraded", "GTBank is under planned maintenance until 04:00 WAT."); err != nil {
		t.Fatal(err)
	}
	r2, in := gtbank("/v1/institutions")
	if in["status"] != "degraded" || in["status_note"] != "GTBank is under planned maintenance until 04:00 WAT." || r2.Header.Get("ETag") == v1.Header.Get("ETag") {
		t.Fatalf("v1 with the operator's note: %v %v (etag changed: %v)", in["status"], in["status_note"], r2.Header.Get("ETag") != v1.Header.Get("ETag"))
	}
	if _, in = gtbank("/v3/institutions?country=ng", "mono-sec-key", sk); in["status"] != "degraded" || !strings.Contains(in["status_note"].(string), "planned maintenance") {
		t.Fatalf("v3 with the operator's note: %v %v", in["status"], in["status_note"])
	}
	if err := b.svc.ClearInstitutionNote(ctx, inst.ID); err != nil {
		t.Fatal(err)
	}
	if _, in = gtbank("/v1/institutions"); in["status"] != "up" || in["status_note"] != nil {
		t.Fatalf("v1 after the note is cleared: %v %v", in["status"], in["status_note"])
	}
}
