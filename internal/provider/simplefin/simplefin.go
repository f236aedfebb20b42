// Package simplefin is kobo's connector to SimpleFIN servers, the SimpleFIN
// Bridge above all (https://bridge.simplefin.org), which reaches US and
// Canadian institutions for customers who subscribe to it. It owns the
// protocol: decoding the customer's setup token to its claim URL, claiming
// the Access URL (the one credential, kept only in BankSession.Persist,
// which kobo seals), reading GET /accounts with Basic auth in date windows
// the server accepts, mapping the Account Set (organisations, accounts,
// balances, posted and pending transactions; the protocol's original shape
// and its later errlist/connections one) into kobo's domain types, and
// classifying the server's statuses and its errors into kobo.BankError
// kinds. A per-host breaker and in-flight cap keep a failing or hanging
// server from holding kobo's workers.
//
// The setup token decodes to a URL the customer controls, so every request
// goes through a client whose dialer refuses internal addresses
// (kobo.InternalAddr) unless the operator allows them
// (KOBO_PROVIDER_ALLOW_PRIVATE, for loopback fakes), follows no redirects,
// and, for live apps, speaks only https.
//
// SimpleFIN shares no account holder identity, no account numbers and no
// running balances; Identity answers BankNotFound, and an account's number
// is the server's opaque account id.
package simplefin

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Name is the provider's key in kobo's provider map and in
// Institution.Provider.
const Name = "simplefin"

// SetupTokenField is the one field of the institution's form.
const SetupTokenField = "setup_token"

// Config configures a Provider.
type Config struct {
	Logger *slog.Logger
	Clock  kobo.Clock
	// AllowPrivate lets claim and access URLs reach loopback and private
	// addresses (KOBO_PROVIDER_ALLOW_PRIVATE): tests with a fake on
	// 127.0.0.1, or an operator running a SimpleFIN server beside kobo.
	AllowPrivate bool
	// Timeout bounds one HTTP request (default 60s: a bridge may fetch
	// from the bank while the request waits).
	Timeout time.Duration
	// Window is the longest date range one GET /accounts asks for; longer
	// ranges are read in consecutive windows. The SimpleFIN Bridge caps a
	// request at 90 days (and says so in errors); the default, 89 days,
	// leaves a day for the two clocks to disagree on an open-ended last
	// window.
	Window time.Duration
	// MaxRows is the most transactions a server returns in one answer
	// (default 1000); a window that comes back full is read again in
	// halves, down to a day.
	MaxRows int
	// MaxInFlight caps the requests waiting on one server at once
	// (default 4); more fail at once and are retried later.
	MaxInFlight int
	// RootCAs replaces the system roots (tests with an httptest TLS
	// server); certificates are always verified.
	RootCAs *x509.CertPool
}

// Provider implements kobo.Provider and kobo.Policied for SimpleFIN.
type Provider struct {
	c      Config
	client *http.Client

	mu       sync.Mutex
	breakers map[string]*breaker // by host
}

var (
	_ kobo.Provider = (*Provider)(nil)
	_ kobo.Policied = (*Provider)(nil)
)

// New returns a Provider.
func New(c Config) *Provider {
	c.Logger = cmp.Or(c.Logger, slog.New(slog.DiscardHandler))
	if c.Clock == nil {
		c.Clock = kobo.SystemClock{}
	}
	c.Timeout = cmp.Or(c.Timeout, 60*time.Second)
	c.Window = cmp.Or(c.Window, 89*24*time.Hour)
	c.MaxRows = cmp.Or(c.MaxRows, 1000)
	c.MaxInFlight = cmp.Or(c.MaxInFlight, 4)
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !c.AllowPrivate {
		dialer.Control = guard
	}
	tr := &http.Transport{
		// no proxy: a proxy would dial for us, past the address guard
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: c.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: c.Timeout,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
	}
	client := &http.Client{Transport: tr, Timeout: c.Timeout,
		// A redirect could lead from https to http or to a host the
		// customer picked; SimpleFIN needs none, so none is followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Provider{c: c, client: client, breakers: map[string]*breaker{}}
}

// guard is the dialer's Control: it runs on the address actually dialled,
// after DNS, so a name that resolves (or re-resolves) inside the network
// is refused as an IP literal would be.
func guard(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("simplefin: refusing to dial %q: %w", address, err)
	}
	if kobo.InternalAddr(ap.Addr()) {
		return errInternal
	}
	return nil
}

