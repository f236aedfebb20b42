// Package berlingroup is kobo's connector to banks that publish the Berlin
// Group NextGenPSD2 XS2A Account Information Service (1.3.11, and 1.3.12
// as a profile of the same code). Adding such a bank is an entry in the
// operator's banks file (ParseBanks), never code.
//
// It owns the protocol: creating the consent (POST /v1/consents with the
// bank entry's frequencyPerDay and validity), the SCA approaches mapped
// onto kobo's consent kinds (REDIRECT and OAuth with PKCE → a redirect
// consent; DECOUPLED → a decoupled consent kobo polls; EMBEDDED → kobo's
// credential form and a 102 OTP challenge), reading accounts, balances and
// transactions (bookingStatus=both, following _links.next), and
// classifying the standard's tppMessages into kobo.BankError kinds (a
// refused certificate or signature is kobo's to fix, never the
// customer's). Each bank is reached with its own mTLS client certificate,
// from files or kobo's database (mtls), and an entry with "signing": true
// signs every XS2A request (signing.go: Digest, Signature,
// TPP-Signature-Certificate).
//
// Where the bank's answer carries a link (_links: the next authorisation
// step, the SCA status, the next page; the OAuth server's token_endpoint)
// kobo follows it rather than the standard's example paths, because
// ASPSPs serve the API under base paths of their own; the standard's paths
// are only the fallback for a bank that returns no link. A link must stay
// on the bank's origin (link), as kobo sends the consent id and token with
// what it requests there.
//
// kobo's BankTransaction has no field yet for the standard's counterparty
// accounts, endToEndId, mandate and creditor ids, bank transaction codes
// or merchant category code; Transaction decodes them all so a meta field
// can carry them once kobo has one.
package berlingroup

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/mtls"
)

// Name is the provider's key in kobo's provider map.
const Name = "berlingroup"

// Config configures a Provider.
type Config struct {
	Banks  []Bank
	Logger *slog.Logger
	Clock  kobo.Clock
	// Timeout bounds one request (default 30 s).
	Timeout time.Duration
	// TLS overrides a bank's TLS configuration by bank id (tests whose
	// certificates are made in memory); otherwise the entry's files.
	TLS map[string]*tls.Config
	// PollInterval is how often kobo asks about a decoupled approval
	// (default 2 s); DecoupledTimeout how long the customer has (5 min).
	PollInterval, DecoupledTimeout time.Duration
	// WrapTransport, when set, wraps each bank's transport (a conformance
	// check counting the bank's non-standard answers, in tests and bench).
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// Keys are the TPP keys in kobo's database that entries name
	// (cert_secret, signing_secret); nil when none is used.
	Keys mtls.Keys
}

// Provider implements kobo.Provider, kobo.Consenter and kobo.Policied.
type Provider struct {
	c       Config
	banks   map[string]Bank // by institution id
	byBank  map[string]Bank // by bank id
	clients map[string]*http.Client
	signers map[string]signer // by bank id, for entries that sign
}

var (
	_ kobo.Provider  = (*Provider)(nil)
	_ kobo.Consenter = (*Provider)(nil)
	_ kobo.Policied  = (*Provider)(nil)
)

// New returns a Provider for the banks, loading their certificates.
func New(c Config) (*Provider, error) {
	c.Logger = cmp.Or(c.Logger, slog.New(slog.DiscardHandler))
	if c.Clock == nil {
		c.Clock = kobo.SystemClock{}
	}
	c.Timeout = cmp.Or(c.Timeout, 30*time.Second)
	c.PollInterval = cmp.Or(c.PollInterval, 2*time.Second)
	c.DecoupledTimeout = cmp.Or(c.DecoupledTimeout, 5*time.Minute)
	p := &Provider{c: c, banks: map[string]Bank{}, byBank: map[string]Bank{}, clients: map[string]*http.Client{}, signers: map[string]signer{}}
	for _, b := range c.Banks {
		tc := c.TLS[b.ID]
		if tc == nil {
			var err error
			if tc, err = b.tlsConfig(c.Keys); err != nil {
				return nil, err
			}
		}
		sg, err := b.signer(c.Keys)
		if err != nil {
			return nil, err
		}
		if sg != nil {
			p.signers[b.ID] = sg
		}
		p.banks[InstitutionID(b.ID)] = b
		p.byBank[b.ID] = b
		p.clients[b.ID] = mtls.BankClient(tc, c.Timeout, c.WrapTransport)
	}
	return p, nil
}

