package berlingroup

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
)

// maxOTPTries is how many wrong OTPs end an authorisation.
const maxOTPTries = 3

// UpdateRequest is a body of PUT /v1/consents/{id}/authorisations/{auth}
// (and, with psuData, of the POST that starts one): the PSU's password,
// the chosen SCA method, or the OTP.
type UpdateRequest struct {
	PSUData *struct {
		Password string `json:"password"`
	} `json:"psuData,omitempty"`
	AuthenticationMethodID string `json:"authenticationMethodId,omitempty"`
	ScaAuthenticationData  string `json:"scaAuthenticationData,omitempty"`
}

// ParseUpdateRequest decodes an authorisation update; an empty body is an
// empty update.
func ParseUpdateRequest(b []byte) (UpdateRequest, error) {
	var u UpdateRequest
	if len(strings.TrimSpace(string(b))) == 0 {
		return u, nil
	}
	err := json.Unmarshal(b, &u)
	return u, err
}

func (f *Face) handleStartAuthorisation(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c := f.consentOr404(w, r)
	if c == nil {
		return
	}
	if c.Status != "received" {
		tppError(w, http.StatusConflict, "STATUS_INVALID", "the consent is "+c.Status+"; it needs no authorisation")
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		tppError(w, http.StatusBadRequest, "FORMAT_ERROR", err.Error())
		return
	}
	up, err := ParseUpdateRequest(body)
	if err != nil {
		tppError(w, http.StatusBadRequest, "FORMAT_ERROR", "the body is not an authorisation request")
		return
	}
	a := &authorisation{ID: newID("bga"), Consent: c.ID, Status: "received", PSU: r.Header.Get("PSU-ID")}
	self := "/v1/consents/" + c.ID + "/authorisations/" + a.ID
	links := map[string]any{"scaStatus": href(self)}
	resp := map[string]any{"authorisationId": a.ID, "_links": links}
	switch {
	case c.Approach == Redirect || c.Approach == OAuth:
		links["scaRedirect"] = href(baseURL(r) + "/sca/" + a.ID)
	case a.PSU != "" && up.PSUData != nil:
		u, ok := f.authenticate(w, r, a.PSU, up.PSUData.Password)
		if !ok {
			return
		}
		_ = u
		a.Status = "psuAuthenticated"
		resp["scaMethods"] = scaMethods
		links["selectAuthenticationMethod"] = href(self)
	case a.PSU != "":
		a.Status = "psuIdentified"
		links["updatePsuAuthentication"] = href(self)
	default:
		links["updatePsuIdentification"] = href(self)
	}
	resp["scaStatus"] = a.Status
	c.Auths = append(c.Auths, a.ID)
	if err := f.put(ctx, kindAuth, a.ID, a); err != nil {
		unavailable(w, f.log, err)
		return
	}
	if err := f.put(ctx, kindConsent, c.ID, c); err != nil {
		unavailable(w, f.log, err)
		return
	}
	w.Header().Set("Location", baseURL(r)+self)
	writeJSON(w, http.StatusCreated, resp)
}

// authenticate checks a PSU's password, answering 401 when it is wrong.
func (f *Face) authenticate(w http.ResponseWriter, r *http.Request, psu, password string) (*banksim.Scenario, bool) {
	u, err := f.user(r.Context(), psu)
	if err != nil {
		unavailable(w, f.log, err)
		return nil, false
	}
	if f.misbehave(w, r, u) {
		return nil, false
	}
	if u == nil || !u.CheckSecret(password) {
		tppError(w, http.StatusUnauthorized, "PSU_CREDENTIALS_INVALID", "the PSU-ID or password is wrong")
		return nil, false
	}
	if u.Locked {
		tppError(w, http.StatusUnauthorized, "PSU_CREDENTIALS_INVALID", "the bank has blocked this PSU; contact the bank")
		return nil, false
	}
	return u, true
}

func (f *Face) authOr404(w http.ResponseWriter, r *http.Request) (*consent, *authorisation) {
	c := f.consentOr404(w, r)
	if c == nil {
		return nil, nil
	}
	a, err := f.loadAuth(r.Context(), c, r.PathValue("auth"))
	if err != nil {
		unavailable(w, f.log, err)
		return nil, nil
	}
	if a == nil {
		tppError(w, http.StatusForbidden, "RESOURCE_UNKNOWN", "the consent has no authorisation with this id")
		return nil, nil
	}
	return c, a
}