var errInternal = errors.New("the address is internal (loopback, private, link-local or reserved)")

// Policy implements kobo.Policied. SimpleFIN servers refresh from the
// bank about once a day and the Bridge budgets requests per access URL,
// so syncing more often than a few times a day only spends the budget.
func (p *Provider) Policy() kobo.ProviderPolicy {
	return kobo.ProviderPolicy{
		Real:                  true,
		MinSyncInterval:       6 * time.Hour,
		MinManualSyncInterval: time.Hour,
		// pending rows post days later, and a bridge's daily refresh may
		// add rows dated before the last sync
		OverlapWindow: 14 * 24 * time.Hour,
		// no CallsPerMinute: the bridge budgets each access URL (one
		// customer's connection), not the app, and MinSyncInterval paces
		// those; no Credentials: the customer's token is the only key

	}
}

// BridgeID is the catalog id of "SimpleFIN Bridge".
var BridgeID = stableID("simplefin/bridge")

// Catalog returns the institution entry for the SimpleFIN Bridge: one
// entry for every bank it reaches, since the customer picks their banks at
// the bridge, not in kobo.
func Catalog() []kobo.Institution {
	return []kobo.Institution{{
		ID: BridgeID, Name: "SimpleFIN Bridge", Type: kobo.PersonalBanking, Country: "us",
		Identifier: "kobo.simplefin.bridge", Icon: "/static/institutions/simplefin.svg", PrimaryColor: "#0B6E4F",
		Website:  "https://bridge.simplefin.org",
		Products: []string{"Accounts", "Transactions", "Balance", "Income"}, Scopes: []string{"financial_data"},
		Provider: Name, Providers: []string{Name},
		AuthMethods: []kobo.AuthMethod{{ID: stableID("simplefin/bridge/setup-token"), Type: kobo.InternetBanking, Name: "SimpleFIN setup token",
			Consent: kobo.ConsentToken,
			UI: kobo.UIForm{Title: "Paste your SimpleFIN setup token", Form: []kobo.FormField{{Type: "elements.input", Name: SetupTokenField,
				Hint: "Setup token from bridge.simplefin.org (Create a token)", ContentType: "password", MaxLength: 512}}}}},
	}}
}

func stableID(name string) string {
	sum := sha256.Sum256([]byte("kobo.catalog/" + name))
	return hex.EncodeToString(sum[:12])
}

// Login implements kobo.Provider. With the form's setup token it claims an
// Access URL; with Persist (a stored Access URL: a background sync or a
// re-authorisation) it checks the Access URL still works.
func (p *Provider) Login(ctx context.Context, req kobo.LoginRequest) (kobo.LoginStep, error) {
	if req.Persist != "" && req.Fields[SetupTokenField] == "" {
		access, err := parseAccessURL(req.Persist.Reveal(), req.Live)
		if err != nil {
			kind := kobo.BankMFARequired // a background login: re-authorisation
			if req.Interactive {
				kind = kobo.BankBadCredentials // a customer is here: the form asks for a token
			}
			return kobo.LoginStep{}, &kobo.BankError{Kind: kind, Message: "the stored SimpleFIN access is unusable; paste a new setup token", Err: err}
		}
		if _, err := p.accounts(ctx, access, url.Values{"balances-only": {"1"}}); err != nil {
			if req.Interactive && kobo.BankErrorKindOf(err) == kobo.BankMFARequired {
				// a customer is here: ask them for a new token
				return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: msgRevoked, Err: err}
			}
			return kobo.LoginStep{}, err
		}
		return kobo.LoginStep{Session: session(req.Persist)}, nil
	}
	tok := req.Fields[SetupTokenField]
	if tok == "" {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: "paste the SimpleFIN setup token"}
	}
	claim, err := DecodeSetupToken(tok.Reveal(), req.Live)
	if err != nil {
		return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankBadCredentials, Message: err.Error()}
	}
	access, err := p.claim(ctx, claim, req.Live)
	if err != nil {
		return kobo.LoginStep{}, err
	}
	return kobo.LoginStep{Session: session(access)}, nil
}