// Policy implements kobo.Policied: real banks; at most the consent's
// frequencyPerDay background syncs a day, so the bank never answers
// ACCESS_EXCEEDED to a sync kobo planned.
func (p *Provider) Policy() kobo.ProviderPolicy {
	freq := 24
	for _, b := range p.banks {
		freq = min(freq, b.FrequencyPerDay)
	}
	return kobo.ProviderPolicy{Real: true, MinSyncInterval: 24 * time.Hour / time.Duration(max(freq, 1)), MinManualSyncInterval: 2 * time.Minute,
		OverlapWindow: 3 * 24 * time.Hour}
}

// grant is what kobo keeps of a consent, sealed, in the session's Token
// and Persist.
type grant struct {
	Bank       string    `json:"b"`
	Consent    string    `json:"c"`
	Approach   string    `json:"a"`
	Access     string    `json:"t,omitempty"` // OAuth access token
	Refresh    string    `json:"r,omitempty"` // OAuth refresh token
	ValidUntil string    `json:"v,omitempty"`
	PSU        string    `json:"p,omitempty"`
	Auth       string    `json:"h,omitempty"` // embedded/decoupled authorisation
	AuthLink   string    `json:"l,omitempty"` // its URL, as the bank's links gave it (older grants: built from Auth)
	TokenURL   string    `json:"k,omitempty"` // OAuth token_endpoint from the server's metadata (older grants: /oauth/token)
	Callback   string    `json:"u,omitempty"` // OAuth redirect_uri
	AccessExp  time.Time `json:"e,omitzero"`
}

func (g grant) secret() kobo.Secret { b, _ := json.Marshal(g); return kobo.Secret(b) }

func parseGrant(s kobo.Secret) (grant, error) {
	var g grant
	if err := json.Unmarshal([]byte(s.Reveal()), &g); err != nil || g.Bank == "" || g.Consent == "" {
		return g, errors.New("not a Berlin Group grant")
	}
	return g, nil
}

// authURL is the authorisation an embedded or decoupled SCA goes on at:
// the link the bank gave, or for grants made before kobo kept it, the
// standard's path.
func (g grant) authURL() string {
	return cmp.Or(g.AuthLink, "/v1/consents/"+g.Consent+"/authorisations/"+g.Auth)
}

// link resolves a link the bank returned (an _links href) to a URL. The
// standard's examples give absolute paths ("/v1/consents/…"); a bank that
// serves the API under a base path may give its links with the base path
// or without it, and some give whole URLs. A whole URL must be on the
// bank's own origin: kobo sends the consent id and the OAuth token with
// what it requests there, and a link elsewhere would hand them to whoever
// the answer named.
func link(b Bank, href string) (string, error) {
	base, err := url.Parse(b.BaseURL)
	if err != nil {
		return "", &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank entry's base_url is unusable", Err: err}
	}
	u, err := url.Parse(href)
	bad := func(why string) error {
		shown := href
		if len(shown) > 120 {
			shown = shown[:120] + "…"
		}
		return &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank gave an unusable link: " + why, Err: fmt.Errorf("berlingroup: link %q", shown)}
	}
	switch {
	case err != nil || href == "":
		return "", bad("not a URL")
	case u.IsAbs():
		if u.Scheme != base.Scheme || u.Host != base.Host {
			return "", bad("it points away from the bank's API (" + base.Scheme + "://" + base.Host + ")")
		}
		return u.String(), nil
	case !strings.HasPrefix(href, "/") || strings.HasPrefix(href, "//"):
		return "", bad("not an absolute path")
	case base.Path != "" && !strings.HasPrefix(u.Path, base.Path+"/"):
		return base.Scheme + "://" + base.Host + base.Path + href, nil
	}
	return base.Scheme + "://" + base.Host + href, nil
}

func (p *Provider) session(g grant) *kobo.BankSession {
	s := &kobo.BankSession{Token: g.secret(), Persist: g.secret(), ExpiresAt: p.c.Clock.Now().Add(time.Hour)}
	if t, err := time.Parse(time.DateOnly, g.ValidUntil); err == nil {
		end := t.Add(24 * time.Hour)
		s.ConsentExpiresAt = &end
	}
	return s
}

