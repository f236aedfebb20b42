package obie

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// permissionNames are the AIS permissions of the standard (both versions).
func permissionNames() []string {
	return []string{"ReadAccountsBasic", "ReadAccountsDetail", "ReadBalances", "ReadBeneficiariesBasic", "ReadBeneficiariesDetail",
		"ReadDirectDebits", "ReadOffers", "ReadPAN", "ReadParty", "ReadPartyPSU", "ReadProducts", "ReadScheduledPaymentsBasic",
		"ReadScheduledPaymentsDetail", "ReadStandingOrdersBasic", "ReadStandingOrdersDetail", "ReadStatementsBasic", "ReadStatementsDetail",
		"ReadTransactionsBasic", "ReadTransactionsCredits", "ReadTransactionsDebits", "ReadTransactionsDetail"}
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// client authenticates the token endpoint's caller: the client id from
// Basic auth or the form (tls_client_auth and public clients send only
// the id; the certificate was checked by guard).
func (f *Face) client(r *http.Request) (string, bool) {
	id := r.PostForm.Get("client_id")
	if u, _, ok := r.BasicAuth(); ok {
		id = u
	}
	if id == "" {
		return "", false
	}
	if len(f.c.Clients) > 0 {
		if _, ok := f.c.Clients[id]; !ok {
			return "", false
		}
	}
	return id, true
}

type tokenBody struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

func (f *Face) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request", "the body must be a form")
		return
	}
	if f.misbehave(w, r, "") {
		return
	}
	client, ok := f.client(r)
	if !ok {
		oauthError(w, 401, "invalid_client", "unknown client")
		return
	}
	ctx := r.Context()
	now, err := f.now(ctx)
	if err != nil {
		oauthError(w, 500, "server_error", "the bank's systems are unavailable")
		return
	}
	ttl := int64(f.c.TokenTTL / time.Second)
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
		writeJSON(w, 200, tokenBody{AccessToken: f.sign(tok{Kind: "cc", Client: client, Exp: now.Unix() + ttl}), TokenType: "Bearer", ExpiresIn: ttl, Scope: "accounts"})
	case "authorization_code":
		t, ok := f.verify(r.PostForm.Get("code"), "code")
		if !ok || t.Client != client || now.Unix() > t.Exp {
			oauthError(w, 400, "invalid_grant", "the authorization code is invalid or expired")
			return
		}
		if t.Redirect != r.PostForm.Get("redirect_uri") {
			oauthError(w, 400, "invalid_grant", "redirect_uri does not match the authorization request")
			return
		}
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if t.PKCE == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != t.PKCE {
			oauthError(w, 400, "invalid_grant", "code_verifier does not match the code_challenge")
			return
		}
		n, err := f.sim.StdState().Add(ctx, stateCode, t.Nonce, 1)
		if err != nil {
			oauthError(w, 500, "server_error", "the bank's systems are unavailable")
			return
		}
		if n != 1 {
			oauthError(w, 400, "invalid_grant", "the authorization code was already used")
			return
		}
		f.issue(w, r, client, t.Consent, "", now)
	case "refresh_token":
		t, ok := f.verify(r.PostForm.Get("refresh_token"), "rt")
		if !ok || t.Client != client {
			oauthError(w, 400, "invalid_grant", "the refresh token is invalid")
			return
		}
		f.issue(w, r, client, t.Consent, r.PostForm.Get("refresh_token"), now)
	default:
		oauthError(w, 400, "unsupported_grant_type", "grant_type must be client_credentials, authorization_code or refresh_token")
	}
}

// issue answers a code or refresh grant: an access token, and the
// refresh token, while the consent is authorised and unexpired.
func (f *Face) issue(w http.ResponseWriter, r *http.Request, client, consentID, refresh string, now time.Time) {
	c, err := f.loadConsent(r.Context(), consentID)
	if err != nil {
		oauthError(w, 500, "server_error", "the bank's systems are unavailable")
		return
	}
	if c == nil || c.Client != client || c.status(now) != consentAuthorised {
		oauthError(w, 400, "invalid_grant", "the consent is not authorised (expired, revoked or rejected)")
		return
	}
	if refresh == "" {
		exp := int64(0)
		if c.Expires != nil {
			exp = c.Expires.Unix()
		}
		refresh = f.sign(tok{Kind: "rt", Client: client, Consent: c.ID, Exp: exp})
	}
	ttl := int64(f.c.TokenTTL / time.Second)
	writeJSON(w, 200, tokenBody{AccessToken: f.sign(tok{Kind: "at", Client: client, Consent: c.ID, User: c.User, Exp: now.Unix() + ttl}),
		TokenType: "Bearer", ExpiresIn: ttl, RefreshToken: refresh, Scope: "openid accounts"})
}

