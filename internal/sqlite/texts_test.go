package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/storetest"
)

// TestStatementTextsStayFew: batches of every size from 1 to 150 rows, and
// IN lists of every length, prepare a handful of statement texts, not one
// per size (each prepared text stays in memory for the connection's life).
func TestStatementTextsStayFew(t *testing.T) {
	ctx := context.Background()
	s := migrated(t, filepath.Join(t.TempDir(), "kobo.db"))
	p := storetest.NewPartner(t, s, "batch@ada.ng")
	a := storetest.NewApp(t, s, p.ID)
	acct := storetest.NewAccount(t, s, a.ID)
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	added, ref := 0, 0
	for n := 1; n <= 150; n++ {
		txns := make([]kobo.Transaction, n)
		reqs := make([]kobo.APIRequest, n)
		types := make([]string, n%7+1)
		for i := range txns {
			ref++
			txns[i] = kobo.Transaction{ID: fmt.Sprintf("txn_%06d", ref), ProviderRef: fmt.Sprintf("ref_%06d", ref), Type: kobo.Debit, Amount: int64(ref),
				Narration: "POS", Date: at.Add(time.Duration(ref) * time.Minute), Currency: "NGN", CreatedAt: at, UpdatedAt: at}
			reqs[i] = kobo.APIRequest{ID: fmt.Sprintf("req_%06d", ref), AppID: a.ID, Method: "GET", Path: "/v2/accounts", Route: "/v2/accounts", Status: 200, CreatedAt: at}
		}
		for i := range types {
			types[i] = fmt.Sprintf("mono.events.type_%d", i)
		}
		err := s.Update(ctx, func(tx kobo.Tx) error {
			m, err := tx.InsertTransactions(ctx, acct.ID, txns)
			added += m.Added
			if err != nil {
				return err
			}
			if err := tx.InsertAPIRequests(ctx, reqs); err != nil {
				return err
			}
			_, err = tx.Events(ctx, kobo.EventFilter{AppID: a.ID, Types: types, Limit: 10})
			return err
		})
		if err != nil {
			t.Fatalf("batch of %d: %v", n, err)
		}
	}
	if added != ref {
		t.Fatalf("added %d rows, want %d", added, ref)
	}
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM api_requests`).Scan(&n); err != nil || n != ref {
		t.Fatalf("api_requests has %d rows (%v), want %d", n, err, ref)
	}
	// the writer's cache now holds what it met
	s.wStmts.mu.Lock()
	defer s.wStmts.mu.Unlock()
	texts := map[string]int{}
	for q := range s.wStmts.m {
		for _, prefix := range []string{"INSERT INTO transactions", "INSERT INTO api_requests", "SELECT " + eventCols + " FROM events WHERE app_id"} {
			if strings.HasPrefix(q, prefix) {
				texts[prefix]++
			}
		}
	}
	for prefix, got := range texts {
		if got > 4 {
			t.Errorf("%d texts start %q, want at most 4 (one per batch size)", got, prefix)
		}
	}
	if len(texts) != 3 {
		t.Errorf("cached families = %v, want all three statements prepared", texts)
	}
}

func TestInListPads(t *testing.T) {
	for n, want := range map[int]int{1: 1, 2: 4, 4: 4, 5: 16, 16: 16, 17: 64, 64: 64, 65: 256} {
		args := []any{"x"}
		for i := 0; i < n; i++ {
			args = append(args, i)
		}
		in, got := inList(args, n)
		if strings.Count(in, "?") != want || len(got) != 1+want || got[len(got)-1] != n-1 {
			t.Errorf("inList(%d) = %q with %d args, want %d placeholders padded with the last value", n, in, len(got), want)
		}
	}
}

// TestNoStatementIsRecompiled runs the conformance suite, collects every
// statement text it left prepared, and runs each again on a fresh database
// with new values bound: SQLite must not have to compile any of them again
// (it does when the plan read a bound value, see texts.go), or keeping
// them prepared buys nothing.
func TestNoStatementIsRecompiled(t *testing.T) {
	var mu sync.Mutex
	texts := map[string]bool{}
	t.Run("conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) kobo.Store {
			s := migrated(t, filepath.Join(t.TempDir(), "kobo.db"))
			t.Cleanup(func() { // runs first: the texts, before Close drops them
				mu.Lock()
				defer mu.Unlock()
				for _, c := range []*stmtCache{s.wStmts, s.rStmts} {
					c.mu.Lock()
					for q := range c.m {
						texts[q] = true
					}
					c.mu.Unlock()
				}
			})
			return s
		})
	})
	if len(texts) < 50 {
		t.Fatalf("the suite left %d statements prepared; expected the store's working set", len(texts))
	}

	path := filepath.Join(t.TempDir(), "fresh.db")
	migrated(t, path).Close()
	tls := libc.NewTLS()
	defer tls.Close()
	cpath, err := libc.CString(path)
	if err != nil {
		t.Fatal(err)
	}
	defer libc.Xfree(tls, cpath)
	// out-parameters in the C heap, as the transpiled code expects (the
	// race detector's pointer checks refuse Go memory there)
	pdb := tls.Alloc(8)
	defer tls.Free(8)
	if rc := sqlite3.Xsqlite3_open_v2(tls, cpath, pdb, sqlite3.SQLITE_OPEN_READWRITE, 0); rc != sqlite3.SQLITE_OK {
		t.Fatalf("open: %d", rc)
	}
	db := cword(pdb)
	defer sqlite3.Xsqlite3_close_v2(tls, db)
	pst := tls.Alloc(8)
	defer tls.Free(8)
	for q := range texts {
		cq, _ := libc.CString(q)
		rc := sqlite3.Xsqlite3_prepare_v2(tls, db, cq, -1, pst, 0)
		libc.Xfree(tls, cq)
		if rc != sqlite3.SQLITE_OK {
			t.Fatalf("prepare (%d): %s", rc, q)
		}
		st := cword(pst)
		n := sqlite3.Xsqlite3_bind_parameter_count(tls, st)
		for run := 0; run < 3; run++ {
			for p := int32(1); p <= n; p++ {
				// text that reads as a number: valid for every column and
				// for LIMIT, and new on each run
				v, _ := libc.CString(fmt.Sprint(run + 1))
				sqlite3.Xsqlite3_bind_text(tls, st, p, v, -1, ^uintptr(0)) // SQLITE_TRANSIENT: SQLite copies it
				libc.Xfree(tls, v)
			}
			for i := 0; i < 10 && sqlite3.Xsqlite3_step(tls, st) == sqlite3.SQLITE_ROW; i++ {
			}
			sqlite3.Xsqlite3_reset(tls, st)
		}
		if re := sqlite3.Xsqlite3_stmt_status(tls, st, sqlite3.SQLITE_STMTSTATUS_REPREPARE, 0); re != 0 {
			t.Errorf("compiled again %d times in 3 runs: %s", re, q)
		}
		sqlite3.Xsqlite3_finalize(tls, st)
	}
}

// cword reads the pointer-sized word at p, an address in the C heap.
func cword(p uintptr) uintptr { return *(*uintptr)(unsafe.Add(nil, p)) }
