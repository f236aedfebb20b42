package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/sqlite"
	"github.com/kobo-oss/kobo/internal/storetest"
)

func open(t *testing.T) kobo.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "kobo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background(), kobo.SystemClock{}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, open)
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kobo.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.MigrationStatus(ctx)
	if err != nil || len(st.Pending) == 0 || len(st.Applied) != 0 {
		t.Fatalf("fresh status = %+v, %v", st, err)
	}
	done, err := s.Migrate(ctx, kobo.SystemClock{})
	if err != nil || len(done) != len(st.Pending) {
		t.Fatalf("Migrate = %v, %v", done, err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done, err = s.Migrate(ctx, kobo.SystemClock{})
	if err != nil || len(done) != 0 {
		t.Fatalf("second Migrate = %v, %v", done, err)
	}
}
