package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testRequestLogCap: trimming keeps the newest lines of every app together
// and deletes the oldest, in batches of at most limit.
func testRequestLogCap(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	var rs []kobo.APIRequest
	for i := 0; i < 250; i++ {
		rs = append(rs, kobo.APIRequest{ID: fmt.Sprintf("c%04d", i), AppID: []string{"capA", "capB"}[i%2], Method: "GET", Path: "/accounts", Route: "GET /accounts",
			Status: 200, CreatedAt: T0.Add(time.Duration(i) * time.Second)})
	}
	update(t, s, func(tx kobo.Tx) error { return tx.InsertAPIRequests(ctx, rs) })
	trim := func(keep, limit int) int {
		var n int
		update(t, s, func(tx kobo.Tx) error {
			var err error
			n, err = tx.TrimAPIRequests(ctx, keep, limit)
			return err
		})
		return n
	}
	if n := trim(1000, 1000); n != 0 {
		t.Fatalf("trim under the cap deleted %d", n)
	}
	if n := trim(100, 60); n != 60 {
		t.Fatalf("first batch deleted %d, want the limit 60", n)
	}
	if n := trim(100, 1000); n != 90 {
		t.Fatalf("second batch deleted %d, want the remaining 90", n)
	}
	if n := trim(100, 1000); n != 0 {
		t.Fatalf("trim at the cap deleted %d", n)
	}
	view(t, s, func(tx kobo.Tx) error {
		total := 0
		for _, app := range []string{"capA", "capB"} {
			got, err := tx.ListAPIRequests(ctx, kobo.APIRequestFilter{AppID: app, Limit: 500})
			if err != nil {
				return err
			}
			total += len(got)
			for _, r := range got {
				if r.ID < "c0150" {
					return fmt.Errorf("%s kept old line %s", app, r.ID)
				}
			}
		}
		if total != 100 {
			return fmt.Errorf("%d lines left, want 100", total)
		}
		return nil
	})
}
