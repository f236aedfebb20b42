package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is kobo.Store on SQLite.
type Store struct {
	path   string
	write  *sql.DB // exactly one connection; BEGIN IMMEDIATE
	gate   *writeGate
	read   *sql.DB // read-only connections
	wStmts *stmtCache
	rStmts *stmtCache

	ckpt          *sql.DB       // the checkpointer's connection
	dirty         chan struct{} // a commit happened since the last checkpoint
	stop, stopped chan struct{}
	closeOnce     sync.Once
}

var _ kobo.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path. It does not
// migrate; call Migrate.
func Open(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	// Create the file owner-only before SQLite does: it holds password
	// hashes, key hashes and sealed bank credentials. SQLite gives its WAL
	// and shared-memory files the database file's permissions.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err == nil {
		f.Close()
	}
	pragmas := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)",
		"busy_timeout(10000)",
		"foreign_keys(1)",
		"synchronous(NORMAL)", // durable across process crashes in WAL; an OS crash may lose the last commits
		"temp_store(MEMORY)",
		// Deleted and overwritten rows are zeroed, not left in free space:
		// an unlinked account's data, a purged app's customers and the
		// plaintext the 0008 upgrade seals must not stay in the file.
		"secure_delete(1)",
	} {
		pragmas.Add("_pragma", p)
	}
	w := url.Values{}
	for k, v := range pragmas {
		w[k] = append([]string(nil), v...)
	}
	// The writer never checkpoints: SQLite would do it inside whichever
	// commit crosses the threshold, copying pages and fsyncing the file
	// while a request waits. The checkpointer does it beside the writer.
	w.Add("_pragma", "wal_autocheckpoint(0)")
	w.Set("_txlock", "immediate")
	write, err := sql.Open("sqlite", "file:"+path+"?"+w.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "query_only(1)", "temp_store(MEMORY)"} {
		r.Add("_pragma", p)
	}
	read, err := sql.Open("sqlite", "file:"+path+"?"+r.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite read pool: %w", err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxIdleTime(5 * time.Minute)
	// The checkpointer waits for readers only briefly (see checkpointer).
	c := url.Values{}
	for k, v := range pragmas {
		c[k] = append([]string(nil), v...)
	}
	c["_pragma"] = slices.DeleteFunc(c["_pragma"], func(p string) bool { return strings.HasPrefix(p, "busy_timeout") })
	c.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", restartWait.Milliseconds()))
	ckpt, err := sql.Open("sqlite", "file:"+path+"?"+c.Encode())
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("open sqlite checkpointer: %w", err)
	}
	ckpt.SetMaxOpenConns(1)
	s := &Store{path: path, write: write, read: read, gate: newWriteGate(), wStmts: newStmtCache(write), rStmts: newStmtCache(read),
		ckpt: ckpt, dirty: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	go s.checkpointer()
	return s, nil
}

// checkpointInterval is how often the checkpointer copies committed WAL
// frames into the database file (when there were commits).
const checkpointInterval = 250 * time.Millisecond

// walLimit is the WAL size past which the checkpointer restarts the log.
const walLimit = 64 << 20

// restartWait bounds how long a restart waits for readers of old frames.
// While it waits, writers wait too, and a reader is always about to finish:
// given up quickly, the restart is tried again on the next tick. (With the
// 10 s busy timeout every connection has, and TRUNCATE's ftruncate of the
// file on top, a reset held writers up for 70-85 ms each second of a burst
// of first fetches: the p99 of a connect step was 124 ms on the 2-CPU
// Xeon; RESTART with this bound brought it to 48-76 ms, against 40 ms with
// no resets at all.)
const restartWait = 5 * time.Millisecond

