package berlingroup

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
)

// State kinds of the face's resources.
const (
	kindConsent = "bg-consent" // consent id → consent JSON
	kindAuth    = "bg-auth"    // authorisation id → authorisation JSON
	kindUsage   = "bg-usage"   // consent/day/resource → unattended calls (counter)
	kindCode    = "bg-code"    // OAuth authorization code → grant JSON
	kindToken   = "bg-token"   // OAuth access or refresh token → grant JSON
)

// maxValidity is the longest consent the bank grants (180 days, as
// PSD2's RTS allows since 2022); a longer validUntil is shortened.
const maxValidity = 180 * 24 * time.Hour

// AccountAccess is the access a consent asks for. Accounts are named by
// bban (the NUBAN); an "all" form grants every account of the PSU.
type AccountAccess struct {
	Accounts                     []AccountReference `json:"accounts,omitempty"`
	Balances                     []AccountReference `json:"balances,omitempty"`
	Transactions                 []AccountReference `json:"transactions,omitempty"`
	AvailableAccounts            string             `json:"availableAccounts,omitempty"`
	AvailableAccountsWithBalance string             `json:"availableAccountsWithBalance,omitempty"`
	AllPsd2                      string             `json:"allPsd2,omitempty"`
}

// AccountReference names an account.
type AccountReference struct {
	IBAN     string `json:"iban,omitempty"`
	BBAN     string `json:"bban,omitempty"`
	Currency string `json:"currency,omitempty"`
}

// ConsentRequest is the body of POST /v1/consents.
type ConsentRequest struct {
	Access                   AccountAccess `json:"access"`
	RecurringIndicator       bool          `json:"recurringIndicator"`
	ValidUntil               string        `json:"validUntil"`
	FrequencyPerDay          int           `json:"frequencyPerDay"`
	CombinedServiceIndicator bool          `json:"combinedServiceIndicator"`
}

// ParseConsentRequest decodes and checks a consent request against the
// rules of the standard, with the message code and text of the first
// problem. today is the bank's date, which validUntil may not precede.
func ParseConsentRequest(b []byte, today time.Time) (ConsentRequest, string, error) {
	var req ConsentRequest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&req); err != nil {
		return req, "FORMAT_ERROR", errors.New("the body is not a consent request: " + strings.TrimPrefix(err.Error(), "json: "))
	}
	a := req.Access
	for _, v := range []string{a.AvailableAccounts, a.AvailableAccountsWithBalance, a.AllPsd2} {
		if v != "" && v != "allAccounts" && v != "allAccountsWithOwnerName" {
			return req, "FORMAT_ERROR", errors.New(`access: the "all" forms take allAccounts or allAccountsWithOwnerName`)
		}
	}
	if len(a.Accounts)+len(a.Balances)+len(a.Transactions) == 0 && a.AvailableAccounts == "" && a.AvailableAccountsWithBalance == "" && a.AllPsd2 == "" {
		return req, "FORMAT_ERROR", errors.New("access: asks for nothing")
	}
	for _, l := range [][]AccountReference{a.Accounts, a.Balances, a.Transactions} {
		for _, r := range l {
			if r.BBAN == "" && r.IBAN == "" {
				return req, "FORMAT_ERROR", errors.New("access: every account reference needs an iban or bban")
			}
		}
	}
	if req.ValidUntil == "" {
		return req, "FORMAT_ERROR", errors.New("validUntil is required")
	}
	until, err := time.Parse(time.DateOnly, req.ValidUntil)
	if err != nil {
		return req, "FORMAT_ERROR", errors.New("validUntil must be a date (YYYY-MM-DD)")
	}
	if until.Before(today.Truncate(24 * time.Hour)) {
		return req, "TIMESTAMP_INVALID", errors.New("validUntil is in the past")
	}
	if req.FrequencyPerDay < 1 {
		return req, "FORMAT_ERROR", errors.New("frequencyPerDay must be at least 1")
	}
	if !req.RecurringIndicator && req.FrequencyPerDay != 1 {
		return req, "FORMAT_ERROR", errors.New("a one-off consent (recurringIndicator false) has frequencyPerDay 1")
	}
	return req, "", nil
}

