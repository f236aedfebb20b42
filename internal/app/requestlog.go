package app

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// The API request log (dashboard: "API logs") is written off the request
// path: handlers drop a line into a buffer and one goroutine per process
// writes batches, so logging costs an API call a channel send, and a slow
// or busy database never slows the API. When the buffer is full, lines are
// dropped and counted rather than blocking traffic.

// RequestLogRetention is how long request log lines are kept.
const RequestLogRetention = 7 * 24 * time.Hour

type requestLog struct {
	ch      chan kobo.APIRequest
	dropped atomic.Int64
}

func newRequestLog() *requestLog { return &requestLog{ch: make(chan kobo.APIRequest, 8192)} }

// LogRequest queues a line for the request log.
func (s *Service) LogRequest(r kobo.APIRequest) {
	if r.ID == "" {
		r.ID = kobo.NewID(r.CreatedAt) + kobo.RandomToken(4)
	}
	select {
	case s.reqlog.ch <- r:
	default:
		s.reqlog.dropped.Add(1)
	}
}

// RunRequestLog writes queued lines in batches until ctx ends, then
// writes what is left.
func (s *Service) RunRequestLog(ctx context.Context) {
	ctx = kobo.Background(ctx)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
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
			PathPrefix: q.PathPrefix, Before: q.Before, Limit: min(max(q.Limit, 1), 500)})
		return err
	})
	return out, err
}

// PruneRequestLog deletes request log lines past retention.
func (s *Service) PruneRequestLog(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := s.store.Update(ctx, func(tx kobo.Tx) error {
			var err error
			n, err = tx.PruneAPIRequests(ctx, s.clock.Now().Add(-RequestLogRetention), 5000)
			return err
		})
		total += n
		if err != nil || n < 5000 {
			return total, err
		}
	}
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

// ListAccounts lists an app's linked accounts (dashboard).
func (s *Service) ListAccounts(ctx context.Context, c *kobo.Caller, limit, offset int) (*AccountList, error) {
	out := &AccountList{}
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		out.Accounts, out.Total, err = tx.ListAccounts(ctx, c.App.ID, c.Mode.IsLive(), limit, offset)
		return err
	})
	for _, a := range out.Accounts {
		if in, err := s.Institution(ctx, a.InstitutionID); err == nil {
			a.Institution = *in
		}
	}
	return out, err
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