// consentRequest is OBReadConsent1.
type consentRequest struct {
	Data struct {
		Permissions             []string   `json:"Permissions"`
		ExpirationDateTime      *time.Time `json:"ExpirationDateTime"`
		TransactionFromDateTime *time.Time `json:"TransactionFromDateTime"`
		TransactionToDateTime   *time.Time `json:"TransactionToDateTime"`
	} `json:"Data"`
	Risk *json.RawMessage `json:"Risk"`
}

// DecodeConsentRequest reads and checks an OBReadConsent1 body: known
// permissions, at least one, transactions permissions with a credit or
// debit one, and a future expiry.
func DecodeConsentRequest(body []byte, now time.Time) (perms []string, expires, from, to *time.Time, err error) {
	var req consentRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("the body is not an OBReadConsent1: %v", err)
	}
	if req.Risk == nil {
		return nil, nil, nil, nil, errors.New("Risk is required")
	}
	if len(req.Data.Permissions) == 0 {
		return nil, nil, nil, nil, errors.New("Data.Permissions needs at least one permission")
	}
	for _, p := range req.Data.Permissions {
		if !slices.Contains(permissionNames(), p) {
			return nil, nil, nil, nil, fmt.Errorf("Data.Permissions: unknown permission %q", p)
		}
	}
	has := func(p string) bool { return slices.Contains(req.Data.Permissions, p) }
	if (has("ReadTransactionsBasic") || has("ReadTransactionsDetail")) && !has("ReadTransactionsCredits") && !has("ReadTransactionsDebits") {
		return nil, nil, nil, nil, errors.New("Data.Permissions: transactions permissions need ReadTransactionsCredits or ReadTransactionsDebits")
	}
	if e := req.Data.ExpirationDateTime; e != nil && !e.After(now) {
		return nil, nil, nil, nil, errors.New("Data.ExpirationDateTime must be in the future")
	}
	if a, b := req.Data.TransactionFromDateTime, req.Data.TransactionToDateTime; a != nil && b != nil && b.Before(*a) {
		return nil, nil, nil, nil, errors.New("Data.TransactionToDateTime is before TransactionFromDateTime")
	}
	perms = slices.Compact(slices.Sorted(slices.Values(req.Data.Permissions)))
	return perms, req.Data.ExpirationDateTime, req.Data.TransactionFromDateTime, req.Data.TransactionToDateTime, nil
}

func (f *Face) createConsent(w http.ResponseWriter, r *http.Request, t tok) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		f.fail(w, 400, errFieldInvalid, "the body is too large")
		return
	}
	now, err := f.now(r.Context())
	if err != nil {
		f.fail(w, 500, errUnexpected, "the bank's systems are unavailable")
		return
	}
	perms, exp, from, to, err := DecodeConsentRequest(body, now)
	if err != nil {
		f.fail(w, 400, errFieldInvalid, err.Error())
		return
	}
	if exp == nil {
		e := now.Add(f.c.ConsentTTL)
		exp = &e
	}
	utc := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		v := p.UTC().Truncate(time.Second)
		return &v
	}
	c := &consent{ID: "aac-" + kobo.NewID(now), Client: t.Client, Status: consentAwaiting, Permissions: perms, Created: now.Truncate(time.Second),
		Updated: now.Truncate(time.Second), Expires: utc(exp), TxFrom: utc(from), TxTo: utc(to)}
	if err := f.saveConsent(r.Context(), c); err != nil {
		f.fail(w, 500, errUnexpected, "the bank's systems are unavailable")
		return
	}
	writeJSON(w, http.StatusCreated, f.consentBody(c, now, f.self(r)))
}

func (f *Face) consentBody(c *consent, now time.Time, self string) map[string]any {
	data := map[string]any{"ConsentId": c.ID, "CreationDateTime": c.Created, "Status": f.prof.Consent[c.status(now)],
		"StatusUpdateDateTime": c.Updated, "Permissions": c.Permissions}
	if c.Expires != nil {
		data["ExpirationDateTime"] = c.Expires
	}
	if c.TxFrom != nil {
		data["TransactionFromDateTime"] = c.TxFrom
	}
	if c.TxTo != nil {
		data["TransactionToDateTime"] = c.TxTo
	}
	return map[string]any{"Data": data, "Risk": map[string]any{}, "Links": map[string]string{"Self": self}, "Meta": map[string]any{}}
}

