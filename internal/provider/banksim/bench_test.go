package banksim_test

import (
	"context"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
	connector "github.com/kobo-oss/kobo/internal/provider/banksim"
)

// BenchmarkFetch100k fetches 100,000 transactions of user_huge through
// the connector over loopback HTTP (target ≥ 100,000 rows/s).
func BenchmarkFetch100k(b *testing.B) {
	bd := setup(b, connector.Config{})
	ctx := context.Background()
	in := bd.gtbank()
	m := in.AuthMethods[0]
	step, err := bd.conn.Login(ctx, kobo.LoginRequest{Institution: in, AuthMethod: m.Type, Fields: creds("user_huge", m.UI), Interactive: true})
	if err != nil {
		b.Fatal(err)
	}
	accts, _ := bd.conn.Accounts(ctx, *step.Session)
	from := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	rows := 0
	for i := 0; i < b.N; i++ {
		n := 0
		err := bd.conn.Transactions(ctx, *step.Session, accts[0].Ref, kobo.TxnQuery{From: from, PageSize: 5000}, func(p []kobo.BankTransaction) error {
			n += len(p)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n < 100_000 {
			b.Fatalf("fetched %d rows", n)
		}
		rows += n
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