// call sends one XS2A request and decodes a JSON answer into out,
// classifying failures.
func (p *Provider) call(ctx context.Context, b Bank, g *grant, method, path string, hdr map[string]string, body any, out any) (http.Header, error) {
	var rd io.Reader
	var bs []byte
	if body != nil {
		bs, _ = json.Marshal(body)
		rd = bytes.NewReader(bs)
	}
	u := path
	if !strings.HasPrefix(path, "https://") {
		u = b.BaseURL + path
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank gave an unusable link", Err: err}
	}
	req.Header.Set("X-Request-ID", newUUID())
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if g != nil {
		req.Header.Set("Consent-ID", g.Consent)
		if g.Access != "" {
			req.Header.Set("Authorization", "Bearer "+g.Access)
		}
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if sg := p.signers[b.ID]; sg != nil {
		k, err := sg()
		if err == nil {
			err = sign(req, bs, k, p.c.Clock.Now())
		}
		if err != nil {
			return nil, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "kobo could not sign the request to the bank", Err: err}
		}
	}
	resp, err := p.clients[b.ID].Do(req)
	if err != nil {
		return nil, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "the bank did not answer", Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, &kobo.BankError{Kind: kobo.BankUnavailable, Message: "the bank's answer was cut off", Err: err}
	}
	if resp.StatusCode >= 300 {
		return resp.Header, classify(resp.StatusCode, resp.Header, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.Header, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank's answer is not the standard's JSON", Err: err}
		}
	}
	return resp.Header, nil
}

// TPPMessages is the standard's error body.
type TPPMessages struct {
	TppMessages []struct {
		Category string `json:"category"`
		Code     string `json:"code"`
		Text     string `json:"text"`
	} `json:"tppMessages"`
}

// ParseTPPMessages decodes an error body; bodies that are not the
// standard's give no messages.
func ParseTPPMessages(b []byte) TPPMessages {
	var m TPPMessages
	json.Unmarshal(b, &m)
	return m
}

// classify maps an XS2A failure onto kobo's bank error kinds.
func classify(status int, h http.Header, body []byte) error {
	m := ParseTPPMessages(body)
	code, text := "", ""
	if len(m.TppMessages) > 0 {
		code, text = m.TppMessages[0].Code, m.TppMessages[0].Text
	}
	err := fmt.Errorf("berlingroup: HTTP %d %s: %.200s", status, code, text)
	be := &kobo.BankError{Err: err, Message: text}
	switch {
	case status == http.StatusTooManyRequests:
		be.Kind = kobo.BankRateLimited
		if s, e := strconv.Atoi(h.Get("Retry-After")); e == nil {
			be.RetryAfter = time.Duration(s) * time.Second
		}
		if code == "ACCESS_EXCEEDED" && be.RetryAfter == 0 {
			// the consent's frequencyPerDay is used up until tomorrow
			be.RetryAfter = 6 * time.Hour
		}
	case status >= 500:
		be.Kind, be.Message = kobo.BankUnavailable, "the bank is temporarily unavailable"
	case code == "CONSENT_EXPIRED" || code == "CONSENT_INVALID" || code == "CONSENT_UNKNOWN":
		be.Kind = kobo.BankMFARequired
	case code == "TOKEN_EXPIRED":
		be.Kind = kobo.BankTokenExpired
	case code == "TOKEN_INVALID":
		be.Kind = kobo.BankMFARequired
	case strings.HasPrefix(code, "CERTIFICATE_") || strings.HasPrefix(code, "SIGNATURE_"):
		// kobo's own certificate or signature: the operator's to fix, not
		// the customer's, so never a re-authorisation; retried after
		be.Kind, be.Message = kobo.BankUnavailable, "the bank refused kobo's certificate or signature"
	case code == "PSU_CREDENTIALS_INVALID":
		be.Kind = kobo.BankBadCredentials
	case status == http.StatusNotFound || code == "RESOURCE_UNKNOWN":
		be.Kind = kobo.BankNotFound
	case status == http.StatusUnauthorized:
		be.Kind = kobo.BankMFARequired
	default:
		be.Kind = kobo.BankInvalidData
	}
	if be.Message == "" {
		be.Message = "the bank refused the request"
	}
	return be
}

