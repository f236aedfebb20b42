package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/vault"
)

// TestBankErrorsAndFetchOutcomesAreObserved: a bank that refuses the
// login is reported by institution, call and kind, and a finished first
// fetch reports its outcome, through the hooks cli wires to /metrics.
func TestBankErrorsAndFetchOutcomesAreObserved(t *testing.T) {
	t.Parallel()
	bank := newSyncBank(5)
	b := setupConnect(t, bank)
	var mu sync.Mutex
	var bankErrs, fetches []string
	v, _ := vault.New([]byte("0123456789abcdef0123456789abcdef"))
	b.svc = app.New(app.Config{Store: b.store, Clock: b.clock, Sealer: v, FingerprintKey: []byte("fp"),
		Providers: map[string]kobo.Provider{"fake": bank}, PasswordParams: app.PasswordParams{Memory: 64, Time: 1, Threads: 1},
		BankError: func(inst, call string, kind kobo.BankErrorKind) {
			mu.Lock()
			bankErrs = append(bankErrs, inst+"/"+call+"/"+string(kind))
			mu.Unlock()
		},
		FetchOutcome: func(reason, code string) {
			mu.Lock()
			fetches = append(fetches, reason+"/"+code)
			mu.Unlock()
		}})
	runJobs(t, b)
	ctx := context.Background()
	cs := b.session(t)
	if _, err := b.svc.ConnectLogin(ctx, b.caller, cs.ID, map[string]string{"username": "ada", "password": "wrong"}); err == nil {
		t.Fatal("a wrong password logged in")
	}
	linkAndFetch(t, b)
	// the outcome is reported just after the fetch's transaction commits
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := len(fetches)
		mu.Unlock()
		if n > 0 {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bankErrs) != 1 || bankErrs[0] != "GTBank/login/bad_credentials" {
		t.Errorf("bank errors observed: %v", bankErrs)
	}
	if len(fetches) != 1 || fetches[0] != "link/SYNC_SUCCESSFUL" {
		t.Errorf("fetch outcomes observed: %v", fetches)
	}
}