// session is a session on an Access URL: it does not expire (the customer
// revokes it at the bridge), so kobo never logs in again on its own.
func session(access kobo.Secret) *kobo.BankSession {
	return &kobo.BankSession{Token: access, Persist: access}
}

// Answer implements kobo.Provider: SimpleFIN asks no questions.
func (p *Provider) Answer(context.Context, kobo.Challenge, map[string]kobo.Secret) (kobo.LoginStep, error) {
	return kobo.LoginStep{}, &kobo.BankError{Kind: kobo.BankNotFound, Message: "SimpleFIN has no login challenges"}
}

func (p *Provider) access(s kobo.BankSession) (*url.URL, error) {
	a := cmp.Or(s.Token, s.Persist)
	u, err := parseAccessURL(a.Reveal(), false)
	if err != nil {
		return nil, &kobo.BankError{Kind: kobo.BankMFARequired, Message: "the stored SimpleFIN access is unusable; paste a new setup token", Err: err}
	}
	return u, nil
}

// Accounts implements kobo.Provider (balances only: the link needs no
// transactions).
func (p *Provider) Accounts(ctx context.Context, s kobo.BankSession) ([]kobo.BankAccount, error) {
	u, err := p.access(s)
	if err != nil {
		return nil, err
	}
	set, err := p.accounts(ctx, u, url.Values{"balances-only": {"1"}})
	if err != nil {
		return nil, err
	}
	if len(set.Accounts) == 0 {
		if be := set.errorsAsBankError(); be != nil {
			return nil, be
		}
	}
	out := make([]kobo.BankAccount, 0, len(set.Accounts))
	for _, a := range set.Accounts {
		ba := a.bankAccount()
		if a.custom != "" {
			if name := p.currencyName(ctx, a.custom); name != "" {
				ba.Type = "custom currency: " + name
			}
		}
		out = append(out, ba)
	}
	return out, nil
}

// currencyName looks a custom currency up at its URL (the protocol's
// recommendation), for the account's type: "Example Airline Miles
// (miles)". Only https URLs are asked, without credentials, through the
// same guarded client; any failure leaves the URL as the name.
func (p *Provider) currencyName(ctx context.Context, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Hostname() == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return ""
	}
	req.Header.Set("Accept", "application/json")
	res, err := p.do(req)
	if err != nil {
		return ""
	}
	defer res.Body.Close()
	var c struct {
		Name string `json:"name"`
		Abbr string `json:"abbr"`
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(res.Body, 4<<10)).Decode(&c) != nil {
		return ""
	}
	name, abbr := sanitize(c.Name, 60), sanitize(c.Abbr, 20)
	switch {
	case name != "" && abbr != "":
		return name + " (" + abbr + ")"
	default:
		return cmp.Or(name, abbr)
	}
}

// one reads one account's part of the Account Set.
func (p *Provider) one(ctx context.Context, s kobo.BankSession, ref string, q url.Values) (*account, error) {
	u, err := p.access(s)
	if err != nil {
		return nil, err
	}
	q.Set("account", ref)
	set, err := p.accounts(ctx, u, q)
	if err != nil {
		return nil, err
	}
	for i := range set.Accounts {
		if set.Accounts[i].ID == ref {
			return &set.Accounts[i], nil
		}
	}
	// The server's errors say why an account is missing (the bridge lost
	// its bank connection); without any, it is no longer shared.
	if be := set.errorsAsBankError(); be != nil {
		return nil, be
	}
	return nil, &kobo.BankError{Kind: kobo.BankNotFound, Message: "the account is no longer shared through SimpleFIN"}
}

// Balance implements kobo.Provider.
func (p *Provider) Balance(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankBalance, error) {
	a, err := p.one(ctx, s, ref, url.Values{"balances-only": {"1"}})
	if err != nil {
		return kobo.BankBalance{}, err
	}
	return a.bankBalance(), nil
}