func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := fmt.Sprintf("%x", b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (p *Provider) bank(in kobo.Institution) (Bank, error) {
	b, ok := p.banks[in.ID]
	if !ok {
		return b, &kobo.BankError{Kind: kobo.BankNotFound, Message: "this bank is not configured", Err: fmt.Errorf("berlingroup: no bank for institution %s", in.ID)}
	}
	return b, nil
}

func (p *Provider) bankOf(g grant) (Bank, error) {
	b, ok := p.byBank[g.Bank]
	if !ok {
		return b, &kobo.BankError{Kind: kobo.BankMFARequired, Message: "this bank is no longer configured", Err: fmt.Errorf("berlingroup: no bank %q", g.Bank)}
	}
	return b, nil
}

func approachOf(b Bank, in kobo.Institution, authMethod string) string {
	for i, m := range in.AuthMethods {
		if m.Type == authMethod && i < len(b.Approaches) {
			return b.Approaches[i]
		}
	}
	return b.Approaches[0]
}

type href struct {
	Href string `json:"href"`
}

type consentResp struct {
	ConsentID     string          `json:"consentId"`
	ConsentStatus string          `json:"consentStatus"`
	ScaStatus     string          `json:"scaStatus"`
	PSUMessage    string          `json:"psuMessage"`
	Links         map[string]href `json:"_links"`
	ScaMethods    []struct {
		Type string `json:"authenticationType"`
		ID   string `json:"authenticationMethodId"`
	} `json:"scaMethods"`
	AuthorisationID string `json:"authorisationId"`
	ChallengeData   struct {
		AdditionalInformation string `json:"additionalInformation"`
	} `json:"challengeData"`
}

func (p *Provider) consentBody(b Bank) (map[string]any, string) {
	until := p.c.Clock.Now().AddDate(0, 0, b.ConsentDays).Format(time.DateOnly)
	return map[string]any{"access": map[string]string{"allPsd2": "allAccountsWithOwnerName"}, "recurringIndicator": true,
		"validUntil": until, "frequencyPerDay": b.FrequencyPerDay, "combinedServiceIndicator": false}, until
}

// Login implements kobo.Provider.
func (p *Provider) Login(ctx context.Context, req kobo.LoginRequest) (kobo.LoginStep, error) {
	b, err := p.bank(req.Institution)
	if err != nil {
		return kobo.LoginStep{}, err
	}
	if req.Persist != "" && !req.Interactive {
		return p.relogin(ctx, req.Persist)
	}
	approach := approachOf(b, req.Institution, req.AuthMethod)
	body, until := p.consentBody(b)
	psu := req.Fields[FieldPSUID].Reveal()
	hdr := map[string]string{"PSU-IP-Address": "0.0.0.0"}
	if psu != "" {
		hdr["PSU-ID"] = psu
	}
	switch approach {
	case ApproachRedirect, ApproachOAuth:
		if req.Redirect == nil {
			return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "a redirect consent needs kobo's callback", Err: errors.New("berlingroup: no RedirectParams")}
		}
		cb := req.Redirect.CallbackURL + "?state=" + url.QueryEscape(req.Redirect.State)
		hdr["TPP-Redirect-Preferred"], hdr["TPP-Redirect-URI"], hdr["TPP-Nok-Redirect-URI"] = "true", cb, cb+"&error=access_denied"
	case ApproachDecoupled:
		hdr["TPP-Redirect-Preferred"], hdr["TPP-Decoupled-Preferred"] = "false", "true"
	case ApproachEmbedded:
		hdr["TPP-Redirect-Preferred"] = "false"
	}
	var c consentResp
	if _, err := p.call(ctx, b, nil, "POST", "/v1/consents", hdr, body, &c); err != nil {
		return kobo.LoginStep{}, err
	}
	g := grant{Bank: b.ID, Consent: c.ConsentID, Approach: approach, ValidUntil: until, PSU: psu}
	switch approach {
	case ApproachRedirect, ApproachOAuth:
		return p.redirectStep(ctx, b, req, c, g)
	case ApproachDecoupled:
		if c.Links["scaStatus"].Href == "" {
			return kobo.LoginStep{}, noSCALink(c, "a decoupled approval (scaStatus)")
		}
		if g.AuthLink, err = link(b, c.Links["scaStatus"].Href); err != nil {
			return kobo.LoginStep{}, err
		}
		return kobo.LoginStep{Decoupled: &kobo.Decoupled{Ref: g.secret(), Message: cmp.Or(c.PSUMessage, "Approve the request in your "+b.Name+" app"),
			Interval: p.c.PollInterval, ExpiresAt: p.c.Clock.Now().Add(p.c.DecoupledTimeout)}}, nil
	}
	// embedded: the password now, then the OTP as a challenge
	// the links the bank returns name the next request; the standard's
	// paths are only the fallback for a bank that returns none
	startURL := "/v1/consents/" + c.ConsentID + "/authorisations"
	if h := cmp.Or(c.Links["startAuthorisationWithPsuAuthentication"].Href, c.Links["startAuthorisation"].Href); h != "" {
		if startURL, err = link(b, h); err != nil {
			return kobo.LoginStep{}, err
		}
	}
	var start consentResp
	if _, err := p.call(ctx, b, nil, "POST", startURL, hdr,
		map[string]any{"psuData": map[string]string{"password": req.Fields[FieldPassword].Reveal()}}, &start); err != nil {
		return kobo.LoginStep{}, err
	}
	g.Auth = start.AuthorisationID
	next := func(r consentResp, names ...string) (string, error) {
		for _, n := range names {
			if h := r.Links[n].Href; h != "" {
				return link(b, h)
			}
		}
		if g.Auth == "" {
			return "", noSCALink(r, "the next authorisation step ("+strings.Join(names, " or ")+")")
		}
		return "/v1/consents/" + c.ConsentID + "/authorisations/" + g.Auth, nil
	}
	if len(start.ScaMethods) > 0 && start.ScaStatus == "psuAuthenticated" {
		u, err := next(start, "selectAuthenticationMethod", "scaStatus")
		if err != nil {
			return kobo.LoginStep{}, err
		}
		m := start.ScaMethods[0].ID
		if _, err := p.call(ctx, b, nil, "PUT", u, hdr, map[string]string{"authenticationMethodId": m}, &start); err != nil {
			return kobo.LoginStep{}, err
		}
	}
	if g.AuthLink, err = next(start, "authoriseTransaction", "scaStatus"); err != nil {
		return kobo.LoginStep{}, err
	}
	hint := cmp.Or(start.ChallengeData.AdditionalInformation, "Enter the code "+b.Name+" sent you")
	return kobo.LoginStep{Challenge: &kobo.Challenge{Ref: g.secret().Reveal(), Kind: "otp", Tenant: req.Tenant,
		UI: kobo.UIForm{Title: hint, Form: []kobo.FormField{{Type: "elements.input", Name: "otp", Hint: hint, ContentType: "number", MaxLength: 12}}}}}, nil
}

