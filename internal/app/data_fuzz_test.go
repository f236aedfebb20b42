package app

import (
	"net/url"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// FuzzParseTxnQuery: any query string either parses into a query that
// respects the limits or fails with a field-level EINVALID, never panics.
func FuzzParseTxnQuery(f *testing.F) {
	for _, s := range []string{"", "start=01-10-2020&end=31-10-2020", "type=credit&narration=uber", "paginate=false", "limit=1000&page=3",
		"start=31-02-2020", "limit=-1", "page=1e9", "type=DEBIT", "cursor=bnwxfGFiY3wxNzAwMDAwMDAwMDAwfGlk"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		out, err := ParseTxnQuery(q)
		if err != nil {
			if kobo.ErrorCode(err) != kobo.EINVALID {
				t.Fatalf("%q: %v is not EINVALID", raw, err)
			}
			return
		}
		if out.Limit < 1 || out.Limit > MaxPageSize || out.Page < 1 {
			t.Fatalf("%q: limit %d page %d", raw, out.Limit, out.Page)
		}
		if out.Start != nil && out.End != nil && out.Start.After(*out.End) {
			t.Fatalf("%q: start after end", raw)
		}
		if out.Type != "" && out.Type != kobo.Debit && out.Type != kobo.Credit {
			t.Fatalf("%q: type %q", raw, out.Type)
		}
	})
}

// FuzzPageCursor: cursors round-trip, and garbage is refused cleanly.
func FuzzPageCursor(f *testing.F) {
	f.Add("n", 2, "acct", int64(1700000000000000), "tx1", "garbage")
	f.Fuzz(func(t *testing.T, dir string, page int, account string, us int64, id string, junk string) {
		if _, err := decodePageCursor(junk, account); err != nil && kobo.ErrorCode(err) != kobo.EINVALID {
			t.Fatal(err)
		}
		if (dir != "n" && dir != "p") || page < 1 || id == "" || account == "" {
			return
		}
		for _, s := range []string{account, id} {
			for _, c := range s {
				if c == '|' {
					return
				}
			}
		}
		c := pageCursor{dir: dir[0], page: page, account: account, key: kobo.TxnKey{Date: time.UnixMicro(us).UTC(), ID: id}}
		got, err := decodePageCursor(c.encode(), account)
		if err != nil || got != c {
			t.Fatalf("round trip: %+v → %+v, %v", c, got, err)
		}
	})
}
