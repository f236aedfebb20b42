package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// The widget API is what the hosted Connect widget (/connect/) calls. It
// runs the same connect state machine as the headless API, authenticated
// by the app's public key plus the connect session id the widget holds in
// memory.
//
// CSRF: nothing here rides on cookies. Every call needs the public key and
// (after the first) the session id in custom headers, which a cross-site
// form or <img> cannot send and a cross-site fetch cannot send without a
// CORS preflight, which kobo never grants. Requests that carry an Origin
// from another site are refused as well, so a page that embeds the widget
// cannot script its API directly even with the public key.

// widgetKey authenticates the widget's public key (x-public-key) and
// checks the request comes from the widget's own origin.
func (s *Server) widgetKey(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if o := r.Header.Get("Origin"); o != "" {
			u, err := url.Parse(o)
			if err != nil || u.Host != r.Host {
				return kobo.Errorf(kobo.EFORBIDDEN, "cross-origin requests to the widget API are not allowed")
			}
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
			return kobo.Errorf(kobo.EFORBIDDEN, "cross-site requests to the widget API are not allowed")
		}
		if tok := r.Header.Get("x-link-token"); tok != "" {
			c, link, err := s.app.OpenLink(r.Context(), tok)
			if err != nil {
				return err
			}
			noteCaller(r.Context(), c)
			if err := s.app.AllowKey(c); err != nil {
				return err
			}
			ctx := context.WithValue(context.WithValue(r.Context(), keyCaller, c), keyLink, link)
			return h(w, r.WithContext(ctx))
		}
		key := strings.TrimSpace(r.Header.Get("x-public-key"))
		if key == "" {
			return kobo.Errorf(kobo.EUNAUTHORIZED, "This widget was opened without a public key: pass key (your app's test_pk_… or live_pk_…) to Connect")
		}
		c, err := s.app.AuthenticateKey(r.Context(), key, kobo.PublicKey)
		if err != nil {
			return err
		}
		noteCaller(r.Context(), c)
		if err := s.app.AllowKey(c); err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), keyCaller, c)))
	}
}

