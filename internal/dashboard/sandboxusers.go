package dashboard

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// The Sandbox page's controls are the sandbox API's: the app's bank
// clock, firing a webhook for a test account, making its next sync need
// re-authorisation, and the app's own test users (POST /v2/sandbox/users).
// Each acts with the app's test mode, whatever the page shows.

// sandboxExample is the custom-user form's starting text: one account
// with an exact history, the shape POST /v2/sandbox/users takes.
const sandboxExample = `{
  "username": "ada_case_1",
  "password": "123456",
  "description": "Rent paid twice in March",
  "mfa": ["otp"],
  "identity": {"full_name": "Ada Obi", "bvn": "22212345678"},
  "accounts": [{
    "type": "SAVINGS ACCOUNT",
    "opening_balance": 5000000,
    "transactions": [
      {"date": "2026-03-25", "narration": "SALARY ACME LTD MAR", "amount": 45000000, "type": "credit"},
      {"date": "2026-03-26", "narration": "NIP/GTB/LANDLORD/RENT", "amount": 30000000, "type": "debit"},
      {"date": "2026-03-26", "narration": "NIP/GTB/LANDLORD/RENT", "amount": 30000000, "type": "debit"}
    ]
  }]
}`

func testCaller(q *request) *kobo.Caller { return &kobo.Caller{App: *q.app.App, Mode: kobo.ModeTest} }

func (d *Dashboard) sandboxPath(q *request) string {
	return "/dashboard/apps/" + q.app.App.ID + "/sandbox"
}

// sandboxControls adds what the controls need to the Sandbox page's data.
func (d *Dashboard) sandboxControls(q *request) error {
	ctx, c := q.r.Context(), testCaller(q)
	if now, err := d.app.SandboxNow(ctx, c); err == nil {
		q.v.Data["Now"] = now.UTC().Format(time.RFC1123)
	}
	custom, err := d.app.SandboxUserList(ctx, c)
	if err != nil && kobo.ErrorCode(err) != kobo.EUNAVAILABLE {
		return err
	}
	q.v.Data["CustomUsers"] = custom
	list, err := d.app.ListAccounts(ctx, c, 100, 0)
	if err != nil {
		return err
	}
	q.v.Data["TestAccounts"] = list.Accounts
	q.v.Data["EventTypes"] = app.EventTypes
	if _, ok := q.v.Data["Spec"]; !ok {
		q.v.Data["Spec"] = sandboxExample
	}
	return nil
}

func (d *Dashboard) sandboxAdvance(q *request) error {
	days, err := strconv.ParseFloat(q.r.PostFormValue("days"), 64)
	if err != nil {
		return &kobo.Error{Code: kobo.EINVALID, Message: "days must be a number", Fields: map[string]string{"days": "must be a number"}}
	}
	if _, err := d.app.AdvanceClock(q.r.Context(), testCaller(q), time.Duration(days*float64(24*time.Hour))); err != nil {
		return err
	}
	return d.redirect(q, d.sandboxPath(q), "clock-advanced")
}

func (d *Dashboard) sandboxFire(q *request) error {
	if _, err := d.app.FireEvent(q.r.Context(), testCaller(q), q.r.PostFormValue("account"), q.r.PostFormValue("event")); err != nil {
		return err
	}
	return d.redirect(q, d.sandboxPath(q), "event-fired")
}

func (d *Dashboard) sandboxResetLogin(q *request) error {
	if err := d.app.ResetLogin(q.r.Context(), testCaller(q), q.r.PostFormValue("account")); err != nil {
		return err
	}
	return d.redirect(q, d.sandboxPath(q), "login-reset")
}

// sandboxCreateUser takes the custom-user form: the JSON the API takes.
// A wrong body is shown again with the message naming the field.
func (d *Dashboard) sandboxCreateUser(q *request) error {
	text := q.r.PostFormValue("spec")
	var u kobo.SandboxUserSpec
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.DisallowUnknownFields()
	err := dec.Decode(&u)
	if err != nil {
		err = &kobo.Error{Code: kobo.EINVALID, Message: "the user is not valid JSON of the API's shape: " + err.Error()}
	} else {
		_, err = d.app.CreateSandboxUser(q.r.Context(), testCaller(q), &u)
	}
	switch kobo.ErrorCode(err) {
	case "":
		return d.redirect(q, d.sandboxPath(q), "user-created")
	case kobo.EINVALID, kobo.ECONFLICT:
		q.v.Error = kobo.ErrorMessage(err)
		q.v.Data["Spec"] = text
		return d.sandboxPage(q)
	}
	return err
}

func (d *Dashboard) sandboxDeleteUser(q *request) error {
	if err := d.app.DeleteSandboxUser(q.r.Context(), testCaller(q), q.r.PathValue("user")); err != nil {
		return err
	}
	return d.redirect(q, d.sandboxPath(q), "user-deleted")
}
