package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Connect Link (POST /v2/accounts/initiate) gives a partner a URL to send
// a customer to, for when it cannot embed the widget (email, SMS, a
// native app without a WebView bridge). The link is a signed, expiring
// token rather than a row: it carries the app, the customer, the
// reference, the scope and where to go afterwards, so any replica can open
// it and nothing needs cleaning up.
//
// After the customer links, kobo exchanges the code itself, so the partner
// learns the account id from mono.events.account_connected as Mono
// documents; the browser then goes to redirect_url with code, reference,
// status=linked and account_id (status=cancelled when the customer closes
// the widget). The code stays good for its 10 minutes: a partner that
// exchanges it, as it would a widget code, gets the same account id.
// Mono does not document these query parameters; status and account_id
// are kobo's additions, and the webhook remains the source of truth.

// LinkTTL is how long a Connect Link works.
const LinkTTL = 24 * time.Hour

// LinkInput is what a link opens.
type LinkInput struct {
	App           string `json:"a"`
	Live          bool   `json:"l"`
	CustomerID    string `json:"c,omitempty"`
	Reference     string `json:"r,omitempty"`
	Scope         string `json:"s"`
	RedirectURL   string `json:"u,omitempty"`
	InstitutionID string `json:"i,omitempty"`
	AuthMethod    string `json:"m,omitempty"`
	AccountID     string `json:"ac,omitempty"`
	Expires       int64  `json:"e"`
	// Key is the id of the app's secret key of the link's mode when the
	// link was made. The link works only while that key does: rotating the
	// keys, or taking the app out of live mode (which revokes its live
	// keys), ends every link made under them.
	Key string `json:"k"`
}

// LinkRequest is POST /v2/accounts/initiate's body, decoded.
type LinkRequest struct {
	CustomerID, CustomerName, CustomerEmail string
	Reference, Scope, RedirectURL           string
	InstitutionID, AuthMethod, AccountID    string
}

// Link is a created Connect Link.
type Link struct {
	Token     string
	Input     LinkInput
	CreatedAt time.Time
	Account   *kobo.Account // reauth links
}