// widgetConfig is GET /connect/api/config: what the widget shows before
// the customer picks a bank.
func (s *Server) widgetConfig(w http.ResponseWriter, r *http.Request) error {
	c := callerFrom(r.Context())
	cat, err := s.app.Catalog(r.Context())
	if err != nil {
		return err
	}
	// a live app's widget lists only what a real provider reaches
	reachable := s.app.ReachableInstitutions(cat.All, c.Mode.IsLive())
	health, err := s.app.Health(r.Context(), c.Mode.IsLive(), c.App.ID)
	if err != nil {
		return err
	}
	insts := make([]map[string]any, 0, len(reachable))
	for _, in := range reachable {
		methods := make([]map[string]any, 0, len(in.AuthMethods))
		for _, m := range in.AuthMethods {
			mm := map[string]any{"type": m.Type, "name": m.Name, "ui": m.UI}
			if m.Consent != "" {
				mm["consent"] = m.Consent
			}
			methods = append(methods, mm)
		}
		item := map[string]any{"id": in.ID, "name": in.Name, "type": in.Type, "icon": in.Icon,
			"primary_color": in.PrimaryColor, "bank_code": in.BankCode, "auth_methods": methods,
			"aliases": nonNilStrings(in.Aliases), "popular": in.Popularity}
		// the widget shows the note on the list and before the login form
		h := health.Of(in)
		item["status"] = h.Status
		if h.Note != "" {
			item["status_note"] = h.Note
		}
		insts = append(insts, item)
	}
	out := map[string]any{
		"app": map[string]any{"name": c.App.Name, "live": c.Mode.IsLive(), "display_name": c.App.DisplayName, "icon": c.App.Icon,
			"privacy_url": c.App.PrivacyURL, "terms_url": c.App.TermsURL, "brand_color": c.App.BrandColor},
		"institutions": insts,
	}
	if l := linkFrom(r.Context()); l != nil {
		out["link"] = map[string]any{"scope": l.Scope, "reference": l.Reference, "institution": l.InstitutionID, "auth_method": l.AuthMethod,
			"account": l.AccountID, "redirect": l.RedirectURL != ""}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// linkFrom is the Connect Link a widget request runs under, if any.
func linkFrom(ctx context.Context) *app.LinkInput {
	l, _ := ctx.Value(keyLink).(*app.LinkInput)
	return l
}

type widgetSessionRequest struct {
	Institution string `json:"institution"`
	AuthMethod  string `json:"auth_method"`
	Reference   string `json:"reference"`
	Scope       string `json:"scope"`
	ReauthToken string `json:"reauth_token"`
	Account     string `json:"account"`
	Customer    *struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"customer"`
}

var accountIDPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

// widgetStep renders a connect step for the widget.
func widgetStep(step *app.ConnectStep) map[string]any {
	out := map[string]any{"responseCode": step.ResponseCode, "message": step.Message, "session_id": step.Session.ID}
	switch step.ResponseCode {
	case app.CodeLinked:
		out["code"] = step.Code
		if a := step.Linked; a != nil {
			// the success screen's "GTBank ••••1234": never the whole number
			out["account"] = map[string]any{"name": a.Name, "type": a.Type, "number": "••••" + kobo.Last4(a.AccountNumber)}
		}
	case app.CodeMoreInput:
		out["form"] = step.Form
	case app.CodeRedirect, app.CodePending, app.CodeEmbedded:
		v := step.Consent
		out["consent"] = map[string]any{"kind": v.Kind, "url": v.URL, "approved": v.Approved, "script": v.Script, "config": v.Config,
			"poll_after_ms": v.PollAfter.Milliseconds()}
	case app.CodeSelectAccount:
		list := make([]map[string]any, 0, len(step.Accounts))
		for _, a := range step.Accounts {
			list = append(list, map[string]any{"index": a.Index, "accountNumber": a.AccountNumber, "name": a.Name, "type": a.Type})
		}
		out["accounts"] = list
	}
	return out
}

// widgetError answers a failed step the widget can show beside the form
// (flavourWidget: 400 with responseCode 400, as the headless API does),
// through the one error path so the request log keeps the body.
func (s *Server) widgetError(w http.ResponseWriter, r *http.Request, err error) error {
	s.fail(w, r, flavourWidget, err)
	return nil
}

// widgetSession is POST /connect/api/session: it opens a connect session
// for the chosen bank, or a re-authorisation session for an account. A
// re-authorisation needs the partner's say-so (app.StartReauth): a
// reauth_token from POST /accounts/{id}/reauthorise, or a Connect Link of
// scope reauth. Mono's connect.js 2.1+ puts whatever reauthorise() was
// given in data.account, so a token arriving there is taken as the token.
func (s *Server) widgetSession(w http.ResponseWriter, r *http.Request) error {
	var req widgetSessionRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	c := callerFrom(r.Context())
	in := app.SessionInput{InstitutionID: req.Institution, AuthMethod: req.AuthMethod, Reference: req.Reference, Scope: req.Scope}
	if req.Customer != nil {
		in.CustomerID, in.CustomerName, in.CustomerEmail = req.Customer.ID, req.Customer.Name, req.Customer.Email
	}
	if l := linkFrom(r.Context()); l != nil {
		// the link decides who, why and (for re-auth) which account
		in.CustomerID, in.CustomerName, in.CustomerEmail, in.Reference, in.ViaLink = l.CustomerID, "", "", l.Reference, true
		req.ReauthToken, req.Account, req.Scope = "", l.AccountID, l.Scope
	}
	if req.Scope == "reauth" || req.ReauthToken != "" || req.Account != "" {
		account := strings.TrimSpace(req.Account)
		if req.ReauthToken == "" && account != "" && !accountIDPattern.MatchString(account) {
			req.ReauthToken, account = account, ""
		}
		if account == "" && req.ReauthToken == "" {
			return s.widgetError(w, r, &kobo.Error{Code: kobo.EINVALID, Message: "Re-authorisation needs a reauth token", Fields: map[string]string{"reauth_token": "is required"}})
		}
		in.Scope, in.InstitutionID, in.ReauthToken = "", "", req.ReauthToken
		step, err := s.app.StartReauth(r.Context(), c, account, in)
		if err != nil {
			return s.widgetError(w, r, err)
		}
		out := widgetStep(step)
		out["reauth"] = true
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	cs, inst, err := s.app.CreateSession(r.Context(), c, in)
	if err != nil {
		return s.widgetError(w, r, err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"session_id": cs.ID, "form": cs.Form, "expires_at": monoTime(cs.ExpiresAt),
		"institution": map[string]any{"id": inst.ID, "name": inst.Name, "auth_method": cs.AuthMethod}})
	return nil
}

// widgetReauthTarget is GET /connect/api/reauth: the account a
// re-authorisation is for (its bank, name and masked number), for the
// widget's entry screen, before anything is asked of the bank. The token
// travels in x-reauth-token; a Connect Link names its account itself.
func (s *Server) widgetReauthTarget(w http.ResponseWriter, r *http.Request) error {
	in, account := app.SessionInput{ReauthToken: strings.TrimSpace(r.Header.Get("x-reauth-token"))}, ""
	if l := linkFrom(r.Context()); l != nil {
		if l.Scope != "reauth" {
			return kobo.Errorf(kobo.EINVALID, "this link is not a re-authorisation link")
		}
		in.ViaLink, in.ReauthToken, account = true, "", l.AccountID
	}
	acct, inst, err := s.app.ReauthTarget(r.Context(), callerFrom(r.Context()), account, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"institution":     map[string]any{"id": inst.ID, "name": inst.Name, "icon": inst.Icon},
		"account":         map[string]any{"name": acct.Name, "number": "••••" + kobo.Last4(string(acct.AccountNumber))},
		"reauth_required": acct.ReauthRequired,
	})
	return nil
}

// widgetSandbox is GET /connect/api/sandbox: the test users the widget
// lists under a sandbox login form.
func (s *Server) widgetSandbox(w http.ResponseWriter, r *http.Request) error {
	users, err := s.app.SandboxCredentials(r.Context(), callerFrom(r.Context()), r.Header.Get("x-session-id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
	return nil
}

// widgetAdvance is POST /connect/api/login and /connect/api/commit.
func (s *Server) widgetAdvance(commit bool) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		fields, err := formFields(r)
		if err != nil {
			return s.widgetError(w, r, err)
		}
		c, id := callerFrom(r.Context()), r.Header.Get("x-session-id")
		var step *app.ConnectStep
		switch {
		case r.URL.Query().Get("reauth") == "1":
			step, err = s.app.ReauthLogin(r.Context(), c, id, fields)
		case commit:
			step, err = s.app.ConnectCommit(r.Context(), c, id, fields)
		default:
			step, err = s.app.ConnectLogin(r.Context(), c, id, fields)
		}
		if err != nil {
			return s.widgetError(w, r, err)
		}
		writeJSON(w, http.StatusOK, widgetStep(step))
		return nil
	}
}

// widgetLinkDone is POST /connect/api/link/complete and /link/cancel: at
// the end of a Connect Link flow kobo exchanges the code itself (the
// partner gets the account from the account_connected webhook) and tells
// the page where to send the browser.
func (s *Server) widgetLinkDone(complete bool) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		l := linkFrom(r.Context())
		if l == nil {
			return kobo.Errorf(kobo.EFORBIDDEN, "only Connect Link sessions can complete a link")
		}
		if !complete {
			writeJSON(w, http.StatusOK, map[string]any{"redirect": orNil(app.LinkRedirect(l, "cancelled", "", ""))})
			return nil
		}
		var req struct {
			Code string `json:"code"`
		}
		if err := decodeJSON(r, &req, false); err != nil {
			return err
		}
		acct, err := s.app.Exchange(r.Context(), callerFrom(r.Context()), req.Code)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"redirect": orNil(app.LinkRedirect(l, "linked", acct.ID, req.Code))})
		return nil
	}
}

type initiateRequest struct {
	Customer *struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"customer"`
	Meta *struct {
		Ref string `json:"ref"`
	} `json:"meta"`
	Scope       string `json:"scope"`
	RedirectURL string `json:"redirect_url"`
	Account     string `json:"account"`
	Institution *struct {
		ID         string `json:"id"`
		AuthMethod string `json:"auth_method"`
	} `json:"institution"`
}

// initiate is POST /v2/accounts/initiate (Connect Link, reference §4.8).
func (s *Server) initiate(w http.ResponseWriter, r *http.Request) error {
	var req initiateRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	lr := app.LinkRequest{Scope: req.Scope, RedirectURL: req.RedirectURL, AccountID: req.Account}
	if req.Customer != nil {
		lr.CustomerID, lr.CustomerName, lr.CustomerEmail = req.Customer.ID, req.Customer.Name, req.Customer.Email
	}
	if req.Meta != nil {
		lr.Reference = req.Meta.Ref
	}
	if req.Institution != nil {
		lr.InstitutionID, lr.AuthMethod = req.Institution.ID, req.Institution.AuthMethod
	}
	link, err := s.app.CreateLink(r.Context(), callerFrom(r.Context()), lr)
	if err != nil {
		return err
	}
	in := link.Input
	data := map[string]any{
		"mono_url": s.baseURL(r) + "/connect/?link=" + link.Token, "customer": orNil(in.CustomerID),
		"meta": map[string]any{"ref": orNil(in.Reference)}, "scope": in.Scope, "redirect_url": orNil(in.RedirectURL),
		"created_at": monoTime(link.CreatedAt),
	}
	if link.Account != nil {
		data["account"] = link.Account.ID
		// https://docs.mono.co/docs/financial-data/reauth-link: ids as strings
		data["institution"] = link.Account.InstitutionID
		data["auth_method"] = link.Account.AuthMethod
	}
	s.writeV2(w, http.StatusOK, "Request was successfully completed", data, nil)
	return nil
}

// nonNilStrings makes a missing list an empty JSON array, so the widget
// need not test for null.
func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
