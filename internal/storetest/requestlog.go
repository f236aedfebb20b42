package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func testListAccounts(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "list@b.ng").ID)
	other := NewApp(t, s, NewPartner(t, s, "other@b.ng").ID)
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, NewAccount(t, s, a.ID).ID)
	}
	NewAccount(t, s, other.ID)
	view(t, s, func(tx kobo.Tx) error {
		list, total, err := tx.ListAccounts(ctx, a.ID, false, 2, 1)
		if err != nil {
			return err
		}
		if total != 5 || len(list) != 2 {
			return fmt.Errorf("ListAccounts: %d of %d", len(list), total)
		}
		for _, x := range list {
			if x.AppID != a.ID {
				return fmt.Errorf("another app's account %s", x.ID)
			}
		}
		if _, total, _ := tx.ListAccounts(ctx, a.ID, true, 10, 0); total != 0 {
			return fmt.Errorf("live accounts: %d", total)
		}
		return nil
	})
}

func testRequestLog(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	var rs []kobo.APIRequest
	for i := 0; i < 300; i++ { // crosses the adapters' batch sizes
		status := []int{200, 201, 400, 404, 500}[i%5]
		method := []string{"GET", "POST"}[i%2]
		rs = append(rs, kobo.APIRequest{ID: fmt.Sprintf("r%04d", i), AppID: "app1", Live: i%10 == 0, Method: method, Path: fmt.Sprintf("/accounts/%d/transactions", i),
			Route: method + " /accounts/{id}/transactions", Status: status, LatencyUS: int64(i), RequestID: "req", CreatedAt: T0.Add(time.Duration(i) * time.Second)})
	}
	rs = append(rs, kobo.APIRequest{ID: "x", AppID: "app2", Method: "GET", Path: "/v2/accounts/1/balance", Route: "GET /v2/accounts/{id}/balance", Status: 200, CreatedAt: T0})
	update(t, s, func(tx kobo.Tx) error { return tx.InsertAPIRequests(ctx, rs) })
	sandbox := false
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.ListAPIRequests(ctx, kobo.APIRequestFilter{AppID: "app1", Limit: 1000})
		if err != nil {
			return err
		}
		if len(got) != 300 || got[0].ID != "r0299" || !got[0].CreatedAt.Equal(rs[299].CreatedAt) || got[0].LatencyUS != 299 || got[0].Route != rs[299].Route {
			return fmt.Errorf("all: %d, first %+v", len(got), got[0])
		}
		got, err = tx.ListAPIRequests(ctx, kobo.APIRequestFilter{AppID: "app1", Live: &sandbox, Method: "POST", StatusClass: 4, PathPrefix: "/accounts/1", Limit: 1000})
		if err != nil {
			return err
		}
		for _, r := range got {
			if r.Live || r.Method != "POST" || r.Status < 400 || r.Status >= 500 || r.Path[:10] != "/accounts/" || r.Path[10] != '1' {
				return fmt.Errorf("filtered: %+v", r)
			}
		}
		if len(got) == 0 {
			return fmt.Errorf("filtered: nothing")
		}
		before := T0.Add(10 * time.Second)
		got, err = tx.ListAPIRequests(ctx, kobo.APIRequestFilter{AppID: "app1", Before: &before, Limit: 3})
		if err == nil && (len(got) != 3 || got[0].ID != "r0009") {
			err = fmt.Errorf("before: %+v", got)
		}
		return err
	})
	var n int
	update(t, s, func(tx kobo.Tx) error {
		var err error
		n, err = tx.PruneAPIRequests(ctx, T0.Add(100*time.Second), 1000)
		return err
	})
	if n != 101 { // app1's first 100 and app2's one
		t.Fatalf("pruned %d", n)
	}
}

// testRequestLogErrorBodies: a line keeps its error body whole (the
// multi-row insert and COPY paths alike) and is found by its request id.
func testRequestLogErrorBodies(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	body := `{"status":"failed","message":"Account not found: ✓ ` + strings.Repeat("x", 900) + `","timestamp":"t","data":[]}`
	var rs []kobo.APIRequest
	for i := range 40 {
		r := kobo.APIRequest{ID: fmt.Sprintf("e%04d", i), AppID: "errapp", Method: "GET", Path: "/v2/accounts/x", Route: "GET /v2/accounts/{id}",
			Status: 200, RequestID: fmt.Sprintf("req_%d", i), CreatedAt: T0.Add(time.Duration(i) * time.Second)}
		if i%4 == 0 {
			r.Status, r.ErrorBody = 404, body
		}
		rs = append(rs, r)
	}
	update(t, s, func(tx kobo.Tx) error { return tx.InsertAPIRequests(ctx, rs) })
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.ListAPIRequests(ctx, kobo.APIRequestFilter{AppID: "errapp", RequestID: "req_8", Limit: 10})
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].ID != "e0008" || got[0].ErrorBody != body || got[0].RequestID != "req_8" {
			return fmt.Errorf("by request id req_8: %+v", got)
		}
		got, err = tx.ListAPIRequests(ctx, kobo.APIRequestFilter{AppID: "errapp", RequestID: "req_9", Limit: 10})
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].ErrorBody != "" || got[0].Status != 200 {
			return fmt.Errorf("a success line: %+v", got)
		}
		if got, _ := tx.ListAPIRequests(ctx, kobo.APIRequestFilter{AppID: "app1", RequestID: "req_8", Limit: 10}); len(got) != 0 {
			return fmt.Errorf("another app's request id matched: %+v", got)
		}
		return nil
	})
}