// consent is a consent resource as the face stores it.
type consent struct {
	ID          string        `json:"id"`
	PSU         string        `json:"psu,omitempty"` // username, once known
	Access      AccountAccess `json:"access"`
	Recurring   bool          `json:"recurring"`
	ValidUntil  string        `json:"valid_until"`
	Freq        int           `json:"freq"`
	Status      string        `json:"status"`
	Approach    string        `json:"approach"`
	RedirectURI string        `json:"redirect_uri,omitempty"`
	NokURI      string        `json:"nok_uri,omitempty"`
	LastAction  string        `json:"last_action"`
	Auths       []string      `json:"auths,omitempty"`
}

// authorisation is an SCA process of a consent.
type authorisation struct {
	ID        string    `json:"id"`
	Consent   string    `json:"consent"`
	Status    string    `json:"status"`
	PSU       string    `json:"psu,omitempty"`
	Method    string    `json:"method,omitempty"`
	ApproveAt time.Time `json:"approve_at,omitzero"` // decoupled
	Tries     int       `json:"tries,omitempty"`
}

// scaMethods is what every simulated user can authenticate with; both
// deliver the OTP banksim's test users answer (banksim.TestOTP).
var scaMethods = []map[string]string{
	{"authenticationType": "SMS_OTP", "authenticationMethodId": "sms", "name": "SMS to the phone the bank holds"},
	{"authenticationType": "PUSH_OTP", "authenticationMethodId": "app", "name": "Code in the bank's app"},
}

func (f *Face) get(ctx context.Context, kind, id string, v any) (bool, error) {
	b, _, ok, err := f.state.Value(ctx, kind, id)
	if err != nil || !ok {
		return false, err
	}
	return true, json.Unmarshal(b, v)
}

func (f *Face) put(ctx context.Context, kind, id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return f.state.Put(ctx, kind, id, b)
}

