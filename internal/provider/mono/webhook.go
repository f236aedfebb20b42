package mono

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// ReceiveWebhook implements kobo.WebhookReceiver. Mono sends every
// webhook with the header mono-webhook-secret equal to the app's webhook
// secret, a plain shared secret (docs.mono.co/docs/webhooks), and the body
// {event, data, event_id?, timestamp?}. The events kobo acts on:
//   - mono.events.account_updated: new data (a sync); when its
//     meta.sync_status is REAUTHORISATION_REQUIRED, a re-authorisation;
//     while data_status is PROCESSING, nothing yet;
//   - mono.events.reauthorisation_required {account: {_id}}
//     (docs.mono.co/docs/data-synctokenisation);
//   - mono.events.account_unlinked {account: {id}} (docs.mono.co/docs/financial-data/unlink);
//   - mono.events.account_income {account: "<id>", income_summary, …}: the
//     report of an income v2 request (IncomeAnalyst).
//
// Every other event is acknowledged and ignored.
func (p *Provider) ReceiveWebhook(ctx context.Context, creds kobo.ProviderCredentials, h http.Header, body []byte) ([]kobo.ProviderEvent, error) {
	want := creds[CredWebhookSecret].Reveal()
	got := h.Get("mono-webhook-secret")
	if want == "" || got == "" || !equalSecret(got, want) {
		return nil, kobo.Errorf(kobo.EUNAUTHORIZED, "Unauthorized request.")
	}
	return parseWebhook(body)
}

// parseWebhook decodes one Mono webhook into kobo's provider events.
func parseWebhook(body []byte) ([]kobo.ProviderEvent, error) {
	var w struct {
		Event     string `json:"event"`
		Timestamp string `json:"timestamp"`
		Data      struct {
			// an object {_id} or {id} in most events, a bare id string in
			// account_income (docs.mono.co/docs/quickstart)
			Account json.RawMessage `json:"account"`
			Meta    *struct {
				DataStatus string `json:"data_status"`
				SyncStatus string `json:"sync_status"`
			} `json:"meta"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, &kobo.Error{Code: kobo.EINVALID, Message: "the webhook body is not Mono's JSON", Err: err}
	}
	if w.Event == "" {
		return nil, kobo.Errorf(kobo.EINVALID, "the webhook has no event")
	}
	var kind kobo.ProviderEventKind
	var income *kobo.ProviderIncome
	switch w.Event {
	case "mono.events.account_updated":
		kind = kobo.ProviderAccountUpdated
		if m := w.Data.Meta; m != nil {
			if strings.EqualFold(m.SyncStatus, "REAUTHORISATION_REQUIRED") {
				kind = kobo.ProviderReauthRequired
			} else if strings.EqualFold(m.DataStatus, "PROCESSING") {
				return nil, nil // the data is not there yet; the next account_updated says so
			}
		}
	case "mono.events.reauthorisation_required":
		kind = kobo.ProviderReauthRequired
	case "mono.events.account_unlinked":
		kind = kobo.ProviderAccountUnlinked
	case "mono.events.account_income":
		// the report of an income v2 request
		// (docs.mono.co/docs/financial-data/income): the data is the report
		kind = kobo.ProviderIncomeReady
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		_ = json.Unmarshal(body, &env)
		rep, err := normaliseIncome(env.Data)
		if err != nil {
			return nil, &kobo.Error{Code: kobo.EINVALID, Message: "the account_income webhook carries no readable income report", Err: err}
		}
		income = &kobo.ProviderIncome{Report: rep}
	default:
		return nil, nil
	}
	ref := accountRef(w.Data.Account)
	if !validID(ref) {
		return nil, kobo.Errorf(kobo.EINVALID, "the webhook names no account")
	}
	at, _ := time.Parse(time.RFC3339Nano, w.Timestamp)
	if income != nil {
		income.At = at
	}
	return []kobo.ProviderEvent{{Kind: kind, AccountRef: ref, At: at, Income: income}}, nil
}

// accountRef reads a webhook's account: {_id} (v1 and most events), {id}
// (v2) or the id itself (account_income).
func accountRef(raw json.RawMessage) string {
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id
	}
	var a struct {
		ID    string `json:"_id"`
		NewID string `json:"id"`
	}
	if json.Unmarshal(raw, &a) != nil {
		return ""
	}
	return cmp.Or(a.ID, a.NewID)
}

// CheckCredentials implements kobo.CredentialChecker with an
// authenticated read that needs no customer: GET /v3/institutions
// (docs.mono.co/docs/financial-data/partners-api-guide/integration-guide).
func (p *Provider) CheckCredentials(ctx context.Context, creds kobo.ProviderCredentials) kobo.ProviderHealth {
	now := p.c.Clock.Now()
	bad := func(msg string) kobo.ProviderHealth { return kobo.ProviderHealth{Message: msg, CheckedAt: now} }
	sk, err := secretKey(creds, nil)
	if err != nil {
		return bad("no Mono secret key is configured")
	}
	if !strings.HasPrefix(sk, "test_sk_") && !strings.HasPrefix(sk, "live_sk_") {
		return bad("the Mono secret key should start with test_sk_ or live_sk_")
	}
	if pk := creds[CredPublicKey].Reveal(); pk != "" && !strings.HasPrefix(pk, "test_pk_") && !strings.HasPrefix(pk, "live_pk_") {
		return bad("the Mono public key should start with test_pk_ or live_pk_")
	}
	if pk := creds[CredPublicKey].Reveal(); pk != "" && (strings.HasPrefix(pk, "test_") != strings.HasPrefix(sk, "test_")) {
		return bad("the Mono public and secret keys are of different modes (test and live)")
	}
	_, err = p.do(ctx, call{method: "GET", path: "/v3/institutions?scope=financial_data", key: sk, retry: true})
	switch {
	case err == nil:
		return kobo.ProviderHealth{OK: true, CheckedAt: now}
	case errors.Is(err, ErrAppKey):
		return bad("Mono refused the secret key")
	default:
		var be *kobo.BankError
		if errors.As(err, &be) && be.Message != "" {
			return bad("Mono could not be reached: " + be.Message)
		}
		return bad("Mono could not be reached")
	}
}
