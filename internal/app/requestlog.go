package app

import (
	"cmp"
	"context"
	"math"
	"regexp"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// The API request log (dashboard: "API logs") is written off the request
// path: handlers drop a line into a buffer and one goroutine per process
// writes batches, so logging costs an API call a channel send, and a slow
// or busy database never slows the API. When the buffer is full, lines are
// dropped and counted rather than blocking traffic.
//
// It lives in the main database, so it is bounded three ways: which lines
// are kept at all (RequestLogMode), how long (Retention) and how many
// (MaxRows, across every app). At ~400 bytes a line, logging every call
// of an install serving 7,000 requests a second would be 240 GB a day.

// RequestLogMode chooses which API calls the request log keeps.
type RequestLogMode string

const (
	// RequestLogOff keeps nothing.
	RequestLogOff RequestLogMode = "off"
	// RequestLogErrors keeps calls answered 4xx or 5xx.
	RequestLogErrors RequestLogMode = "errors"
	// RequestLogSampled keeps every error and SampleRate of the rest.
	RequestLogSampled RequestLogMode = "sampled"
	// RequestLogAll keeps every call.
	RequestLogAll RequestLogMode = "all"
)

// RequestLogModes lists the modes, for validation and help.
var RequestLogModes = []RequestLogMode{RequestLogOff, RequestLogErrors, RequestLogSampled, RequestLogAll}

// RequestLogConfig bounds the API request log. The zero value keeps
// every call for RequestLogRetention, up to DefaultRequestLogMaxRows lines.
type RequestLogConfig struct {
	Mode       RequestLogMode // default RequestLogAll
	SampleRate float64        // share of successful calls RequestLogSampled keeps, 0..1
	Retention  time.Duration  // default RequestLogRetention
	MaxRows    int            // lines kept across all apps; default DefaultRequestLogMaxRows
	// PruneEvery is how often the writer enforces Retention and MaxRows
	// (default 30 s). Between two runs the log can exceed MaxRows by what
	// arrives meanwhile.
	PruneEvery time.Duration
}

// RequestLogRetention is how long request log lines are kept by default.
const RequestLogRetention = 7 * 24 * time.Hour

// DefaultRequestLogMaxRows caps the log at about 400 MB.
const DefaultRequestLogMaxRows = 1_000_000

func (c RequestLogConfig) withDefaults() RequestLogConfig {
	c.Mode = cmp.Or(c.Mode, RequestLogAll)
	c.Retention = cmp.Or(c.Retention, RequestLogRetention)
	c.MaxRows = cmp.Or(c.MaxRows, DefaultRequestLogMaxRows)
	c.PruneEvery = cmp.Or(c.PruneEvery, 30*time.Second)
	c.SampleRate = min(max(c.SampleRate, 0), 1)
	return c
}

type requestLog struct {
	cfg     RequestLogConfig
	ch      chan kobo.APIRequest
	dropped atomic.Int64
	seen    atomic.Uint64 // successful calls offered in sampled mode
}

func newRequestLog(c RequestLogConfig) *requestLog {
	return &requestLog{cfg: c.withDefaults(), ch: make(chan kobo.APIRequest, 8192)}
}

// keep decides whether a call goes into the log. Sampling counts calls
// rather than drawing random numbers, so the kept share is exact: the
// n-th success is kept when floor(n*rate) moves.
func (l *requestLog) keep(status int) bool {
	switch l.cfg.Mode {
	case RequestLogOff:
		return false
	case RequestLogErrors:
		return status >= 400
	case RequestLogSampled:
		if status >= 400 {
			return true
		}
		n := float64(l.seen.Add(1))
		return math.Floor(n*l.cfg.SampleRate) > math.Floor((n-1)*l.cfg.SampleRate)
	}
	return true
}

// LogRequest queues a line for the request log, if the mode keeps it.
func (s *Service) LogRequest(r kobo.APIRequest) {
	if !s.reqlog.keep(r.Status) {
		return
	}
	if r.ID == "" {
		r.ID = kobo.NewID(r.CreatedAt) + kobo.RandomToken(4)
	}
	r.ErrorBody = LoggedErrorBody(r.Status, r.ErrorBody)
	select {
	case s.reqlog.ch <- r:
	default:
		s.reqlog.dropped.Add(1)
	}
}

// RunRequestLog writes queued lines in batches until ctx ends, then
// writes what is left. Every PruneEvery it also deletes lines past
// retention and beyond the size cap (every replica does; the deletes are
// idempotent).
func (s *Service) RunRequestLog(ctx context.Context) {
	ctx = kobo.Background(ctx)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	prune := time.NewTicker(s.reqlog.cfg.PruneEvery)
	defer prune.Stop()
	batch := make([]kobo.APIRequest, 0, 512)
	flush := func(ctx context.Context) {
		if len(batch) == 0 {
			return
		}
		if err := s.store.Update(ctx, func(tx kobo.Tx) error { return tx.InsertAPIRequests(ctx, batch) }); err != nil {
			s.log.Warn("writing the API request log failed", "err", err, "lines", len(batch))
		}
		batch = batch[:0]
	}
	for {
		select {
		case r := <-s.reqlog.ch:
			batch = append(batch, r)
			if len(batch) == cap(batch) {
				flush(ctx)
			}
		case <-tick.C:
			flush(ctx)
			if n := s.reqlog.dropped.Swap(0); n > 0 {
				s.log.Warn("API request log lines dropped: the buffer was full", "lines", n)
			}
		case <-prune.C:
			if _, err := s.PruneRequestLog(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("pruning the request log failed", "err", err)
			}
		case <-ctx.Done():
			for {
				select {
				case r := <-s.reqlog.ch:
					batch = append(batch, r)
				default:
					flush(context.WithoutCancel(ctx))
					return
				}
			}
		}
	}
}

// RequestLogQuery filters the request log for the dashboard.
type RequestLogQuery struct {
	Live        bool
	Method      string
	StatusClass int
	PathPrefix  string
	RequestID   string
	Before      *time.Time
	Limit       int
}

// ListRequests returns an app's request log, newest first.
func (s *Service) ListRequests(ctx context.Context, partnerID, appID string, q RequestLogQuery) ([]kobo.APIRequest, error) {
	if _, err := s.GetApp(ctx, partnerID, appID); err != nil {
		return nil, err
	}
	var out []kobo.APIRequest
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		out, err = tx.ListAPIRequests(ctx, kobo.APIRequestFilter{AppID: appID, Live: &q.Live, Method: q.Method, StatusClass: q.StatusClass,
			PathPrefix: q.PathPrefix, RequestID: q.RequestID, Before: q.Before, Limit: min(max(q.Limit, 1), 500)})
		return err
	})
	return out, err
}

