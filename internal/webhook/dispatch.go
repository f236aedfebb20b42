package webhook

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Message is one POST to a partner's endpoint.
type Message struct {
	URL          string
	Secret       kobo.Secret // the app's webhook secret: sent as mono-webhook-secret, keys the signature
	ID           string      // the event id: webhook-id, stable across retries
	Timestamp    time.Time   // the attempt time: webhook-timestamp
	Body         []byte
	AllowPrivate bool // may reach loopback and private addresses (see DispatcherConfig.SandboxPrivate)
}

// Result is what one POST got back.
type Result struct {
	StatusCode int
	Latency    time.Duration
	Body       string // the first KiB
	Err        error  // transport failure (timeout, refused, blocked address)
}

// OK reports a 2xx answer.
func (r Result) OK() bool { return r.Err == nil && r.StatusCode >= 200 && r.StatusCode < 300 }

// DispatcherConfig configures a Dispatcher.
type DispatcherConfig struct {
	Store  kobo.Store
	Clock  kobo.Clock
	Logger *slog.Logger
	// Send performs one POST (Client.Send in production).
	Send func(ctx context.Context, m Message) Result
	// Health is told, per app and flush, whether its endpoint answered; it
	// returns true when it has just disabled the endpoint.
	Health func(ctx context.Context, appID string, ok bool) (bool, error)
	// Backoff is the wait before attempt n+1 after n failed attempts, and
	// MaxAttempts the attempt budget (see the package doc for the schedule).
	Backoff     func(attempt int) time.Duration
	MaxAttempts int
	// SandboxPrivate lets sandbox apps' deliveries reach loopback and
	// private addresses (a developer's machine). Live apps never may.
	SandboxPrivate bool
	// Concurrency is how many deliveries the dispatcher holds at once,
	// POSTs in flight and claimed runs waiting for their app's slot
	// (default 256). A turn records and claims at most this many, and
	// turns are one after another: on Postgres, at 128, a replica draining
	// a backlog of 32 accounts claimed runs of 4 and waited on its turns
	// (128 outcomes a turn, 100-200 ms each on a loaded 2-core machine,
	// 501-680 deliveries/s); at 256, runs of 8, 870-905/s on the same one.
	Concurrency int
	PerApp      int           // of which at most this many for one app (default 16)
	Lease       time.Duration // how long a claimed delivery is held (default 1m)
	Poll        time.Duration // longest sleep without a wake-up (default 1s)
	WorkerID    string
	// Metrics, when set, observes each attempt.
	Metrics func(event string, ok bool, latency time.Duration)
	// FirstAttemptLag, when set, observes how long each event waited for
	// its first attempt.
	FirstAttemptLag func(time.Duration)
	// Delivered, when set, is told of each delivery the app's endpoint
	// answered 2xx (the app's usage counts them).
	Delivered func(appID string, live bool)
}

// Dispatcher delivers webhook deliveries from the store: it claims due
// deliveries in batches, POSTs them concurrently with a cap per app (so a
// slow or dead endpoint cannot take every slot), and records outcomes in
// batches in the same transaction as the next claim, which is what lets one
// SQLite writer keep up with thousands of deliveries a second.
type Dispatcher struct {
	c    DispatcherConfig
	wake chan struct{}
	live liveURLs
}

// liveURLs remembers apps' live webhook URLs for a second, so routing a
// live event to its app's live endpoint costs no store read per delivery.
// Attempts run on many goroutines, hence the lock.
type liveURLs struct {
	mu sync.Mutex
	m  map[string]cachedURL
}

type cachedURL struct {
	url string
	at  time.Time
}

