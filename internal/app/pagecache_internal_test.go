package app

import (
	"fmt"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestPageCacheKeepsOneVersionPerAccount: caching a page of a newer
// history version drops the account's older pages (nobody can ask for
// them again), a page older than what is cached is not kept, and the byte
// bound holds.
func TestPageCacheKeepsOneVersionPerAccount(t *testing.T) {
	page := func(n int) *TxnPage {
		p := &TxnPage{}
		for i := 0; i < n; i++ {
			p.Transactions = append(p.Transactions, kobo.Transaction{ID: fmt.Sprint(i), Narration: "POS PURCHASE"})
		}
		return p
	}
	c := newPageCache(1 << 20)
	for i := 1; i <= 3; i++ {
		c.put("a", 7, pageKey("a", 7, TxnQuery{Limit: 20, Page: i}), page(20))
	}
	c.put("b", 1, pageKey("b", 1, TxnQuery{Limit: 20, Page: 1}), page(20))
	if len(c.m) != 4 {
		t.Fatalf("%d pages cached, want 4", len(c.m))
	}
	c.put("a", 8, pageKey("a", 8, TxnQuery{Limit: 20, Page: 1}), page(20))
	if len(c.m) != 2 {
		t.Fatalf("after a newer version of a: %d pages, want 2 (a@8, b@1)", len(c.m))
	}
	if _, ok := c.get(pageKey("a", 7, TxnQuery{Limit: 20, Page: 2})); ok {
		t.Fatal("a page of an older version survived")
	}
	c.put("a", 7, pageKey("a", 7, TxnQuery{Limit: 20, Page: 2}), page(20))
	if _, ok := c.get(pageKey("a", 7, TxnQuery{Limit: 20, Page: 2})); ok {
		t.Fatal("a page older than the cached version was kept")
	}
	var sum int64
	for e := c.lru.Front(); e != nil; e = e.Next() {
		sum += e.Value.(*pageEntry).size
	}
	if sum != c.size {
		t.Fatalf("size %d, entries add up to %d", c.size, sum)
	}
	small := newPageCache(int64(pageSize(pageKey("x", 1, TxnQuery{Limit: 20, Page: 1}), page(20))) * 4)
	for i := 0; i < 50; i++ {
		acct := fmt.Sprint("acct", i)
		small.put(acct, 1, pageKey(acct, 1, TxnQuery{Limit: 20, Page: 1}), page(20))
	}
	if small.size > small.max || len(small.m) > 4 || len(small.byAccount) != len(small.m) {
		t.Fatalf("bound broken: size %d of %d, %d pages, %d accounts", small.size, small.max, len(small.m), len(small.byAccount))
	}
}