// CreateLink checks a Connect Link request and signs its token.
func (s *Service) CreateLink(ctx context.Context, c *kobo.Caller, r LinkRequest) (*Link, error) {
	v := kobo.Invalid{}
	scope := r.Scope
	switch scope {
	case "", "auth", "financial_data":
		scope = "auth"
	case "reauth":
		if r.AccountID == "" {
			v.Add("account", "is required when scope is reauth")
		}
	default:
		v.Add("scope", `must be "auth" or "reauth"`)
	}
	if r.RedirectURL != "" {
		if _, ok := webURL(r.RedirectURL, "https", "http"); !ok {
			v.Add("redirect_url", "must be an absolute http(s) URL")
		}
	}
	if len(r.Reference) > 100 {
		v.Add("meta.ref", "must be at most 100 characters")
	}
	if r.CustomerEmail != "" && !validEmail(strings.ToLower(r.CustomerEmail)) {
		v.Add("customer.email", "must be a valid email address")
	}
	checkCustomerText(v, r.CustomerName, r.CustomerEmail, r.Reference, "meta.ref")
	if scope == "auth" && r.CustomerID == "" && r.CustomerEmail == "" {
		v.Add("customer", "is required: {id} of an existing customer or {name, email}")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	var keys appKeys
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		keys, err = modeKeys(ctx, tx, c.App.ID, c.Mode)
		return err
	})
	if err != nil {
		return nil, err
	}
	if keys.secret == nil {
		return nil, kobo.Errorf(kobo.EFORBIDDEN, "this app has no %s keys; links can only be made in a mode the app has keys for", c.Mode)
	}
	in := LinkInput{App: c.App.ID, Live: c.Mode.IsLive(), Reference: r.Reference, Scope: scope, RedirectURL: r.RedirectURL,
		InstitutionID: r.InstitutionID, AuthMethod: r.AuthMethod, Expires: now.Add(LinkTTL).Unix(), Key: keys.secret.ID}
	out := &Link{CreatedAt: now}
	if scope == "reauth" {
		acct, err := s.ownedAccount(ctx, c, r.AccountID)
		if err != nil {
			return nil, err
		}
		in.AccountID, in.CustomerID, in.InstitutionID, in.AuthMethod = acct.ID, acct.CustomerID, acct.InstitutionID, acct.AuthMethod
		out.Account = acct
	} else {
		if r.InstitutionID != "" {
			inst, err := s.Institution(ctx, r.InstitutionID)
			if err != nil {
				return nil, &kobo.Error{Code: kobo.EINVALID, Message: "institution.id does not exist", Fields: map[string]string{"institution.id": "does not exist"}}
			}
			if r.AuthMethod != "" {
				if _, ok := inst.AuthMethod(r.AuthMethod); !ok {
					return nil, &kobo.Error{Code: kobo.EINVALID, Message: "institution.auth_method is not offered by " + inst.Name, Fields: map[string]string{"institution.auth_method": "is not offered"}}
				}
			}
		}
		err := s.store.Update(ctx, func(tx kobo.Tx) error {
			id, _, err := resolveCustomer(ctx, tx, c.App.ID, in.Live, r.CustomerID, strings.TrimSpace(r.CustomerName), strings.ToLower(strings.TrimSpace(r.CustomerEmail)), now)
			in.CustomerID = id
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	out.Input = in
	out.Token = s.signLink(in)
	return out, nil
}

func (s *Service) signLink(in LinkInput) string {
	b, _ := json.Marshal(in)
	payload := base64.RawURLEncoding.EncodeToString(b)
	m := hmac.New(sha256.New, s.urlKey)
	m.Write([]byte("link|" + payload))
	return payload + "." + hex.EncodeToString(m.Sum(nil)[:16])
}

// OpenLink verifies a link token and returns the app's caller and the
// link. The token stands in for the public key, so the caller carries the
// app's public key of the link's mode: link requests spend that key's
// rate limit and are capped like the widget's. A link dies with the keys
// it was made under (LinkInput.Key).
func (s *Service) OpenLink(ctx context.Context, token string) (*kobo.Caller, *LinkInput, error) {
	bad := kobo.Errorf(kobo.EUNAUTHORIZED, "This link is not valid. Ask for a new one.")
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 4096 {
		return nil, nil, bad
	}
	m := hmac.New(sha256.New, s.urlKey)
	m.Write([]byte("link|" + payload))
	want := hex.EncodeToString(m.Sum(nil)[:16])
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return nil, nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	var in LinkInput
	if err != nil || json.Unmarshal(b, &in) != nil {
		return nil, nil, bad
	}
	if s.clock.Now().Unix() > in.Expires {
		return nil, nil, kobo.Errorf(kobo.EGONE, "This link has expired. Ask for a new one.")
	}
	mode := kobo.ModeOf(in.Live)
	var a *kobo.App
	var keys appKeys
	err = s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		if a, err = tx.App(ctx, in.App); err != nil {
			return err
		}
		keys, err = modeKeys(ctx, tx, a.ID, mode)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil, nil, bad
	}
	if err != nil {
		return nil, nil, err
	}
	if in.Key == "" || keys.secret == nil || keys.secret.ID != in.Key || keys.public == nil || (in.Live && !a.Live) {
		return nil, nil, kobo.Errorf(kobo.EUNAUTHORIZED, "This link no longer works: the app's keys have changed. Ask for a new one.")
	}
	return &kobo.Caller{App: *a, Key: *keys.public, Mode: mode}, &in, nil
}

// appKeys are an app's unrevoked keys of one mode.
type appKeys struct{ public, secret *kobo.APIKey }

func modeKeys(ctx context.Context, tx kobo.Tx, appID string, mode kobo.Mode) (appKeys, error) {
	var out appKeys
	keys, err := tx.APIKeysByApp(ctx, appID)
	for _, k := range keys {
		if k.Mode != mode || k.RevokedAt != nil {
			continue
		}
		switch k.Kind {
		case kobo.PublicKey:
			out.public = k
		case kobo.SecretKey:
			out.secret = k
		}
	}
	return out, err
}

// LinkRedirect is where the browser goes after a Connect Link flow.
func LinkRedirect(in *LinkInput, status, accountID, code string) string {
	if in.RedirectURL == "" {
		return ""
	}
	u, err := url.Parse(in.RedirectURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("status", status)
	if in.Reference != "" {
		q.Set("reference", in.Reference)
	}
	if accountID != "" {
		q.Set("account_id", accountID)
	}
	if code != "" {
		q.Set("code", code)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