// liveURL is appID's live webhook URL, "" when it has none (or the read
// failed: the delivery then goes to the app's webhook URL, as before).
func (d *Dispatcher) liveURL(ctx context.Context, appID string) string {
	now := time.Now()
	d.live.mu.Lock()
	if e, ok := d.live.m[appID]; ok && now.Sub(e.at) < appTTL {
		d.live.mu.Unlock()
		return e.url
	}
	d.live.mu.Unlock()
	var u string
	err := d.c.Store.View(ctx, func(tx kobo.Tx) error {
		var err error
		u, err = tx.LiveWebhookURL(ctx, appID)
		return err
	})
	if err != nil {
		return ""
	}
	d.live.mu.Lock()
	if d.live.m == nil || len(d.live.m) > 4096 {
		d.live.m = map[string]cachedURL{}
	}
	d.live.m[appID] = cachedURL{u, now}
	d.live.mu.Unlock()
	return u
}

// NewDispatcher returns a Dispatcher.
func NewDispatcher(c DispatcherConfig) *Dispatcher {
	c.Clock = cmp.Or[kobo.Clock](c.Clock, kobo.SystemClock{})
	c.Logger = cmp.Or(c.Logger, slog.New(slog.DiscardHandler))
	c.Concurrency = cmp.Or(c.Concurrency, 256)
	c.PerApp = cmp.Or(c.PerApp, 16)
	c.Lease = cmp.Or(c.Lease, time.Minute)
	c.Poll = cmp.Or(c.Poll, time.Second)
	c.WorkerID = cmp.Or(c.WorkerID, "d_"+kobo.RandomToken(10))
	c.MaxAttempts = cmp.Or(c.MaxAttempts, 20)
	if c.Backoff == nil {
		c.Backoff = func(n int) time.Duration { return time.Duration(n) * time.Minute }
	}
	return &Dispatcher{c: c, wake: make(chan struct{}, 1)}
}

