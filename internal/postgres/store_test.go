package postgres_test

import (
	"context"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/postgres/pgtest"
	"github.com/kobo-oss/kobo/internal/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) kobo.Store { return pgtest.Open(t) })
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	s := pgtest.Open(t)
	done, err := s.Migrate(context.Background(), kobo.SystemClock{})
	if err != nil || len(done) != 0 {
		t.Fatalf("second Migrate = %v, %v", done, err)
	}
}