// redirectStep sends the customer to the bank for a redirect-like
// consent. The entry's approach is only kobo's preference
// (TPP-Redirect-Preferred): the standard lets the ASPSP choose between
// its plain REDIRECT approach (an scaRedirect link to send the browser to)
// and the OAuth2 flavour of it (an scaOAuth link to the authorisation
// server's metadata), and both answer the same request. So kobo follows
// the link the bank returned, preferring the configured one when a bank
// offers both, and records which it followed: the callback of one needs a
// token exchange and the other does not.
func (p *Provider) redirectStep(ctx context.Context, b Bank, req kobo.LoginRequest, c consentResp, g grant) (kobo.LoginStep, error) {
	redirect, oauth := c.Links["scaRedirect"].Href, c.Links["scaOAuth"].Href
	switch {
	case oauth != "" && (redirect == "" || g.Approach == ApproachOAuth):
		g.Approach = ApproachOAuth
	case redirect != "":
		g.Approach = ApproachRedirect
	default:
		return kobo.LoginStep{}, noSCALink(c, "a redirect (scaRedirect or scaOAuth)")
	}
	if g.Approach == ApproachRedirect {
		return kobo.LoginStep{Redirect: &kobo.Redirect{URL: redirect, Ref: g.secret()}}, nil
	}
	if b.TPPID == "" {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank asked for its OAuth approach (scaOAuth), which needs the entry's tpp_id as the client id",
			Err: errors.New("berlingroup: scaOAuth without a tpp_id")}
	}
	var meta struct {
		Authorize string `json:"authorization_endpoint"`
		Token     string `json:"token_endpoint"`
	}
	if _, err := p.call(ctx, b, nil, "GET", oauth, nil, nil, &meta); err != nil {
		return kobo.LoginStep{}, err
	}
	if meta.Authorize == "" {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank's OAuth server metadata (scaOAuth) names no authorization_endpoint",
			Err: errors.New("berlingroup: no authorization_endpoint")}
	}
	if u, err := url.Parse(meta.Token); meta.Token != "" && (err != nil || u.Scheme != "https" || u.Host == "") {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankInvalidData, Message: "the bank's OAuth server metadata (scaOAuth) gives a token_endpoint that is not an https URL",
			Err: fmt.Errorf("berlingroup: token_endpoint %q", meta.Token)}
	}
	g.TokenURL = meta.Token
	g.Callback = req.Redirect.CallbackURL
	q := url.Values{"response_type": {"code"}, "client_id": {b.TPPID}, "redirect_uri": {req.Redirect.CallbackURL}, "scope": {"AIS:" + c.ConsentID},
		"state": {req.Redirect.State}, "code_challenge": {req.Redirect.CodeChallenge}, "code_challenge_method": {"S256"}}
	return kobo.LoginStep{Redirect: &kobo.Redirect{URL: meta.Authorize + "?" + q.Encode(), Ref: g.secret()}}, nil
}