// Notify wakes the dispatcher: a delivery may be waiting. Never blocks.
func (d *Dispatcher) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// envelope is the body every delivery carries: Mono's
// {event, event_id, timestamp, data}.
type envelope struct {
	Event     string          `json:"event"`
	EventID   string          `json:"event_id"`
	Timestamp string          `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// Body renders an event as the JSON body of its webhook.
func Body(e *kobo.Event) ([]byte, error) {
	return json.Marshal(envelope{Event: e.Type, EventID: e.ID, Timestamp: e.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"), Data: e.Payload})
}

type attemptResult struct {
	d   *kobo.Delivery // nil: only release
	out kobo.DeliveryOutcome
	ok  bool
	// release: the rest of a run that will not be attempted (after a
	// failure, at shutdown, or once the run has taken half its lease),
	// handed back in the turn that records this outcome
	release []string
}

// Run delivers until ctx ends, then waits for POSTs in flight and records
// their outcomes.
//
// One loop does all the store work, and each turn is one write
// transaction: it records the outcomes that came back since the last turn
// and claims what is due, the next delivery of each account just finished
// included (recording it promotes that one). Recording and claiming in
// separate transactions took the writer twice per turn; on SQLite, with
// the one writer shared with the API, that was the ceiling of a burst.
//
// A claim may hold more deliveries of an app than it may POST at once
// (PerApp): those wait in the dispatcher, claimed, and each starts the
// moment one of the app's POSTs is answered, with no turn in between.
// Handing them back to the store instead (as the dispatcher once did,
// due a second later) wrote them twice and left the app's slots idle
// until the next turn.
func (d *Dispatcher) Run(ctx context.Context) error {
	// The dispatcher's turns take the writer as requests do, not as
	// background work. A turn is short (the outcomes and claims of at most
	// Concurrency deliveries, a few milliseconds at most), and events are
	// produced by writes: as background work, held to a tenth of a busy
	// writer, deliveries fell behind whatever wrote events faster than
	// that, and the queue grew for as long as the load lasted.
	//
	// The buffer holds every outcome that can be waiting: those of the
	// deliveries held at the last turn and of those it claimed (held
	// never passes Concurrency).
	results := make(chan attemptResult, 2*d.c.Concurrency)
	var inflight sync.WaitGroup
	q := &queues{apps: map[string]*appQueue{}}
	var batch []attemptResult
	apps := appCache{}
	healthy := map[string]time.Time{} // app → when Health last heard it answer

	// start POSTs a run's deliveries one after another, each as soon as
	// the last was answered, and then, while the app has runs waiting, the
	// next of them
	//
	// A run's age is counted from its claim, on the clock the lease was
	// written with, also while it waited for its app's slot: counted from
	// its start instead, a run that waited half its lease went on for
	// another half, its last POSTs after the lease had lapsed, when
	// another replica may already have claimed and sent them again.
	var start func(run []*kobo.Delivery, app *kobo.App, claimedAt time.Time)
	start = func(run []*kobo.Delivery, app *kobo.App, claimedAt time.Time) {
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			for run != nil {
				appID := run[0].AppID
				for i, dl := range run {
					rest := run[i+1:]
					if (i > 0 && ctx.Err() != nil) || d.c.Clock.Now().Sub(claimedAt) > d.c.Lease/2 {
						// the rest goes back; the lease must not lapse on
						// deliveries still waiting here
						q.done(len(run) - i)
						results <- attemptResult{release: deliveryIDs(run[i:])}
						break
					}
					r := d.attempt(context.WithoutCancel(ctx), dl, app)
					stop := !r.ok && len(rest) > 0
					if stop {
						// the endpoint is failing: the rest go back rather
						// than each wait its timeout here
						r.release = deliveryIDs(rest)
					}
					// the slot is accounted for before the outcome wakes
					// the loop, so the turn it wakes can fill it
					q.done(1 + len(r.release))
					results <- r
					if stop {
						break
					}
				}
				run, app, claimedAt = q.next(appID, ctx.Err() == nil)
			}
		}()
	}

	for ctx.Err() == nil {
	drain:
		for {
			select {
			case r := <-results:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		free := d.c.Concurrency - q.count()
		var claimed [][]*kobo.Delivery
		claimedAt := d.c.Clock.Now() // no later than the leases' start
		if len(batch) > 0 || free > 0 {
			outs, back := outcomes(batch), released(batch)
			err := d.c.Store.Update(ctx, func(tx kobo.Tx) error {
				if len(back) > 0 {
					if err := tx.ReleaseDeliveries(ctx, d.c.WorkerID, back, d.c.Clock.Now()); err != nil {
						return err
					}
				}
				if len(outs) > 0 {
					if err := tx.FinishDeliveries(ctx, d.c.WorkerID, outs, d.c.Clock.Now()); err != nil {
						return err
					}
				}
				if free == 0 {
					return nil
				}
				var err error
				claimed, err = tx.ClaimDeliveryRuns(ctx, d.c.WorkerID, free, RunLength, d.c.Clock.Now(), d.c.Lease)
				return err
			})
			if err != nil && (len(outs) > 0 || len(back) > 0) && ctx.Err() == nil {
				// a failed claim must not take the outcomes with it
				err = d.finish(ctx, outs, back)
			}
			if err != nil && ctx.Err() == nil {
				// the leases will expire and the deliveries go out again: at least once
				d.c.Logger.Warn("recording and claiming webhook deliveries failed", "err", err, "outcomes", len(outs))
			}
			if err == nil || ctx.Err() == nil {
				d.health(ctx, batch, healthy)
				batch = batch[:0]
			}
		}
		var release []string
		n := 0
		for _, run := range claimed {
			n += len(run)
			app := apps.get(ctx, d, run[0].AppID)
			switch q.add(run, app, d.c.PerApp, claimedAt) {
			case startNow:
				start(run, app, claimedAt)
			case tooMany:
				release = append(release, deliveryIDs(run)...)
			}
		}
		if len(release) > 0 {
			at := d.c.Clock.Now().Add(time.Second)
			_ = d.c.Store.Update(ctx, func(tx kobo.Tx) error { return tx.ReleaseDeliveries(ctx, d.c.WorkerID, release, at) })
		}
		if free > 0 && n == free && len(release) == 0 {
			continue // there may be more due
		}
		if r, ok := d.sleep(ctx, results, q.count()); ok {
			batch = append(batch, r)
		}
	}

	// hand back what waits unstarted, record what is still out there, past
	// the end of ctx
	bg := context.Background()
	if ids := q.unstarted(); len(ids) > 0 {
		if err := d.c.Store.Update(bg, func(tx kobo.Tx) error { return tx.ReleaseDeliveries(bg, d.c.WorkerID, ids, d.c.Clock.Now()) }); err != nil {
			d.c.Logger.Warn("handing back claimed webhook deliveries failed", "err", err, "count", len(ids))
		}
	}
	go func() { inflight.Wait(); close(results) }()
	for r := range results {
		batch = append(batch, r)
	}
	if len(batch) > 0 {
		outs := outcomes(batch)
		if err := d.finish(bg, outs, released(batch)); err != nil {
			d.c.Logger.Warn("recording webhook outcomes failed", "err", err, "count", len(outs))
		}
		d.health(bg, batch, nil)
	}
	return nil
}

// queues is what the dispatcher holds per app: runs in flight and claimed
// runs waiting for one of them to finish.
type queues struct {
	mu   sync.Mutex
	apps map[string]*appQueue
	held int // deliveries in flight and waiting, all apps
}

type appQueue struct {
	inflight int // runs
	waiting  []waitingRun
}

type waitingRun struct {
	run       []*kobo.Delivery
	app       *kobo.App
	claimedAt time.Time
}

type placement int

const (
	startNow placement = iota
	waits
	tooMany
)

// add places a claimed run: started if its app has a free slot, waiting
// if not, handed back if as many wait as may be in flight. A waiting run
// keeps its claim time: if it is still waiting when half its lease has
// gone, it is handed back when its turn comes rather than started.
func (q *queues) add(run []*kobo.Delivery, app *kobo.App, perApp int, claimedAt time.Time) placement {
	q.mu.Lock()
	defer q.mu.Unlock()
	appID := run[0].AppID
	a := q.apps[appID]
	if a == nil {
		a = &appQueue{}
		q.apps[appID] = a
	}
	p := startNow
	switch {
	case a.inflight < perApp:
		a.inflight++
	case len(a.waiting) < perApp:
		a.waiting = append(a.waiting, waitingRun{run, app, claimedAt})
		p = waits
	default:
		return tooMany
	}
	q.held += len(run)
	return p
}

// done counts n deliveries of a run attempted or handed back.
func (q *queues) done(n int) {
	q.mu.Lock()
	q.held -= n
	q.mu.Unlock()
}

// next is called when one of app's runs has finished: it returns the app's
// next waiting run to start in that slot, or frees the slot.
func (q *queues) next(appID string, more bool) ([]*kobo.Delivery, *kobo.App, time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	a := q.apps[appID]
	if more && len(a.waiting) > 0 {
		w := a.waiting[0]
		a.waiting = a.waiting[1:]
		return w.run, w.app, w.claimedAt
	}
	a.inflight--
	if a.inflight == 0 && len(a.waiting) == 0 {
		delete(q.apps, appID)
	}
	return nil, nil, time.Time{}
}

func (q *queues) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.held
}

// unstarted empties the waiting lists and returns their deliveries' ids.
func (q *queues) unstarted() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []string
	for _, a := range q.apps {
		for _, w := range a.waiting {
			out = append(out, deliveryIDs(w.run)...)
			q.held -= len(w.run)
		}
		a.waiting = nil
	}
	return out
}

func deliveryIDs(ds []*kobo.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// RunLength is how many of an account's deliveries one claim may take in a
// run (see kobo.WebhookRunStore): an account's next event goes as soon as
// the last is answered, up to this many, before the next turn records them
// and claims more.
const RunLength = 8

// appTTL is how long the dispatcher reuses an app it read (its webhook URL
// and secret) and a healthy answer it reported: a partner's new URL
// applies within this, and the store is not read once per turn for an app
// that did not change.
const appTTL = time.Second

type cachedApp struct {
	app *kobo.App
	at  time.Time
}

type appCache map[string]cachedApp

func (c appCache) get(ctx context.Context, d *Dispatcher, appID string) *kobo.App {
	now := time.Now()
	if e, ok := c[appID]; ok && now.Sub(e.at) < appTTL {
		return e.app
	}
	var app *kobo.App
	err := d.c.Store.View(ctx, func(tx kobo.Tx) error {
		var err error
		// a deleted app still gets its last events (account_unlinked)
		app, err = tx.DeletedApp(ctx, appID)
		return err
	})
	if err == nil {
		c[appID] = cachedApp{app, now}
		if len(c) > 4096 {
			for id, e := range c {
				if now.Sub(e.at) >= appTTL {
					delete(c, id)
				}
			}
		}
	}
	return app
}

// finish records outcomes and hands deliveries back in a transaction of
// their own.
func (d *Dispatcher) finish(ctx context.Context, outs []kobo.DeliveryOutcome, back []string) error {
	return d.c.Store.Update(ctx, func(tx kobo.Tx) error {
		if len(back) > 0 {
			if err := tx.ReleaseDeliveries(ctx, d.c.WorkerID, back, d.c.Clock.Now()); err != nil {
				return err
			}
		}
		if len(outs) == 0 {
			return nil
		}
		return tx.FinishDeliveries(ctx, d.c.WorkerID, outs, d.c.Clock.Now())
	})
}

func outcomes(batch []attemptResult) []kobo.DeliveryOutcome {
	outs := make([]kobo.DeliveryOutcome, 0, len(batch))
	for _, r := range batch {
		if r.d != nil {
			outs = append(outs, r.out)
		}
	}
	return outs
}

func released(batch []attemptResult) []string {
	var out []string
	for _, r := range batch {
		out = append(out, r.release...)
	}
	return out
}

// health tells Health, once per app, whether its endpoint answered 2xx in
// this batch at least once. A healthy answer is told at most once per
// appTTL per app (healthy remembers when; nil: always): it changes nothing
// unless the endpoint was failing, and a failure is always told.
func (d *Dispatcher) health(ctx context.Context, batch []attemptResult, healthy map[string]time.Time) {
	if d.c.Health == nil || len(batch) == 0 {
		return
	}
	ok := map[string]bool{}
	for _, r := range batch {
		if r.d != nil {
			ok[r.d.AppID] = ok[r.d.AppID] || r.ok
		}
	}
	now := time.Now()
	for app, up := range ok {
		if healthy != nil {
			if up && now.Sub(healthy[app]) < appTTL {
				continue
			}
			if up {
				healthy[app] = now
			} else {
				delete(healthy, app)
			}
		}
		if _, err := d.c.Health(ctx, app, up); err != nil {
			d.c.Logger.Warn("recording webhook health failed", "app_id", app, "err", err)
		}
	}
}

// sleep waits for a wake-up, the next due delivery, the poll interval or
// an outcome (returned, so the next turn records it).
//
// While it holds deliveries (held > 0) it does not ask the store when the
// next one is due: their outcomes wake it soon enough, and what else can
// come due meanwhile (a retry, another replica's lapsed lease) is never
// more than Poll late. On Postgres that question was the costliest
// statement of a busy dispatcher, asked before every short sleep: 3 to 5
// ms a call in kobo bench webhooks (pg_stat_statements), more than its
// claims and outcomes together; the min() scans partial indexes whose
// rows change state on every claim and outcome.
func (d *Dispatcher) sleep(ctx context.Context, results <-chan attemptResult, held int) (attemptResult, bool) {
	wait := d.c.Poll
	var next *time.Time
	if held == 0 {
		_ = d.c.Store.View(ctx, func(tx kobo.Tx) error {
			var err error
			next, err = tx.NextDeliveryAt(ctx)
			return err
		})
	}
	if next != nil {
		if until := next.Sub(d.c.Clock.Now()); until < wait {
			wait = max(until, time.Millisecond)
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-d.wake:
	case <-t.C:
	case r := <-results:
		return r, true
	}
	return attemptResult{}, false
}

// attempt POSTs one delivery and decides what happens next.
func (d *Dispatcher) attempt(ctx context.Context, dl *kobo.Delivery, app *kobo.App) attemptResult {
	if app != nil && dl.Live {
		if u := d.liveURL(ctx, app.ID); u != "" {
			// live events go to the live webhook URL when the app has one
			c := *app
			c.WebhookURL = u
			app = &c
		}
	}
	now := d.c.Clock.Now()
	res := attemptResult{d: dl, out: kobo.DeliveryOutcome{DeliveryID: dl.ID,
		Attempt: kobo.DeliveryAttempt{ID: kobo.NewID(now) + kobo.RandomToken(6), DeliveryID: dl.ID, Attempt: dl.Attempts, AttemptedAt: now}}}
	var r Result
	switch {
	case app == nil || app.WebhookURL == "":
		r = Result{Err: errNoEndpoint}
	case dl.Event == nil:
		r = Result{Err: errNoEvent}
	default:
		res.out.Attempt.URL = app.WebhookURL
		body, err := Body(dl.Event)
		if err != nil {
			r = Result{Err: err}
			break
		}
		// The guard follows the app that owns the URL, not the event: a
		// live app's URL is guarded for its test-mode events too (test
		// events, test-mode replays, sandbox fires).
		r = d.c.Send(ctx, Message{URL: app.WebhookURL, Secret: app.WebhookSecret, ID: dl.EventID, Timestamp: now, Body: body, AllowPrivate: !app.Live && d.c.SandboxPrivate})
	}
	if errors.Is(r.Err, ErrBlockedAddress) {
		// nothing from a blocked target is kept, whatever Send returned
		r = Result{Err: ErrBlockedAddress, Latency: r.Latency}
	}
	a := &res.out.Attempt
	a.StatusCode, a.Latency, a.ResponseBody = r.StatusCode, r.Latency, r.Body
	if r.Err != nil {
		a.Error = r.Err.Error()
	} else if !r.OK() {
		a.Error = "endpoint answered " + httpStatus(r.StatusCode)
	}
	res.ok = r.OK()
	switch {
	case res.ok:
		res.out.Status = kobo.DeliverySucceeded
	case dl.Attempts >= d.c.MaxAttempts || r.Err == errNoEndpoint || r.Err == errNoEvent:
		res.out.Status = kobo.DeliveryFailed
	default:
		next := d.c.Clock.Now().Add(d.c.Backoff(dl.Attempts))
		res.out.Status, res.out.NextAttemptAt = kobo.DeliveryPending, &next
	}
	if d.c.Metrics != nil {
		d.c.Metrics(dl.EventType, res.ok, r.Latency)
	}
	if res.ok && d.c.Delivered != nil {
		d.c.Delivered(dl.AppID, dl.Live)
	}
	if d.c.FirstAttemptLag != nil && dl.Attempts == 1 && dl.Event != nil {
		d.c.FirstAttemptLag(now.Sub(dl.Event.CreatedAt))
	}
	return res
}

type dispatchError string

func (e dispatchError) Error() string { return string(e) }

const (
	errNoEndpoint = dispatchError("the app has no webhook URL")
	errNoEvent    = dispatchError("the event is gone")
)

func httpStatus(code int) string {
	if code == 0 {
		return "nothing"
	}
	return "HTTP " + itoa(code)
}

func itoa(n int) string {
	b := []byte{}
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