func (f *Face) handleScaStatus(w http.ResponseWriter, r *http.Request) {
	_, a := f.authOr404(w, r)
	if a == nil {
		return
	}
	writeJSON(w, 200, map[string]any{"scaStatus": a.Status})
}

func (f *Face) handleUpdateAuthorisation(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, a := f.authOr404(w, r)
	if a == nil {
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		tppError(w, http.StatusBadRequest, "FORMAT_ERROR", err.Error())
		return
	}
	up, err := ParseUpdateRequest(body)
	if err != nil {
		tppError(w, http.StatusBadRequest, "FORMAT_ERROR", "the body is not an authorisation update")
		return
	}
	self := "/v1/consents/" + c.ID + "/authorisations/" + a.ID
	if a.PSU == "" {
		a.PSU = r.Header.Get("PSU-ID")
	}
	switch {
	case up.PSUData != nil && (a.Status == "received" || a.Status == "psuIdentified"):
		if a.PSU == "" {
			tppError(w, http.StatusBadRequest, "FORMAT_ERROR", "PSU-ID is required to authenticate")
			return
		}
		if _, ok := f.authenticate(w, r, a.PSU, up.PSUData.Password); !ok {
			return
		}
		a.Status = "psuAuthenticated"
		if err := f.put(ctx, kindAuth, a.ID, a); err != nil {
			unavailable(w, f.log, err)
			return
		}
		writeJSON(w, 200, map[string]any{"scaStatus": a.Status, "authorisationId": a.ID, "scaMethods": scaMethods,
			"_links": map[string]any{"selectAuthenticationMethod": href(self), "scaStatus": href(self)}})
	case up.AuthenticationMethodID != "" && a.Status == "psuAuthenticated":
		var chosen map[string]string
		for _, m := range scaMethods {
			if m["authenticationMethodId"] == up.AuthenticationMethodID {
				chosen = m
			}
		}
		if chosen == nil {
			tppError(w, http.StatusBadRequest, "FORMAT_ERROR", "authenticationMethodId is not one of the scaMethods offered")
			return
		}
		a.Status, a.Method = "scaMethodSelected", up.AuthenticationMethodID
		if err := f.put(ctx, kindAuth, a.ID, a); err != nil {
			unavailable(w, f.log, err)
			return
		}
		writeJSON(w, 200, map[string]any{"scaStatus": a.Status, "chosenScaMethod": chosen,
			"challengeData": map[string]any{"otpMaxLength": len(banksim.TestOTP), "otpFormat": "integer",
				"additionalInformation": "Enter the code the bank sent (" + chosen["name"] + ")."},
			"_links": map[string]any{"authoriseTransaction": href(self), "scaStatus": href(self)}})
	case up.ScaAuthenticationData != "" && a.Status == "scaMethodSelected":
		if up.ScaAuthenticationData != banksim.TestOTP {
			a.Tries++
			if a.Tries >= maxOTPTries {
				if err := f.fail(ctx, c, a); err != nil {
					unavailable(w, f.log, err)
					return
				}
			} else if err := f.put(ctx, kindAuth, a.ID, a); err != nil {
				unavailable(w, f.log, err)
				return
			}
			tppError(w, http.StatusUnauthorized, "PSU_CREDENTIALS_INVALID", "the code is wrong")
			return
		}
		if err := f.finalise(ctx, c, a); err != nil {
			unavailable(w, f.log, err)
			return
		}
		writeJSON(w, 200, map[string]any{"scaStatus": a.Status, "_links": map[string]any{"scaStatus": href(self)}})
	default:
		tppError(w, http.StatusConflict, "STATUS_INVALID", "the authorisation is "+a.Status+"; this update does not apply")
	}
}

