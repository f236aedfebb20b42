package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/vault"
)

// TestUnsealFailureIsNotABankError: a replica whose master key does not
// open an account's stored credentials reports that as kobo's own
// problem, with its own code and an error in the log, never as "the bank
// is not responding" (which sent operators to look at the bank).
func TestUnsealFailureIsNotABankError(t *testing.T) {
	t.Parallel()
	bank := newSyncBank(20)
	b := setupConnect(t, bank)
	runJobs(t, b)
	acct := linkAndFetch(t, b)

	other, err := vault.New([]byte(strings.Repeat("z", 32)))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	svc2 := app.New(app.Config{Store: b.store, Clock: b.clock, Sealer: other, FingerprintKey: []byte("fp"), Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Providers: map[string]kobo.Provider{"fake": bank}})
	args, _ := json.Marshal(app.FetchArgs{AccountID: acct.ID, Reason: "sync"})
	err = svc2.FetchAccount(context.Background(), &kobo.Job{Kind: "account.fetch", Args: args, Attempt: 1, MaxAttempts: 3})
	if kobo.ErrorCode(err) != kobo.EUNSEAL {
		t.Fatalf("fetch with another master key = %v (code %q), want %q", err, kobo.ErrorCode(err), kobo.EUNSEAL)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "does not open with this replica's master key") {
		t.Errorf("no error logged: %s", logs.String())
	}
	// the last attempt settles the account instead of retrying for ever
	if err := svc2.FetchAccount(context.Background(), &kobo.Job{Kind: "account.fetch", Args: args, Attempt: 3, MaxAttempts: 3}); err != nil {
		t.Fatal(err)
	}
}
