package app_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestTransactionPagesFollowSync reads the same page before and after a
// sync that adds rows, and after a sync that removes one: the cached page
// must never outlive the history it was read from.
func TestTransactionPagesFollowSync(t *testing.T) {
	t.Parallel()
	bank := newSyncBank(30)
	b := setupConnect(t, bank)
	runJobs(t, b)
	ctx := context.Background()
	acct := linkAndFetch(t, b)
	q, err := app.ParseTxnQuery(url.Values{"limit": {"10"}})
	if err != nil {
		t.Fatal(err)
	}
	first := func() *app.TxnPage {
		t.Helper()
		p, err := b.svc.Transactions(ctx, b.caller, acct.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p1, p2 := first(), first()
	if p1.Total != 30 || p1 != p2 {
		t.Fatalf("a repeated read should be the cached page: total %d, same %v", p1.Total, p1 == p2)
	}

	bank.mu.Lock()
	bank.add(start.Add(time.Minute))
	bank.mu.Unlock()
	b.clock.Add(app.ManualSyncInterval + time.Second)
	if out, err := b.svc.SyncNow(ctx, b.caller, acct.ID, false, 5*time.Second); err != nil || !out.HasNewData {
		t.Fatalf("sync = %+v, %v", out, err)
	}
	p3 := first()
	if p3.Total != 31 || p3.Transactions[0].ProviderRef != "r30" {
		t.Fatalf("after a sync with a new row: total %d, newest %s", p3.Total, p3.Transactions[0].ProviderRef)
	}

	// the bank drops a row inside the look-back window: the page loses it
	bank.mu.Lock()
	bank.txns = append(bank.txns[:29:29], bank.txns[30:]...)
	bank.mu.Unlock()
	b.clock.Add(app.ManualSyncInterval + time.Second)
	if out, err := b.svc.SyncNow(ctx, b.caller, acct.ID, true, 5*time.Second); err != nil || out.Code != app.SyncSuccessful {
		t.Fatalf("sync with a removal = %+v, %v", out, err)
	}
	p4 := first()
	for _, x := range p4.Transactions {
		if x.ProviderRef == "r29" {
			t.Fatalf("a removed row is still on the page: %+v", p4.Transactions)
		}
	}
	if p4.Total != 30 {
		t.Fatalf("total after a removal = %d", p4.Total)
	}

	// an unlinked account is refused, cached pages or not
	if err := b.svc.Unlink(ctx, b.caller, acct.ID); err != nil {
		t.Fatal(err)
	}
	_, err = b.svc.Transactions(ctx, b.caller, acct.ID, q)
	code(t, err, kobo.ENOTFOUND)
}

// TestFilteredTotals: a filtered page's total is right on every page, the
// first, a middle one, the last (where it comes from the rows the page
// read, not from a second count), past the end, and when nothing matches.
func TestFilteredTotals(t *testing.T) {
	t.Parallel()
	b := setupConnect(t, newSyncBank(30))
	runJobs(t, b)
	acct := linkAndFetch(t, b)
	for _, c := range []struct {
		query       url.Values
		total, rows int
	}{
		{url.Values{"narration": {"nip"}, "limit": {"7"}}, 30, 7},
		{url.Values{"narration": {"nip"}, "limit": {"7"}, "page": {"3"}}, 30, 7},
		{url.Values{"narration": {"nip"}, "limit": {"7"}, "page": {"5"}}, 30, 2},
		{url.Values{"narration": {"nip"}, "limit": {"10"}, "page": {"3"}}, 30, 10},
		{url.Values{"narration": {"nip"}, "limit": {"7"}, "page": {"9"}}, 30, 0},
		{url.Values{"narration": {"nip"}, "limit": {"50"}}, 30, 30},
		{url.Values{"narration": {"nobody"}}, 0, 0},
		{url.Values{"type": {"debit"}, "page": {"2"}}, 0, 0},
	} {
		q, err := app.ParseTxnQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		p, err := b.svc.Transactions(context.Background(), b.caller, acct.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != c.total || len(p.Transactions) != c.rows {
			t.Errorf("%v: total %d with %d rows, want %d with %d", c.query, p.Total, len(p.Transactions), c.total, c.rows)
		}
	}
}