// noSCALink is a consent answer without the SCA link the approach needs,
// naming the links the bank did return so an operator can see which
// approach the bank chose instead.
func noSCALink(c consentResp, want string) error {
	names := slices.Sorted(maps.Keys(c.Links))
	for i, n := range names { // the bank's keys: keep the message short
		if len(n) > 60 {
			names[i] = n[:60] + "…"
		}
	}
	if len(names) > 12 {
		names = append(names[:12], "…")
	}
	got := "no links"
	if len(names) > 0 {
		got = "links " + strings.Join(names, ", ")
	}
	return &kobo.BankError{Kind: kobo.BankInvalidData, Message: fmt.Sprintf("the bank's consent answer has no link for %s; it returned %s", want, got),
		Err: fmt.Errorf("berlingroup: consent %s: no SCA link for the approach (%s)", c.ConsentID, got)}
}

// relogin is a background sync: the consent must still be valid (an OAuth
// access token is refreshed).
func (p *Provider) relogin(ctx context.Context, persist kobo.Secret) (kobo.LoginStep, error) {
	g, err := parseGrant(persist)
	if err != nil {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankMFARequired, Message: "the stored consent is unusable", Err: err}
	}
	b, err := p.bankOf(g)
	if err != nil {
		return kobo.LoginStep{}, err
	}
	if g.Approach == ApproachOAuth {
		if err := p.token(ctx, b, &g, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {g.Refresh}}); err != nil {
			return kobo.LoginStep{}, err
		}
	}
	var st struct {
		ConsentStatus string `json:"consentStatus"`
	}
	if _, err := p.call(ctx, b, nil, "GET", "/v1/consents/"+g.Consent+"/status", nil, nil, &st); err != nil {
		return kobo.LoginStep{}, err
	}
	if st.ConsentStatus != "valid" {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankMFARequired, Message: "the consent at the bank is " + st.ConsentStatus,
			Err: fmt.Errorf("berlingroup: consent %s", st.ConsentStatus)}
	}
	return kobo.LoginStep{Session: p.session(g)}, nil
}

// Answer implements kobo.Provider: the embedded approach's OTP.
func (p *Provider) Answer(ctx context.Context, ch kobo.Challenge, fields map[string]kobo.Secret) (kobo.LoginStep, error) {
	g, err := parseGrant(kobo.Secret(ch.Ref))
	if err != nil {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankNotFound, Message: "unknown challenge", Err: err}
	}
	b, err := p.bankOf(g)
	if err != nil {
		return kobo.LoginStep{}, err
	}
	var fin consentResp
	if _, err := p.call(ctx, b, nil, "PUT", g.authURL(), map[string]string{"PSU-ID": g.PSU}, map[string]string{"scaAuthenticationData": fields["otp"].Reveal()}, &fin); err != nil {
		return kobo.LoginStep{}, err
	}
	if fin.ScaStatus != "finalised" {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "the bank did not accept the code", Err: fmt.Errorf("berlingroup: scaStatus %s", fin.ScaStatus)}
	}
	g.Auth, g.PSU = "", ""
	return kobo.LoginStep{Session: p.session(g)}, nil
}

