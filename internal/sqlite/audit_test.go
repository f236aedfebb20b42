package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/storetest"
)

// TestAuditLogAppendOnly: below the code, the database itself refuses to
// change or delete an audit line.
func TestAuditLogAppendOnly(t *testing.T) {
	s := migrated(t, filepath.Join(t.TempDir(), "kobo.db"))
	ctx := context.Background()
	if err := s.Update(ctx, func(tx kobo.Tx) error {
		return tx.AppendAudit(ctx, &kobo.AuditEntry{ID: "a1", OrgID: "o", ActorID: "u", ActorEmail: "u@b.ng", Action: "keys.rotated", Source: "api", CreatedAt: storetest.T0})
	}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_log SET detail = 'x'`, `DELETE FROM audit_log`} {
		if _, err := s.write.ExecContext(ctx, q); err == nil {
			t.Errorf("%s was allowed", q)
		}
	}
}
