package app_test

import (
	"encoding/json"
	"testing"

	"github.com/kobo-oss/kobo/internal/app"
)

// FuzzRedactPayload: whatever a payload holds, its redaction is JSON,
// redacting it again changes nothing, and a customer's fields never
// survive at any depth.
func FuzzRedactPayload(f *testing.F) {
	for _, seed := range []string{
		`{"account":{"_id":"a1","name":"ADA OBI","accountNumber":"0123456789","balance":5,"bvn":"6789","institution":{"name":"GTBank","bankCode":"058"}},"meta":{"data_status":"AVAILABLE"}}`,
		`{"account":{"id":"a1","_id":"a1"},"app":"x","business":"y"}`,
		`[{"name":"x"},{"account":[{"accountNumber":"1"}]}]`,
		`{"meta":{"retrieved_data":["balance","identity"]}}`,
		`"text"`, `null`, `{}`, `[]`, `{"institution":{"name":{"name":"deep"}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, _, err := app.RedactPayload(in)
		if err != nil {
			if json.Valid(in) {
				t.Fatalf("valid JSON %q refused: %v", in, err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("redaction of %q is not JSON: %q", in, out)
		}
		again, changed, err := app.RedactPayload(out)
		if err != nil || changed || string(again) != string(out) {
			t.Fatalf("redacting %q twice changed it: %q, %v", out, again, err)
		}
		var v any
		json.Unmarshal(out, &v)
		var walk func(v any, parent string)
		walk = func(v any, parent string) {
			switch x := v.(type) {
			case map[string]any:
				for k, c := range x {
					switch k {
					case "accountNumber", "bvn", "balance", "currency", "phone", "email":
						t.Fatalf("%q survived in %q", k, out)
					case "name":
						if parent != "institution" {
							t.Fatalf("a name outside an institution survived in %q", out)
						}
					}
					walk(c, k)
				}
			case []any:
				for _, c := range x {
					walk(c, parent)
				}
			}
		}
		walk(v, "")
	})
}
