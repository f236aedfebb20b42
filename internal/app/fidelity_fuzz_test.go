package app_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/sqlite"
)

// FuzzCreditRequest: a credit-worthiness body either fails validation with
// EINVALID or is one the assessment can use.
func FuzzCreditRequest(f *testing.F) {
	f.Add(`{"bvn":"22212345678","principal":20000000,"interest_rate":4,"term":6,"run_credit_check":false}`)
	f.Add(`{"bvn":"22212345678","principal":1,"interest_rate":0,"term":1,"run_credit_check":true,"existing_loans":[{"tenor":6,"date_opened":"2026-01-10","repayment_amount":5,"repayment_schedule":[{"02-2026":"paid"}]}]}`)
	f.Add(`{"bvn":"2221234567x","principal":-1,"term":0}`)
	f.Fuzz(func(t *testing.T, body string) {
		var r app.CreditRequest
		if json.Unmarshal([]byte(body), &r) != nil {
			return
		}
		err := r.Validate()
		if err != nil {
			if kobo.ErrorCode(err) != kobo.EINVALID {
				t.Fatalf("not EINVALID: %v", err)
			}
			return
		}
		if r.Principal <= 0 || r.Term < 1 || r.RunCreditCheck == nil || len(r.BVN) != 11 {
			t.Fatalf("accepted %+v", r)
		}
	})
}

// FuzzCustomerInput: a customer body is created or refused with EINVALID
// naming a field; never a half-made customer.
func FuzzCustomerInput(f *testing.F) {
	f.Add(`{"identity":{"type":"bvn","number":"22212345678"},"email":"ada@example.com","first_name":"Ada","last_name":"Obi","address":"12 Allen Ave","phone":"0803"}`)
	f.Add(`{"identity":{"type":"bvn","number":"22212345678"},"email":"ops@x.ng","type":"business","business_name":"X Ltd","address":"1","phone":"1"}`)
	f.Add(`{"email":"nope","firstName":"A","identity":{"type":"nin","number":"1"}}`)
	s, c := fuzzService(f)
	f.Fuzz(func(t *testing.T, body string) {
		var in app.CustomerInput
		if json.Unmarshal([]byte(body), &in) != nil {
			return
		}
		cust, err := s.CreateCustomer(context.Background(), c, &in)
		switch kobo.ErrorCode(err) {
		case "":
			if cust.Name == "" || cust.Email == "" || cust.Address == "" || len(cust.IDNumber) != 11 {
				t.Fatalf("created %+v from %s", cust, body)
			}
		case kobo.EINVALID, kobo.ECONFLICT:
		default:
			t.Fatalf("%s: %v", body, err)
		}
	})
}

// fuzzService is a service on a fresh SQLite store with one app, and the
// app's test caller.
func fuzzService(f *testing.F) (*app.Service, *kobo.Caller) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "kobo.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx, kobo.SystemClock{}); err != nil {
		f.Fatal(err)
	}
	svc := app.New(app.Config{Store: st, Clock: &testClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}, PasswordParams: app.PasswordParams{Memory: 64, Time: 1, Threads: 1}})
	p, err := svc.Signup(ctx, app.SignupInput{Name: "Fuzz", Email: "fuzz@example.com", Password: "correct horse battery"})
	if err != nil {
		f.Fatal(err)
	}
	name := "fuzz"
	d, err := svc.CreateApp(ctx, p.ID, app.AppInput{Name: &name})
	if err != nil {
		f.Fatal(err)
	}
	return svc, &kobo.Caller{App: *d.App, Mode: kobo.ModeTest}
}
