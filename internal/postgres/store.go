package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kobo-oss/kobo/internal/kobo"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is kobo.Store on PostgreSQL.
type Store struct {
	pool    *pgxpool.Pool
	notices *notifier
}

var _ kobo.Store = (*Store)(nil)

// Options tunes the pool.
type Options struct {
	MaxConns int32
	// SearchPath, when set, is the schema the store uses (tests give each
	// test its own schema).
	SearchPath string
}

// Open connects to the database at dsn. It does not migrate.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	} else if cfg.MaxConns < 16 {
		cfg.MaxConns = 16
	}
	if opts.SearchPath != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = opts.SearchPath
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "kobo"
	// pgx prepares each statement once per connection, and after five runs
	// Postgres may keep a generic plan costed for the table sizes it saw
	// then, until the table is next analyzed. Statements first run on a
	// small table (a fresh install, a quiet hour) then kept sequential
	// scans through a burst: the webhook claim and promotion cost 2.5-4 ms
	// of Postgres CPU per delivery instead of under 0.3. Planning each run
	// costs tens of microseconds; the queue's and the API's statements are
	// all short.
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect postgres: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect postgres: %w", err)
	}
	return &Store{pool: pool, notices: &notifier{pool: pool, channels: map[string]*notice{}}}, nil
}

// Engine returns "postgres".
func (s *Store) Engine() string { return "postgres" }

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Pool exposes the pool to the jobs and listen/notify wiring in cli.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// View runs fn with statements on the pool (each its own snapshot).
func (s *Store) View(ctx context.Context, fn func(kobo.Tx) error) error {
	return fn(&tx{q: s.pool})
}

// Update runs fn in one READ COMMITTED transaction.
func (s *Store) Update(ctx context.Context, fn func(kobo.Tx) error) (err error) {
	t, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", classify(err))
	}
	defer func() {
		if p := recover(); p != nil {
			_ = t.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
		if err != nil {
			_ = t.Rollback(context.WithoutCancel(ctx))
		}
	}()
	tt := &tx{q: t, notify: map[string]bool{}}
	if err = fn(tt); err != nil {
		return err
	}
	if err = t.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", classify(err))
	}
	for ch := range tt.notify {
		s.notices.send(ch)
	}
	return nil
}

// querier is what *pgxpool.Pool and pgx.Tx have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

type tx struct {
	q querier
	// notify collects the channels to wake once the transaction has
	// committed (see notifier); nil outside Update.
	notify map[string]bool
}

// wake asks for a notification on channel: after the commit in Update,
// in the transaction itself elsewhere.
func (t *tx) wake(ctx context.Context, channel string) error {
	if t.notify != nil {
		t.notify[channel] = true
		return nil
	}
	_, err := t.exec(ctx, `SELECT pg_notify($1, '')`, channel)
	return err
}

func (t *tx) exec(ctx context.Context, query string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.q.Exec(ctx, query, args...)
	if err != nil {
		return tag, classify(err)
	}
	return tag, nil
}

func (t *tx) execOne(ctx context.Context, what, query string, args ...any) error {
	tag, err := t.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return kobo.Errorf(kobo.ENOTFOUND, "%s not found", what)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func one[T any](ctx context.Context, t *tx, what string, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(t.q.QueryRow(ctx, query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		var zero T
		return zero, kobo.Errorf(kobo.ENOTFOUND, "%s not found", what)
	}
	if err != nil {
		var zero T
		return zero, classify(err)
	}
	return v, nil
}

func many[T any](ctx context.Context, t *tx, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := t.q.Query(ctx, query, args...)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, classify(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	return out, nil
}

// utc normalises a time for storage: UTC, microsecond precision (what
// timestamptz keeps).
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := utc(*t)
	return &u
}

func fromPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