// loadConsent reads a consent, moving a valid one past its validUntil to
// expired.
func (f *Face) loadConsent(ctx context.Context, id string) (*consent, error) {
	var c consent
	ok, err := f.get(ctx, kindConsent, id, &c)
	if err != nil || !ok {
		return nil, err
	}
	now, err := f.now(ctx)
	if err != nil {
		return nil, err
	}
	if c.Status == "valid" && now.Format(time.DateOnly) > c.ValidUntil {
		c.Status = "expired"
		if err := f.put(ctx, kindConsent, c.ID, &c); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// loadAuth reads an authorisation, letting a decoupled one's simulated
// user approve it once the tenant's clock has passed its ApproveAt.
func (f *Face) loadAuth(ctx context.Context, c *consent, id string) (*authorisation, error) {
	var a authorisation
	ok, err := f.get(ctx, kindAuth, id, &a)
	if err != nil || !ok || a.Consent != c.ID {
		return nil, err
	}
	if a.Status == "started" && !a.ApproveAt.IsZero() {
		now, err := f.now(ctx)
		if err != nil {
			return nil, err
		}
		if !now.Before(a.ApproveAt) {
			if err := f.finalise(ctx, c, &a); err != nil {
				return nil, err
			}
		}
	}
	return &a, nil
}

// finalise completes an authorisation: the consent becomes valid.
func (f *Face) finalise(ctx context.Context, c *consent, a *authorisation) error {
	a.Status = "finalised"
	if err := f.put(ctx, kindAuth, a.ID, a); err != nil {
		return err
	}
	if c.Status == "received" {
		c.Status = "valid"
		c.PSU = a.PSU
	}
	return f.put(ctx, kindConsent, c.ID, c)
}

// fail ends an authorisation unsuccessfully: the consent is rejected.
func (f *Face) fail(ctx context.Context, c *consent, a *authorisation) error {
	a.Status = "failed"
	if err := f.put(ctx, kindAuth, a.ID, a); err != nil {
		return err
	}
	if c.Status == "received" {
		c.Status = "rejected"
	}
	return f.put(ctx, kindConsent, c.ID, c)
}

// approach picks the SCA approach from the TPP's preference headers and
// what the bank offers.
func (f *Face) approach(r *http.Request) string {
	offers := func(a string) bool { return slices.Contains(f.approaches, a) }
	redirectLike := ""
	for _, a := range f.approaches {
		if a == Redirect || a == OAuth {
			redirectLike = a
			break
		}
	}
	redir := strings.ToLower(r.Header.Get("TPP-Redirect-Preferred"))
	dec := strings.ToLower(r.Header.Get("TPP-Decoupled-Preferred"))
	switch {
	case redir == "true" && redirectLike != "":
		return redirectLike
	case dec == "true" && offers(Decoupled):
		return Decoupled
	case redir == "false" && offers(Embedded):
		return Embedded
	case redir == "false" && offers(Decoupled):
		return Decoupled
	}
	return f.approaches[0]
}

func scaApproachHeader(a string) string {
	if a == OAuth {
		return Redirect
	}
	return a
}

// user finds the PSU a username names (nil for none).
func (f *Face) user(ctx context.Context, name string) (*banksim.Scenario, error) {
	if name == "" {
		return nil, nil
	}
	return f.sim.LookupUser(ctx, f.tenant, name)
}

func (f *Face) handleCreateConsent(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now, err := f.now(ctx)
	if err != nil {
		unavailable(w, f.log, err)
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		tppError(w, http.StatusBadRequest, "FORMAT_ERROR", err.Error())
		return
	}
	req, code, err := ParseConsentRequest(body, now)
	if err != nil {
		tppError(w, http.StatusBadRequest, code, err.Error())
		return
	}
	until, _ := time.Parse(time.DateOnly, req.ValidUntil)
	if limit := now.Add(maxValidity); until.After(limit) {
		until = limit
	}
	c := &consent{ID: newID("bgc"), Access: req.Access, Recurring: req.RecurringIndicator, ValidUntil: until.Format(time.DateOnly),
		Freq: req.FrequencyPerDay, Status: "received", Approach: f.approach(r), LastAction: now.Format(time.DateOnly),
		RedirectURI: r.Header.Get("TPP-Redirect-URI"), NokURI: r.Header.Get("TPP-Nok-Redirect-URI")}
	psu := r.Header.Get("PSU-ID")
	base := baseURL(r)
	self := "/v1/consents/" + c.ID
	links := map[string]any{"self": href(self), "status": href(self + "/status")}
	resp := map[string]any{"consentId": c.ID, "consentStatus": c.Status, "_links": links}
	var a *authorisation
	switch c.Approach {
	case Redirect:
		if c.RedirectURI == "" {
			tppError(w, http.StatusBadRequest, "FORMAT_ERROR", "TPP-Redirect-URI is required for the redirect approach")
			return
		}
		a = &authorisation{ID: newID("bga"), Consent: c.ID, Status: "received"}
		links["scaRedirect"] = href(base + "/sca/" + a.ID)
		links["scaStatus"] = href(self + "/authorisations/" + a.ID)
	case OAuth:
		links["scaOAuth"] = href(base + "/.well-known/oauth-authorization-server")
	case Decoupled:
		if psu == "" {
			tppError(w, http.StatusBadRequest, "FORMAT_ERROR", "PSU-ID is required for the decoupled approach")
			return
		}
		u, err := f.user(ctx, psu)
		if err != nil {
			unavailable(w, f.log, err)
			return
		}
		if u == nil {
			tppError(w, http.StatusUnauthorized, "PSU_CREDENTIALS_INVALID", "the PSU-ID is not known to the bank")
			return
		}
		a = &authorisation{ID: newID("bga"), Consent: c.ID, Status: "started", PSU: psu, ApproveAt: now.Add(f.delay)}
		links["scaStatus"] = href(self + "/authorisations/" + a.ID)
		resp["psuMessage"] = "Please confirm the access in your banking app."
		resp["scaStatus"] = a.Status
	case Embedded:
		links["startAuthorisationWithPsuAuthentication"] = href(self + "/authorisations")
	}
	if a != nil {
		c.Auths = append(c.Auths, a.ID)
		if err := f.put(ctx, kindAuth, a.ID, a); err != nil {
			unavailable(w, f.log, err)
			return
		}
	}
	if err := f.put(ctx, kindConsent, c.ID, c); err != nil {
		unavailable(w, f.log, err)
		return
	}
	w.Header().Set("ASPSP-SCA-Approach", scaApproachHeader(c.Approach))
	w.Header().Set("Location", base+self)
	writeJSON(w, http.StatusCreated, resp)
}

func href(s string) map[string]string { return map[string]string{"href": s} }

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		return nil, errors.New("the body could not be read (at most 64 KiB)")
	}
	return b, nil
}