// PruneRequestLog deletes request log lines past retention, then the
// oldest beyond the size cap, in batches so no statement holds the
// database long.
func (s *Service) PruneRequestLog(ctx context.Context) (int, error) {
	total := 0
	for _, step := range []func(tx kobo.Tx) (int, error){
		func(tx kobo.Tx) (int, error) {
			return tx.PruneAPIRequests(ctx, s.clock.Now().Add(-s.reqlog.cfg.Retention), 5000)
		},
		func(tx kobo.Tx) (int, error) { return tx.TrimAPIRequests(ctx, s.reqlog.cfg.MaxRows, 5000) },
	} {
		for {
			var n int
			err := s.store.Update(ctx, func(tx kobo.Tx) error {
				var err error
				n, err = step(tx)
				return err
			})
			total += n
			if err != nil {
				return total, err
			}
			if n < 5000 {
				break
			}
		}
	}
	return total, nil
}

// PartnerCaller is the dashboard's way into the account APIs: it checks
// the partner owns the app and returns a caller for it in one mode.
func (s *Service) PartnerCaller(ctx context.Context, partnerID, appID string, live bool) (*kobo.Caller, error) {
	d, err := s.GetApp(ctx, partnerID, appID)
	if err != nil {
		return nil, err
	}
	return &kobo.Caller{App: *d.App, Mode: kobo.ModeOf(live)}, nil
}

// AccountList is a page of an app's linked accounts.
type AccountList struct {
	Accounts []*kobo.Account
	Total    int
}

// ListAccounts lists an app's linked accounts, newest first: a search
// with no filter.
func (s *Service) ListAccounts(ctx context.Context, c *kobo.Caller, limit, offset int) (*AccountList, error) {
	return s.SearchAccounts(ctx, c, AccountQuery{Limit: limit, Offset: offset})
}

// SandboxUsers lists the sandbox bank's test users as they log in to
// GTBank's internet banking (the dashboard's sandbox page).
func (s *Service) SandboxUsers(ctx context.Context) ([]kobo.SandboxUser, error) {
	if s.sandbox == nil {
		return nil, kobo.Errorf(kobo.EUNAVAILABLE, "no sandbox bank is configured")
	}
	cat, err := s.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	for _, in := range cat.All {
		if in.Name == "GTBank" && len(in.AuthMethods) > 0 {
			return s.sandbox.Users(ctx, *in, in.AuthMethods[0].Type)
		}
	}
	if len(cat.All) == 0 || len(cat.All[0].AuthMethods) == 0 {
		return nil, nil
	}
	return s.sandbox.Users(ctx, *cat.All[0], cat.All[0].AuthMethods[0].Type)
}

// MaxLoggedErrorBody bounds the error body one request log line keeps.
const MaxLoggedErrorBody = 1024

// sensitive matches what an error message may echo that the request log
// must not keep: runs of 8 or more digits (account numbers are 10, BVNs
// and phone numbers 11) and anything shaped like a key or secret
// (test_sk_…, live_pk_…, whsec_…). Error messages are kobo's own public
// text, but some quote a field's value back, so the log masks rather
// than trusts.
var sensitive = regexp.MustCompile(`\d{8,}|\b(?:test|live)_[a-z]{2}_[A-Za-z0-9]+|\bwhsec_[A-Za-z0-9+/=]+`)

// LoggedErrorBody is what the request log keeps of a response body: for
// a 4xx or 5xx, the error body masked and cut to MaxLoggedErrorBody
// bytes on a character boundary; for anything else, nothing.
func LoggedErrorBody(status int, body string) string {
	if status < 400 || body == "" {
		return ""
	}
	body = sensitive.ReplaceAllString(body, "[redacted]")
	if len(body) > MaxLoggedErrorBody {
		cut := MaxLoggedErrorBody
		for cut > 0 && !utf8.RuneStart(body[cut]) {
			cut--
		}
		body = body[:cut] + "…"
	}
	return body
}
