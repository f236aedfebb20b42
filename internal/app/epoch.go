package app

import (
	"context"
	"sync"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// epochWatch reads one epoch (kobo.EpochHolds) for the key cache: every
// suspension and reinstatement, and every key revocation (keysChanged),
// bumps it in the same transaction, and a cached key resolved at an older
// epoch is resolved again, so a hold put or a key revoked through one
// replica refuses the next request on every other one instead of after the
// cache's few seconds.
//
// Each request needs a read that started after it arrived (an older read
// might predate the hold), but concurrent requests share one: a request
// arriving while a read is in flight waits for the next, which starts when
// that one ends. So a replica runs at most one epoch query at a time
// however busy it is, and an idle one a primary-key read per request.
type epochWatch struct {
	store kobo.Store
	name  string

	mu        sync.Mutex
	cur, next *epochRead
}

type epochRead struct {
	done chan struct{}
	v    int64
	err  error
}

func newEpochWatch(st kobo.Store, name string) *epochWatch {
	return &epochWatch{store: st, name: name}
}

// current returns the epoch as read by a query that began after the call.
func (w *epochWatch) current(ctx context.Context) (int64, error) {
	w.mu.Lock()
	var r *epochRead
	switch {
	case w.cur == nil:
		w.cur = &epochRead{done: make(chan struct{})}
		r = w.cur
		go w.run(ctx, r)
	case w.next == nil:
		w.next = &epochRead{done: make(chan struct{})}
		r = w.next
	default:
		r = w.next
	}
	w.mu.Unlock()
	select {
	case <-r.done:
		return r.v, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (w *epochWatch) run(ctx context.Context, r *epochRead) {
	// shared by every waiter: one caller's cancellation must not fail the rest
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	r.err = w.store.View(rctx, func(tx kobo.Tx) error {
		var err error
		r.v, err = tx.Epoch(rctx, w.name)
		return err
	})
	cancel()
	w.mu.Lock()
	w.cur, w.next = w.next, nil
	if w.cur != nil {
		go w.run(ctx, w.cur)
	}
	w.mu.Unlock()
	close(r.done)
}