// consentOr404 loads the path's consent, answering 403 CONSENT_UNKNOWN
// when there is none.
func (f *Face) consentOr404(w http.ResponseWriter, r *http.Request) *consent {
	c, err := f.loadConsent(r.Context(), r.PathValue("id"))
	if err != nil {
		unavailable(w, f.log, err)
		return nil
	}
	if c == nil {
		tppError(w, http.StatusForbidden, "CONSENT_UNKNOWN", "no consent has this id")
	}
	return c
}

func (f *Face) handleGetConsent(w http.ResponseWriter, r *http.Request) {
	c := f.consentOr404(w, r)
	if c == nil {
		return
	}
	self := "/v1/consents/" + c.ID
	writeJSON(w, 200, map[string]any{"access": c.Access, "recurringIndicator": c.Recurring, "validUntil": c.ValidUntil,
		"frequencyPerDay": c.Freq, "lastActionDate": c.LastAction, "consentStatus": c.Status,
		"_links": map[string]any{"self": href(self), "status": href(self + "/status")}})
}

func (f *Face) handleConsentStatus(w http.ResponseWriter, r *http.Request) {
	c := f.consentOr404(w, r)
	if c == nil {
		return
	}
	// a decoupled approval may be due: reading the status is how the TPP
	// learns of it
	for _, id := range c.Auths {
		if _, err := f.loadAuth(r.Context(), c, id); err != nil {
			unavailable(w, f.log, err)
			return
		}
	}
	writeJSON(w, 200, map[string]any{"consentStatus": c.Status})
}

func (f *Face) handleDeleteConsent(w http.ResponseWriter, r *http.Request) {
	c := f.consentOr404(w, r)
	if c == nil {
		return
	}
	c.Status = "terminatedByTpp"
	if err := f.put(r.Context(), kindConsent, c.ID, c); err != nil {
		unavailable(w, f.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleAdminRevoke is the PSU revoking the consent at their bank.
func (f *Face) handleAdminRevoke(w http.ResponseWriter, r *http.Request) {
	f.adminSet(w, r, "revokedByPsu")
}

// handleAdminExpire ends a consent's validity now, as if validUntil had
// passed.
func (f *Face) handleAdminExpire(w http.ResponseWriter, r *http.Request) { f.adminSet(w, r, "expired") }

func (f *Face) adminSet(w http.ResponseWriter, r *http.Request, status string) {
	c := f.consentOr404(w, r)
	if c == nil {
		return
	}
	c.Status = status
	if err := f.put(r.Context(), kindConsent, c.ID, c); err != nil {
		unavailable(w, f.log, err)
		return
	}
	writeJSON(w, 200, map[string]any{"consentStatus": c.Status})
}
