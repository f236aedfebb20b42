package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// notifier sends the LISTEN/NOTIFY wake-ups of other replicas (new jobs,
// new webhook deliveries) after the transaction that made the work has
// committed, on a connection of their own, at most one in flight per
// channel with the requests made meanwhile folded into the next.
//
// A NOTIFY inside the transaction itself takes PostgreSQL's one global
// notification lock at commit and holds it through the commit's WAL flush,
// so every transaction that notifies commits one after another: firing
// webhook events from 16 clients spent most of its time waiting on that
// lock (pg_stat_activity: "Lock object" at commit), and the advisory
// locks of the account queues waited behind it. A NOTIFY on its own
// writes no WAL, so it holds the lock only for a moment. Listeners wake
// once the work is visible either way; a lost wake-up only delays work
// until the next poll, as before.
type notifier struct {
	pool     *pgxpool.Pool
	mu       sync.Mutex
	channels map[string]*notice
}

type notice struct {
	sending, again bool
}

func (n *notifier) send(channel string) {
	n.mu.Lock()
	c := n.channels[channel]
	if c == nil {
		c = &notice{}
		n.channels[channel] = c
	}
	if c.sending {
		c.again = true
		n.mu.Unlock()
		return
	}
	c.sending = true
	n.mu.Unlock()
	go func() {
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, _ = n.pool.Exec(ctx, `SELECT pg_notify($1, '')`, channel)
			cancel()
			n.mu.Lock()
			if !c.again {
				c.sending = false
				n.mu.Unlock()
				return
			}
			c.again = false
			n.mu.Unlock()
		}
	}()
}
