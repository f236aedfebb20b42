package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared statements by their text. Preparing costs the
// pure-Go SQLite about as much as running a primary-key lookup, so every
// query kobo runs often (the same few hundred texts) is prepared once per
// connection and reused. Texts beyond the bound (multi-row inserts of
// unusual sizes, rare filters) run unprepared, so the cache stays small.
type stmtCache struct {
	db  *sql.DB
	max int

	mu      sync.RWMutex
	m       map[string]*sql.Stmt
	pending map[string]bool // texts met inside a write transaction, prepared after it
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, max: 512, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// lookup returns the cached statement for query, or nil. A miss is noted
// for preparePending: inside a transaction the writer's one connection is
// taken, so preparing on the pool would wait for it forever.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return st
	}
	c.mu.Lock()
	if len(c.m)+len(c.pending) < c.max {
		c.pending[query] = true
	}
	c.mu.Unlock()
	return nil
}

// preparePending prepares what lookup missed; the writer calls it after a
// transaction, while it still holds the write gate and the connection is
// free.
func (c *stmtCache) preparePending(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q := range c.pending {
		delete(c.pending, q)
		if _, ok := c.m[q]; ok {
			continue
		}
		if st, err := c.db.PrepareContext(context.WithoutCancel(ctx), q); err == nil {
			c.m[q] = st
		}
	}
}

// hasPending reports whether preparePending has work.
func (c *stmtCache) hasPending() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.pending) > 0
}

// get returns the prepared statement for query, or nil when it is not
// cached and the cache is full (the caller runs it unprepared then).
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	if len(c.m) >= c.max {
		return nil, nil
	}
	st, err := c.db.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = map[string]*sql.Stmt{}
}

// preparedDB runs queries on a pool through the cache.
type preparedDB struct {
	db    *sql.DB
	stmts *stmtCache
}

func (p preparedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.stmts.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return p.db.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (p preparedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.stmts.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return p.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (p preparedDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.stmts.get(ctx, query)
	if err != nil || st == nil {
		return p.db.QueryRowContext(ctx, query, args...) // a failed prepare reports itself here
	}
	return st.QueryRowContext(ctx, args...)
}

// preparedTx runs queries in a transaction on the writer through the
// writer's cache: a cached statement is already prepared on the one write
// connection, so binding it to the transaction costs nothing more; a
// statement not cached yet runs unprepared and is prepared after the
// transaction.
type preparedTx struct {
	tx    *sql.Tx
	stmts *stmtCache
}

func (p preparedTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	st := p.stmts.lookup(query)
	if st == nil {
		return nil, nil
	}
	return p.tx.StmtContext(ctx, st), nil
}

func (p preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return p.tx.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (p preparedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return p.tx.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (p preparedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.stmt(ctx, query)
	if err != nil || st == nil {
		return p.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
