package app

import (
	"container/list"
	"strconv"
	"strings"
	"sync"
)

// pageCache keeps the transaction pages served recently. Partners poll:
// the same account's latest page is read again and again between syncs,
// and on SQLite reading a page of rows costs far more than the request
// around it.
//
// A page can never be served stale. It is keyed by the account and its
// history's version (Account.TxnSeq: the store moves it on every add,
// change and removal, in the transaction that makes the change) and the
// query. The version is read from the database with the account on every
// request, after the ownership and status checks, so a sync on any replica
// changes the key everywhere at once, an unlinked account is refused
// before the cache is consulted, and no app can reach another app's page.
// Memory is bounded in bytes; the least recently used pages go first.
type pageCache struct {
	max int64 // bytes; 0 disables

	mu        sync.Mutex
	size      int64
	lru       *list.List // of *pageEntry, most recent first
	m         map[string]*list.Element
	byAccount map[string]*accountPages
}

// accountPages are the cached pages of one account, all of one history
// version: a page of an older version can never be asked for again (the
// version only grows), so it is dropped as soon as a newer one is cached.
type accountPages struct {
	seq  int64
	keys map[string]bool
}

type pageEntry struct {
	key     string
	account string
	page    *TxnPage
	size    int64
}

func newPageCache(maxBytes int64) *pageCache {
	return &pageCache{max: maxBytes, lru: list.New(), m: map[string]*list.Element{}, byAccount: map[string]*accountPages{}}
}

// pageKey names a page: account, history version and every part of the
// query that changes the answer.
func pageKey(accountID string, seq int64, q TxnQuery) string {
	var b strings.Builder
	b.Grow(64 + len(q.Narration) + len(q.Cursor))
	b.WriteString(accountID)
	b.WriteByte('|')
	b.WriteString(strconv.FormatInt(seq, 10))
	b.WriteByte('|')
	if q.Start != nil {
		b.WriteString(strconv.FormatInt(q.Start.UnixMicro(), 10))
	}
	b.WriteByte('|')
	if q.End != nil {
		b.WriteString(strconv.FormatInt(q.End.UnixMicro(), 10))
	}
	b.WriteByte('|')
	b.WriteString(string(q.Type))
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(q.Limit))
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(q.Page))
	b.WriteByte('|')
	b.WriteString(q.Cursor)
	b.WriteByte('|')
	b.WriteString(q.Narration) // last: it is the one free-text part
	return b.String()
}

// get returns a cached page; callers must not modify it (it is shared).
func (c *pageCache) get(key string) (*TxnPage, bool) {
	if c.max <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(e)
	return e.Value.(*pageEntry).page, true
}

// put stores p, a page of account at history version seq, under key,
// evicting the account's pages of older versions and then the least
// recently used pages until the cache fits. A page larger than a quarter
// of the cache, or of a version older than one already cached, is not kept.
func (c *pageCache) put(account string, seq int64, key string, p *TxnPage) {
	size := pageSize(key, p)
	if c.max <= 0 || size > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		c.lru.MoveToFront(e)
		return
	}
	ap := c.byAccount[account]
	switch {
	case ap == nil:
		ap = &accountPages{seq: seq, keys: map[string]bool{}}
		c.byAccount[account] = ap
	case seq < ap.seq:
		return // read before a sync that has landed since
	case seq > ap.seq:
		for k := range ap.keys {
			c.remove(c.m[k])
		}
		ap = &accountPages{seq: seq, keys: map[string]bool{}}
		c.byAccount[account] = ap
	}
	ap.keys[key] = true
	c.m[key] = c.lru.PushFront(&pageEntry{key: key, account: account, page: p, size: size})
	c.size += size
	for c.size > c.max {
		c.remove(c.lru.Back())
	}
}

// remove drops one cached page; c.mu is held.
func (c *pageCache) remove(e *list.Element) {
	old := e.Value.(*pageEntry)
	c.lru.Remove(e)
	delete(c.m, old.key)
	c.size -= old.size
	if ap := c.byAccount[old.account]; ap != nil {
		delete(ap.keys, old.key)
		if len(ap.keys) == 0 {
			delete(c.byAccount, old.account)
		}
	}
}

// pageSize estimates what a page holds on the heap: its strings and a
// fixed cost per row for the struct, times and pointers.
func pageSize(key string, p *TxnPage) int64 {
	n := int64(len(key) + len(p.Next) + len(p.Prev) + 256)
	for i := range p.Transactions {
		t := &p.Transactions[i]
		n += int64(len(t.ID)+len(t.AccountID)+len(t.ProviderRef)+len(t.Narration)+len(t.Currency)+len(t.Category)) + 200
	}
	return n
}