// Identity implements kobo.Provider: the protocol carries no account
// holder data (no name, email, phone or address), so there is none to give.
func (p *Provider) Identity(context.Context, kobo.BankSession, string) (kobo.BankIdentity, error) {
	return kobo.BankIdentity{}, &kobo.BankError{Kind: kobo.BankNotFound, Message: "SimpleFIN does not share the account holder's identity"}
}

// Transactions implements kobo.Provider. The range is read in windows of
// Config.Window, oldest first, each with pending transactions; a row seen
// in an earlier window (pending rows can be reported in every window) is
// not repeated.
func (p *Provider) Transactions(ctx context.Context, s kobo.BankSession, ref string, q kobo.TxnQuery, fn func([]kobo.BankTransaction) error) error {
	to := q.To
	openEnd := to.IsZero()
	if openEnd {
		to = p.c.Clock.Now()
	}
	seen := map[string]struct{}{}
	size := cmp.Or(q.PageSize, 1000)
	send := func(rows []kobo.BankTransaction) error {
		for len(rows) > 0 {
			n := min(size, len(rows))
			if err := fn(rows[:n]); err != nil {
				return err
			}
			rows = rows[n:]
		}
		return nil
	}
	// Rows dated at or after a window's end (pending rows a server reports
	// in every window, dated now) wait for the window they belong to, so
	// the stream stays oldest first: kobo resumes a cut-off first fetch
	// from the newest row it committed.
	var later []kobo.BankTransaction
	emit := func(a *account, end time.Time, last bool) error {
		rows, err := a.bankTransactions()
		if err != nil {
			return err
		}
		var now []kobo.BankTransaction
		for _, t := range rows {
			if _, dup := seen[t.Ref]; dup {
				continue
			}
			seen[t.Ref] = struct{}{}
			if !last && !t.Date.Before(end) {
				later = append(later, t)
				continue
			}
			now = append(now, t)
		}
		keep := later[:0]
		for _, t := range later {
			if last || t.Date.Before(end) {
				now = append(now, t)
			} else {
				keep = append(keep, t)
			}
		}
		later = keep
		slices.SortStableFunc(now, func(x, y kobo.BankTransaction) int { return x.Date.Compare(y.Date) })
		return send(now)
	}
	if q.From.IsZero() {
		// the server's own default range
		v := url.Values{"pending": {"1"}}
		if !openEnd {
			v.Set("end-date", strconv.FormatInt(to.Unix(), 10))
		}
		a, err := p.one(ctx, s, ref, v)
		if err != nil {
			return err
		}
		return emit(a, to, true)
	}
	// The windows, oldest first; open is the last one of an open-ended
	// query, asked without end-date.
	type span struct {
		start, end time.Time
		open       bool
	}
	var spans []span
	for start := q.From; ; {
		end := start.Add(p.c.Window)
		if !end.Before(to) {
			spans = append(spans, span{start, to, openEnd})
			break
		}
		spans = append(spans, span{start, end, false})
		start = end
	}
	for len(spans) > 0 {
		sp := spans[0]
		spans = spans[1:]
		v := url.Values{"pending": {"1"}, "start-date": {strconv.FormatInt(sp.start.Unix(), 10)}}
		if !sp.open {
			v.Set("end-date", strconv.FormatInt(sp.end.Unix(), 10))
		}
		a, err := p.one(ctx, s, ref, v)
		if err != nil {
			return err
		}
		if len(a.Transactions) >= p.c.MaxRows {
			// A server caps the rows of one answer: a full answer may be
			// cut, so its window is read again in halves.
			if d := sp.end.Sub(sp.start); d > 24*time.Hour {
				mid := sp.start.Add(d / 2).Truncate(time.Second)
				spans = append([]span{{sp.start, mid, false}, {mid, sp.end, sp.open}}, spans...)
				continue
			}
			p.c.Logger.WarnContext(ctx, "a SimpleFIN server answered its row limit for one day; rows may be missing",
				"rows", len(a.Transactions), "day", sp.start.Format(time.DateOnly))
		}
		if err := emit(a, sp.end, len(spans) == 0); err != nil {
			return err
		}
	}
	return nil
}