// checkpointer runs checkpoints on its own connection. PASSIVE ones copy
// what no reader still needs and wait for nobody, so commits stay cheap.
// But under steady writes with readers always active a PASSIVE checkpoint
// never catches up with the end of the log, and SQLite only starts the log
// over once one has: the WAL (and its index, mapped into memory) would grow
// without end. So once the WAL passes walLimit, a RESTART checkpoint waits
// for the readers of old frames to finish, at most restartWait (new
// writers wait meanwhile), and the next commit writes the log from its
// start again: the file stays about walLimit long. TRUNCATE at Close
// leaves a clean file behind.
func (s *Store) checkpointer() {
	defer close(s.stopped)
	tick := time.NewTicker(checkpointInterval)
	defer tick.Stop()
	pending := false
	for {
		select {
		case <-s.stop:
			// closing: the last readers are finishing, so wait for them
			_, _ = s.ckpt.Exec(`PRAGMA busy_timeout = 5000`)
			_, _ = s.ckpt.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
			return
		case <-s.dirty:
			pending = true
		case <-tick.C:
			if !pending {
				continue
			}
			pending = false
			_, _ = s.ckpt.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
			if fi, err := os.Stat(s.path + "-wal"); err == nil && fi.Size() > walLimit {
				// Straight after the passive one, so it has only the
				// frames of the last few milliseconds left to copy: the
				// writers it holds up wait for that, not for 250 ms of
				// writes (a burst of first fetches writes megabytes).
				// RESTART, not TRUNCATE: the next writer starts the log
				// over, reusing the file, where truncating it to zero cost
				// 44 ms on an ext4 mounted with discard, writers waiting.
				_, _ = s.ckpt.Exec(`PRAGMA wal_checkpoint(RESTART)`)
			}
		}
	}
}

// Engine returns "sqlite".
func (s *Store) Engine() string { return "sqlite" }

// Path returns the database file.
func (s *Store) Path() string { return s.path }

// Close closes both pools.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.stop); <-s.stopped })
	s.rStmts.close()
	s.wStmts.close()
	return errors.Join(s.read.Close(), s.write.Close(), s.ckpt.Close())
}

// Ping checks both pools answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return err
	}
	return s.read.PingContext(ctx)
}

// View runs fn on the read pool. Each statement sees a consistent snapshot;
// fn that needs one snapshot across statements should use Update.
func (s *Store) View(ctx context.Context, fn func(kobo.Tx) error) error {
	return fn(&tx{q: preparedDB{db: s.read, stmts: s.rStmts}})
}

// Update runs fn in one IMMEDIATE transaction on the writer.
func (s *Store) Update(ctx context.Context, fn func(kobo.Tx) error) (err error) {
	if err := s.gate.enter(ctx, kobo.IsBackground(ctx)); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer s.gate.leave()
	defer func() {
		if s.wStmts.hasPending() {
			s.wStmts.preparePending(ctx)
		}
	}()
	t, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", classify(err))
	}
	defer func() {
		if p := recover(); p != nil {
			_ = t.Rollback()
			panic(p)
		}
		if err != nil {
			_ = t.Rollback()
		}
	}()
	if err = fn(&tx{q: preparedTx{tx: t, stmts: s.wStmts}, raw: t}); err != nil {
		return err
	}
	if err = t.Commit(); err != nil {
		return fmt.Errorf("commit: %w", classify(err))
	}
	select {
	case s.dirty <- struct{}{}:
	default:
	}
	return nil
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx implements kobo.Tx over a querier.
type tx struct {
	q   querier
	raw *sql.Tx // the transaction itself in Update (migrations run scripts on it)
}

func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := t.q.ExecContext(ctx, query, args...)
	if err != nil {
		return nil, classify(err)
	}
	return res, nil
}

// execOne runs a statement that must touch one row; none is ENOTFOUND.
func (t *tx) execOne(ctx context.Context, what, query string, args ...any) error {
	res, err := t.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return kobo.Errorf(kobo.ENOTFOUND, "%s not found", what)
	}
	return nil
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// one runs a single-row query and scans it with fn.
func one[T any](ctx context.Context, t *tx, what string, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(t.q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		var zero T
		return zero, kobo.Errorf(kobo.ENOTFOUND, "%s not found", what)
	}
	if err != nil {
		var zero T
		return zero, classify(err)
	}
	return v, nil
}

// many runs a query and scans every row with fn.
func many[T any](ctx context.Context, t *tx, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := t.q.QueryContext(ctx, query, args...)
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

// ts converts a time to stored microseconds.
func ts(t time.Time) int64 { return t.UTC().UnixMicro() }

// tsPtr converts an optional time.
func tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

// fromTS converts stored microseconds to a UTC time.
func fromTS(us int64) time.Time { return time.UnixMicro(us).UTC() }

// fromNullTS converts an optional stored time.
func fromNullTS(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromTS(n.Int64)
	return &t
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
