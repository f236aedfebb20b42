package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestAPILogKeepsConnectStepErrors: a failed headless connect step and a
// failed widget step reach the API log with the error body the caller
// got (the step and widget bodies, not a generic one), as every other
// error does.
func TestAPILogKeepsConnectStepErrors(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOpts{})
	e.signupApp("")
	appID := e.app["id"].(string)
	gt := e.institution("GTBank")

	s := e.must(200, "POST", "/v2/connect/session", map[string]any{"institution": gt, "auth_method": "internet_banking", "scope": "financial_data",
		"customer": map[string]string{"name": "Ada Obi", "email": "ada@obi.ng"}}, e.key()...).m(t)["data"].(map[string]any)["session"].(map[string]any)["id"].(string)
	headless := e.must(400, "POST", "/v2/connect/login", map[string]string{"username": "user_bad", "password": "123456"},
		e.key("x-session-id", s, "X-Request-Id", "req-step-400")...)

	pk := []string{"x-public-key", e.pk}
	ws := e.must(200, "POST", "/connect/api/session", map[string]string{"institution": gt, "auth_method": "internet_banking"}, pk...).m(t)["session_id"].(string)
	widget := e.must(400, "POST", "/connect/api/login", map[string]string{"username": "user_bad", "password": "nope"},
		append([]string{"x-session-id", ws, "X-Request-Id", "req-widget-400"}, pk...)...)

	for _, c := range []struct {
		id   string
		sent string
	}{{"req-step-400", string(headless.body)}, {"req-widget-400", string(widget.body)}} {
		var line kobo.APIRequest
		waitUntil(t, c.id+" in the API log", 20*time.Second, func() bool {
			var got []kobo.APIRequest
			err := e.stk.store.View(context.Background(), func(tx kobo.Tx) error {
				var err error
				got, err = tx.ListAPIRequests(context.Background(), kobo.APIRequestFilter{AppID: appID, RequestID: c.id, Limit: 5})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) > 0 {
				line = got[0]
			}
			return len(got) > 0
		})
		if line.Status != 400 || line.ErrorBody == "" {
			t.Fatalf("%s: logged status %d with error body %q", c.id, line.Status, line.ErrorBody)
		}
		if !strings.Contains(line.ErrorBody, `"responseCode":400`) || line.ErrorBody != strings.TrimSpace(c.sent) {
			t.Errorf("%s: logged %s\nbut answered %s", c.id, line.ErrorBody, c.sent)
		}
	}
}