// Callback implements kobo.Consenter: the end of a redirect (the consent
// is now valid) or OAuth (the code is exchanged with the PKCE verifier).
func (p *Provider) Callback(ctx context.Context, req kobo.CallbackRequest) (kobo.LoginStep, error) {
	g, err := parseGrant(req.Ref)
	if err != nil {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankNotFound, Message: "unknown consent", Err: err}
	}
	b, err := p.bankOf(g)
	if err != nil {
		return kobo.LoginStep{}, err
	}
	if e := req.Params["error"]; e != "" {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "the consent was not given at the bank", Err: fmt.Errorf("berlingroup: %s", e)}
	}
	if g.Approach == ApproachOAuth {
		v := url.Values{"grant_type": {"authorization_code"}, "code": {req.Params["code"]}, "code_verifier": {req.CodeVerifier.Reveal()},
			"redirect_uri": {g.Callback}, "client_id": {b.TPPID}}
		if err := p.token(ctx, b, &g, v); err != nil {
			return kobo.LoginStep{}, err
		}
	}
	return p.relogin(ctx, g.secret())
}

// token runs an OAuth token request at the bank's authorization server.
func (p *Provider) token(ctx context.Context, b Bank, g *grant, v url.Values) error {
	u, err := url.Parse(b.BaseURL)
	if err != nil {
		return err
	}
	// the metadata's token_endpoint; grants made before kobo kept it
	// used the authorization server's usual path on the bank's origin
	tokenURL := cmp.Or(g.TokenURL, u.Scheme+"://"+u.Host+"/oauth/token")
	req, _ := http.NewRequestWithContext(ctx, "POST", tokenURL, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.clients[b.ID].Do(req)
	if err != nil {
		return &kobo.BankError{Kind: kobo.BankUnavailable, Message: "the bank's authorization server did not answer", Err: err}
	}
	defer resp.Body.Close()
	var t struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
		Expires int    `json:"expires_in"`
		Error   string `json:"error"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&t)
	switch {
	case resp.StatusCode >= 500:
		return &kobo.BankError{Kind: kobo.BankUnavailable, Message: "the bank's authorization server is unavailable", Err: fmt.Errorf("berlingroup: token HTTP %d", resp.StatusCode)}
	case resp.StatusCode != 200 || t.Access == "":
		return &kobo.BankError{Kind: kobo.BankMFARequired, Message: "the bank refused the authorization", Err: fmt.Errorf("berlingroup: token HTTP %d %s", resp.StatusCode, t.Error)}
	}
	g.Access, g.Refresh = t.Access, cmp.Or(t.Refresh, g.Refresh)
	g.AccessExp = p.c.Clock.Now().Add(time.Duration(t.Expires) * time.Second)
	return nil
}

// Poll implements kobo.Consenter: a decoupled approval.
func (p *Provider) Poll(ctx context.Context, d kobo.Decoupled, _ kobo.ProviderCredentials) (kobo.LoginStep, error) {
	g, err := parseGrant(d.Ref)
	if err != nil {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankNotFound, Message: "unknown consent", Err: err}
	}
	b, err := p.bankOf(g)
	if err != nil {
		return kobo.LoginStep{}, err
	}
	var st consentResp
	if _, err := p.call(ctx, b, nil, "GET", g.authURL(), nil, nil, &st); err != nil {
		return kobo.LoginStep{}, err
	}
	switch st.ScaStatus {
	case "finalised", "exempted":
		g.Auth, g.AuthLink, g.PSU = "", "", ""
		return kobo.LoginStep{Session: p.session(g)}, nil
	case "failed":
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "the request was declined in the bank app", Err: errors.New("berlingroup: scaStatus failed")}
	}
	return kobo.LoginStep{Decoupled: &d}, nil
}