// The redirect login page: PSU-ID and password, then the OTP, on one
// form whose step the hidden field carries.
var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Bank}}: confirm access</title></head>
<body><h1>{{.Bank}}</h1><p>{{.Message}}</p>
<form method="post" action="{{.Action}}">
{{if .OTP}}<input type="hidden" name="psu_id" value="{{.PSU}}"><input type="hidden" name="password" value="{{.Password}}">
<label>Code sent by SMS <input name="otp" id="otp" inputmode="numeric" autocomplete="one-time-code"></label>
{{else}}<label>User ID <input name="psu_id" id="psu_id"></label>
<label>Password <input name="password" id="password" type="password"></label>{{end}}
{{range $k, $v := .Carry}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<button type="submit" id="submit">Continue</button> <button type="submit" name="deny" value="1" id="deny">Deny</button>
</form></body></html>`))

type loginView struct {
	Bank, Message, Action, PSU, Password string
	OTP                                  bool
	Carry                                map[string]string
}

func (f *Face) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	loginPage.Execute(w, loginView{Bank: f.inst.Name, Message: "A provider asks to read your account information.", Action: r.URL.Path, Carry: carry(r)})
}

// carry is the OAuth request a login page passes on to its POST.
func carry(r *http.Request) map[string]string {
	out := map[string]string{}
	for _, k := range []string{"client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "response_type"} {
		if v := r.FormValue(k); v != "" {
			out[k] = v
		}
	}
	return out
}

// handleLoginSubmit runs the redirect login: credentials, then the OTP,
// then back to the TPP (for OAuth, with an authorization code).
func (f *Face) handleLoginSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.ParseForm()
	authID := r.PathValue("auth")
	var a authorisation
	var c *consent
	oauth := authID == "oauth"
	if oauth {
		id, ok := strings.CutPrefix(r.FormValue("scope"), "AIS:")
		var err error
		if c, err = f.loadConsent(ctx, id); err != nil {
			unavailable(w, f.log, err)
			return
		}
		if !ok || c == nil {
			http.Error(w, "unknown consent", http.StatusBadRequest)
			return
		}
		a = authorisation{ID: newID("bga"), Consent: c.ID, Status: "received"}
	} else {
		ok, err := f.get(ctx, kindAuth, authID, &a)
		if err == nil && ok {
			c, err = f.loadConsent(ctx, a.Consent)
		}
		if err != nil {
			unavailable(w, f.log, err)
			return
		}
		if !ok || c == nil {
			http.Error(w, "unknown authorisation", http.StatusNotFound)
			return
		}
	}
	back := func(ok bool, q url.Values) {
		to := c.RedirectURI
		if !ok && c.NokURI != "" {
			to = c.NokURI
		}
		if oauth {
			to = r.FormValue("redirect_uri")
		}
		if q != nil {
			sep := "?"
			if strings.Contains(to, "?") {
				sep = "&"
			}
			to += sep + q.Encode()
		}
		http.Redirect(w, r, to, http.StatusFound)
	}
	if a.Status != "received" && a.Status != "psuAuthenticated" {
		http.Error(w, "this authorisation is "+a.Status, http.StatusConflict)
		return
	}
	if r.FormValue("deny") != "" {
		if !oauth {
			if err := f.fail(ctx, c, &a); err != nil {
				unavailable(w, f.log, err)
				return
			}
		}
		var q url.Values
		if oauth {
			q = url.Values{"error": {"access_denied"}, "state": {r.FormValue("state")}}
		}
		back(false, q)
		return
	}
	psu, pw := r.FormValue("psu_id"), r.FormValue("password")
	u, err := f.user(ctx, psu)
	if err != nil {
		unavailable(w, f.log, err)
		return
	}
	view := loginView{Bank: f.inst.Name, Action: r.URL.Path, Carry: carry(r)}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if u == nil || !u.CheckSecret(pw) || u.Locked {
		view.Message = "The user ID or password is wrong."
		w.WriteHeader(http.StatusUnauthorized)
		loginPage.Execute(w, view)
		return
	}
	otp := r.FormValue("otp")
	if otp == "" {
		view.Message, view.OTP, view.PSU, view.Password = "Enter the code we sent to your phone.", true, psu, pw
		loginPage.Execute(w, view)
		return
	}
	if otp != banksim.TestOTP {
		view.Message, view.OTP, view.PSU, view.Password = "The code is wrong; try again.", true, psu, pw
		w.WriteHeader(http.StatusUnauthorized)
		loginPage.Execute(w, view)
		return
	}
	a.PSU = psu
	now, err := f.now(ctx)
	if err != nil {
		unavailable(w, f.log, err)
		return
	}
	if !oauth {
		if err := f.finalise(ctx, c, &a); err != nil {
			unavailable(w, f.log, err)
			return
		}
		back(true, nil)
		return
	}
	code := newID("bgcode")
	g := grant{Consent: c.ID, PSU: psu, Challenge: r.FormValue("code_challenge"), RedirectURI: r.FormValue("redirect_uri"),
		ClientID: r.FormValue("client_id"), Exp: now.Add(5 * time.Minute)}
	if err := f.put(ctx, kindCode, code, g); err != nil {
		unavailable(w, f.log, err)
		return
	}
	back(true, url.Values{"code": {code}, "state": {r.FormValue("state")}})
}

// grant is what an OAuth code or token stands for.
type grant struct {
	Consent     string    `json:"consent"`
	PSU         string    `json:"psu"`
	Challenge   string    `json:"challenge,omitempty"`
	RedirectURI string    `json:"redirect_uri,omitempty"`
	ClientID    string    `json:"client_id,omitempty"`
	Exp         time.Time `json:"exp"`
	Refresh     bool      `json:"refresh,omitempty"`
	Used        bool      `json:"used,omitempty"`
}

// tokenTTL is how long an OAuth access token lasts (wall time: tokens
// are the TPP's session, not the consent).
const tokenTTL = 15 * time.Minute

func (f *Face) handleOAuthMetadata(w http.ResponseWriter, r *http.Request) {
	base := baseURL(r)
	writeJSON(w, 200, map[string]any{"issuer": base, "authorization_endpoint": base + "/oauth/authorize", "token_endpoint": base + "/oauth/token",
		"response_types_supported": []string{"code"}, "grant_types_supported": []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported": []string{"S256"}})
}

func (f *Face) handleOAuthAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("response_type") != "code":
		http.Error(w, "response_type must be code", http.StatusBadRequest)
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		http.Error(w, "PKCE is required: code_challenge with code_challenge_method S256", http.StatusBadRequest)
	case !strings.HasPrefix(q.Get("scope"), "AIS:") || q.Get("redirect_uri") == "":
		http.Error(w, "scope must be AIS:<consentId> and redirect_uri is required", http.StatusBadRequest)
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		loginPage.Execute(w, loginView{Bank: f.inst.Name, Message: "A provider asks to read your account information.", Action: "/sca/oauth", Carry: carry(r)})
	}
}

func oauthError(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}

// handleOAuthToken exchanges a code (with its PKCE verifier) or a refresh
// token for an access token bound to the consent.
func (f *Face) handleOAuthToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.ParseForm()
	var g grant
	var key, kind string
	switch r.FormValue("grant_type") {
	case "authorization_code":
		key, kind = r.FormValue("code"), kindCode
	case "refresh_token":
		key, kind = r.FormValue("refresh_token"), kindToken
	default:
		oauthError(w, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
		return
	}
	now, err := f.now(ctx)
	if err != nil {
		unavailable(w, f.log, err)
		return
	}
	ok, err := f.get(ctx, kind, key, &g)
	if err != nil {
		unavailable(w, f.log, err)
		return
	}
	if !ok || g.Used || now.After(g.Exp) || (kind == kindToken && !g.Refresh) {
		oauthError(w, "invalid_grant", "the code or refresh token is unknown, used or expired")
		return
	}
	if kind == kindCode {
		sum := sha256.Sum256([]byte(r.FormValue("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != g.Challenge || r.FormValue("redirect_uri") != g.RedirectURI {
			oauthError(w, "invalid_grant", "code_verifier or redirect_uri does not match the authorization request")
			return
		}
		g.Used = true
		if err := f.put(ctx, kindCode, key, g); err != nil {
			unavailable(w, f.log, err)
			return
		}
		c, err := f.loadConsent(ctx, g.Consent)
		if err != nil {
			unavailable(w, f.log, err)
			return
		}
		if c == nil {
			oauthError(w, "invalid_grant", "the consent is gone")
			return
		}
		if c.Status == "received" {
			a := authorisation{ID: newID("bga"), Consent: c.ID, PSU: g.PSU}
			c.Auths = append(c.Auths, a.ID)
			if err := f.finalise(ctx, c, &a); err != nil {
				unavailable(w, f.log, err)
				return
			}
		}
	}
	access, refresh := newID("bgat"), newID("bgrt")
	at := grant{Consent: g.Consent, PSU: g.PSU, Exp: now.Add(tokenTTL)}
	rt := grant{Consent: g.Consent, PSU: g.PSU, Exp: now.Add(maxValidity), Refresh: true}
	if err := f.put(ctx, kindToken, access, at); err != nil {
		unavailable(w, f.log, err)
		return
	}
	if err := f.put(ctx, kindToken, refresh, rt); err != nil {
		unavailable(w, f.log, err)
		return
	}
	writeJSON(w, 200, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": int(tokenTTL.Seconds()),
		"refresh_token": refresh, "scope": "AIS:" + g.Consent})
}