func (f *Face) getConsent(w http.ResponseWriter, r *http.Request, t tok) {
	c, err := f.loadConsent(r.Context(), r.PathValue("ConsentId"))
	now, err2 := f.now(r.Context())
	if err != nil || err2 != nil {
		f.fail(w, 500, errUnexpected, "the bank's systems are unavailable")
		return
	}
	if c == nil || c.Client != t.Client {
		f.failAt(w, 400, errNotFound, "no such consent", "ConsentId")
		return
	}
	writeJSON(w, 200, f.consentBody(c, now, f.self(r)))
}

func (f *Face) deleteConsent(w http.ResponseWriter, r *http.Request, t tok) {
	c, err := f.loadConsent(r.Context(), r.PathValue("ConsentId"))
	now, err2 := f.now(r.Context())
	if err != nil || err2 != nil {
		f.fail(w, 500, errUnexpected, "the bank's systems are unavailable")
		return
	}
	if c == nil || c.Client != t.Client {
		f.failAt(w, 400, errNotFound, "no such consent", "ConsentId")
		return
	}
	c.Status, c.Updated = consentRevoked, now.Truncate(time.Second)
	if err := f.saveConsent(r.Context(), c); err != nil {
		f.fail(w, 500, errUnexpected, "the bank's systems are unavailable")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// self is the request's own absolute URL, for Links.Self.
func (f *Face) self(r *http.Request) string {
	u := f.c.Issuer + r.URL.Path
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	return u
}

// authRequest is what /authorize was asked, from the query or the
// request object.
type authRequest struct {
	Client, Redirect, State, Challenge, Method, Consent, ResponseType string
}

// ParseRequestObject reads a request object (a JWS in compact form) and
// returns its claims. With key set, the signature must be ES256 by key;
// without it, the object is read unverified (alg "none" or any).
func ParseRequestObject(raw string, key *ecdsa.PublicKey) (map[string]any, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, errors.New("request object: not a compact JWS")
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	pb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	if err1 != nil || err2 != nil {
		return nil, errors.New("request object: bad base64url")
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return nil, errors.New("request object: bad header")
	}
	if key != nil {
		if hdr.Alg != "ES256" {
			return nil, fmt.Errorf("request object: alg %q, want ES256", hdr.Alg)
		}
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil || len(sig) != 64 {
			return nil, errors.New("request object: bad signature")
		}
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if !ecdsa.Verify(key, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			return nil, errors.New("request object: signature does not verify")
		}
	}
	var claims map[string]any
	if err := json.Unmarshal(pb, &claims); err != nil {
		return nil, errors.New("request object: bad claims")
	}
	return claims, nil
}

func claimString(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// intentID digs claims.id_token.openbanking_intent_id.value out.
func intentID(m map[string]any) string {
	c, _ := m["claims"].(map[string]any)
	for _, k := range []string{"id_token", "userinfo"} {
		it, _ := c[k].(map[string]any)
		oi, _ := it["openbanking_intent_id"].(map[string]any)
		if v, _ := oi["value"].(string); v != "" {
			return v
		}
	}
	return ""
}

func (f *Face) readAuthRequest(q url.Values) (authRequest, error) {
	a := authRequest{Client: q.Get("client_id"), Redirect: q.Get("redirect_uri"), State: q.Get("state"), Challenge: q.Get("code_challenge"),
		Method: q.Get("code_challenge_method"), Consent: q.Get("openbanking_intent_id"), ResponseType: q.Get("response_type")}
	if raw := q.Get("request"); raw != "" {
		claims, err := ParseRequestObject(raw, f.c.RequestObjectKey)
		if err != nil {
			return a, err
		}
		// the signed values win over the query's (FAPI)
		for k, dst := range map[string]*string{"client_id": &a.Client, "redirect_uri": &a.Redirect, "state": &a.State,
			"code_challenge": &a.Challenge, "code_challenge_method": &a.Method, "response_type": &a.ResponseType} {
			if v := claimString(claims, k); v != "" {
				*dst = v
			}
		}
		if id := intentID(claims); id != "" {
			a.Consent = id
		}
	} else if f.c.RequestObjectKey != nil {
		return a, errors.New("this bank requires a signed request object")
	}
	if a.Client == "" || a.Redirect == "" || a.Consent == "" {
		return a, errors.New("client_id, redirect_uri and the consent (openbanking_intent_id) are required")
	}
	if len(f.c.Clients) > 0 {
		uris, ok := f.c.Clients[a.Client]
		if !ok {
			return a, errors.New("unknown client_id")
		}
		if len(uris) > 0 && !slices.Contains(uris, a.Redirect) {
			return a, errors.New("redirect_uri is not registered for this client")
		}
	}
	if u, err := url.Parse(a.Redirect); err != nil || (u.Scheme != "https" && !(u.Scheme == "http" && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost"))) {
		return a, errors.New("redirect_uri must be https (or http on loopback)")
	}
	return a, nil
}

var pageTmpl = template.Must(template.New("p").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Bank}} · Open Banking</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.8rem 0 .2rem}
input{width:100%;padding:.5rem;box-sizing:border-box}button{margin-top:1rem;padding:.6rem 1rem}.err{color:#b00020}</style></head>
<body><h1>{{.Bank}}</h1>
{{if .Error}}<p class="err" role="alert">{{.Error}}</p>{{end}}
{{if .Fatal}}{{else}}
<p>{{.Intro}}</p>
{{if .Permissions}}<ul>{{range .Permissions}}<li>{{.}}</li>{{end}}</ul>{{end}}
<form method="post" action="/authorize">
<input type="hidden" name="flow" value="{{.Flow}}">
{{if .Factor}}<label for="f">{{.FactorHint}}</label><input id="f" name="{{.Factor}}" autocomplete="one-time-code" autofocus>
{{else}}<label for="u">Username</label><input id="u" name="username" autocomplete="username" autofocus>
<label for="p">Password</label><input id="p" name="password" type="password" autocomplete="current-password">{{end}}
<button type="submit" name="action" value="allow">{{if .Factor}}Continue{{else}}Log in and allow{{end}}</button>
<button type="submit" name="action" value="deny">Cancel</button>
</form>{{end}}</body></html>`))

type page struct {
	Bank, Error, Intro, Flow, Factor, FactorHint string
	Permissions                                  []string
	Fatal                                        bool
}

func (f *Face) render(w http.ResponseWriter, status int, p page) {
	p.Bank = f.inst.Name
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// form-action names the TPP's redirect URI too: the form posts here,
	// and the answer is a 302 to the TPP, which Chromium checks against
	// form-action as well (with 'self' alone the customer could log in
	// but never get back to the TPP).
	csp := "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
	if fl, ok := f.verify(p.Flow, "flow"); ok {
		if u, err := url.Parse(fl.Redirect); err == nil && u.Host != "" && !strings.ContainsAny(u.Host, "; ,'\"") {
			csp += " " + u.Scheme + "://" + u.Host
		}
	}
	w.Header().Set("Content-Security-Policy", csp)
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, p)
}

func (f *Face) authorizePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := f.readAuthRequest(r.URL.Query())
	if err != nil {
		f.render(w, 400, page{Error: err.Error(), Fatal: true})
		return
	}
	back := func(code, desc string) {
		redirectBack(w, r, a.Redirect, url.Values{"error": {code}, "error_description": {desc}, "state": {a.State}})
	}
	if a.ResponseType != "code" && a.ResponseType != "code id_token" {
		back("unsupported_response_type", "response_type must be code")
		return
	}
	if a.Method != "S256" || len(a.Challenge) < 43 {
		back("invalid_request", "PKCE with code_challenge_method S256 is required")
		return
	}
	now, err := f.now(ctx)
	if err != nil {
		back("server_error", "the bank's systems are unavailable")
		return
	}
	c, err := f.loadConsent(ctx, a.Consent)
	if err != nil {
		back("server_error", "the bank's systems are unavailable")
		return
	}
	if c == nil || c.Client != a.Client || c.status(now) != consentAwaiting {
		back("invalid_request", "the consent does not exist or is not awaiting authorisation")
		return
	}
	flow := f.sign(tok{Kind: "flow", Client: a.Client, Consent: c.ID, Redirect: a.Redirect, PKCE: a.Challenge, State: a.State, Exp: now.Add(15 * time.Minute).Unix()})
	f.render(w, 200, page{Intro: "Log in to share this information with the app:", Flow: flow, Permissions: c.Permissions})
}

func redirectBack(w http.ResponseWriter, r *http.Request, redirect string, q url.Values) {
	u, _ := url.Parse(redirect)
	if q.Get("state") == "" {
		q.Del("state")
	}
	qq := u.Query()
	for k, v := range q {
		qq[k] = v
	}
	u.RawQuery = qq.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (f *Face) authorizeSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		f.render(w, 400, page{Error: "the form could not be read", Fatal: true})
		return
	}
	now, err := f.now(ctx)
	if err != nil {
		f.render(w, 503, page{Error: "the bank's systems are unavailable", Fatal: true})
		return
	}
	fl, ok := f.verify(r.PostForm.Get("flow"), "flow")
	if !ok || now.Unix() > fl.Exp {
		f.render(w, 400, page{Error: "this login has expired; go back to the app and start again", Fatal: true})
		return
	}
	c, err := f.loadConsent(ctx, fl.Consent)
	if err != nil || c == nil {
		f.render(w, 503, page{Error: "the bank's systems are unavailable", Fatal: true})
		return
	}
	if c.status(now) != consentAwaiting {
		redirectBack(w, r, fl.Redirect, url.Values{"error": {"invalid_request"}, "error_description": {"the consent is no longer awaiting authorisation"}, "state": {fl.State}})
		return
	}
	if r.PostForm.Get("action") == "deny" {
		c.Status, c.Updated = consentRejected, now.Truncate(time.Second)
		if err := f.saveConsent(ctx, c); err != nil {
			f.render(w, 503, page{Error: "the bank's systems are unavailable", Fatal: true})
			return
		}
		redirectBack(w, r, fl.Redirect, url.Values{"error": {"access_denied"}, "error_description": {"the customer declined"}, "state": {fl.State}})
		return
	}
	var u banksim.StdUser
	if fl.User == "" {
		u, err = f.sim.StdLogin(ctx, "", f.inst.ID, r.PostForm.Get("username"), r.PostForm.Get("password"))
		switch {
		case errors.Is(err, banksim.ErrStdBadCredentials):
			f.render(w, 200, page{Error: "The username or password is wrong.", Intro: "Log in to share this information with the app:", Flow: r.PostForm.Get("flow"), Permissions: c.Permissions})
			return
		case errors.Is(err, banksim.ErrStdLocked):
			f.render(w, 200, page{Error: "Your online banking is locked. Please contact the bank.", Fatal: true})
			return
		case err != nil:
			f.render(w, 503, page{Error: "the bank's systems are unavailable", Fatal: true})
			return
		}
		fl.User = u.Username
	} else {
		// a second factor: the user passed the password already
		u, err = f.factorsOf(r, fl.User)
		if err != nil {
			f.render(w, 503, page{Error: "the bank's systems are unavailable", Fatal: true})
			return
		}
		if fl.Step < len(u.Factors) {
			kind := u.Factors[fl.Step]
			form := banksim.StdFactorForm(kind)
			if !banksim.StdCheckFactor(kind, r.PostForm.Get(form.Form[0].Name)) {
				f.render(w, 200, page{Error: "That code is not right.", Intro: form.Title, Flow: r.PostForm.Get("flow"), Factor: form.Form[0].Name, FactorHint: form.Form[0].Hint})
				return
			}
			fl.Step++
		}
	}
	if fl.Step < len(u.Factors) {
		form := banksim.StdFactorForm(u.Factors[fl.Step])
		fl.Nonce = ""
		f.render(w, 200, page{Intro: form.Title, Flow: f.sign(fl), Factor: form.Form[0].Name, FactorHint: form.Form[0].Hint})
		return
	}
	c.Status, c.User, c.Updated = consentAuthorised, fl.User, now.Truncate(time.Second)
	if err := f.saveConsent(ctx, c); err != nil {
		f.render(w, 503, page{Error: "the bank's systems are unavailable", Fatal: true})
		return
	}
	code := f.sign(tok{Kind: "code", Client: fl.Client, Consent: c.ID, User: fl.User, Redirect: fl.Redirect, PKCE: fl.PKCE, Exp: now.Add(2 * time.Minute).Unix()})
	redirectBack(w, r, fl.Redirect, url.Values{"code": {code}, "state": {fl.State}})
}

// factorsOf is the second factors of a user who already gave the password
// (the login is not repeated; the user is read again for its factors).
func (f *Face) factorsOf(r *http.Request, user string) (banksim.StdUser, error) {
	return f.sim.StdFactors(r.Context(), "", f.inst.ID, user)
}
