package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testStatementStaging: a widget upload staged in its session is found
// by the session, stays out of the way of accounts' uploads, is deleted
// with its file on request (never once it has an account), and is
// pruned when abandoned.
func testStatementStaging(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "staging@b.ng").ID)
	acct := NewAccount(t, s, a.ID)
	staged := func(id, session, hash string, at time.Time) *kobo.StatementUpload {
		return &kobo.StatementUpload{ID: id, AppID: a.ID, SessionID: session, FileName: "dec.pdf", FileHash: hash, Size: 5,
			Format: "pdf", Status: kobo.UploadStaged, Report: []byte(`{"transactions":2}`), CreatedAt: at, UpdatedAt: at}
	}
	old := staged("up_old", "sess_old", "h-old", T0)
	fresh := staged("up_fresh", "sess_fresh", "h-fresh", T0.Add(time.Hour))
	kept := staged("up_kept", "sess_kept", "h-kept", T0)
	update(t, s, func(tx kobo.Tx) error {
		for _, u := range []*kobo.StatementUpload{old, fresh, kept} {
			if err := tx.CreateStatementUpload(ctx, u); err != nil {
				return err
			}
			if err := tx.PutUploadChunk(ctx, u.ID, 0, []byte("bytes")); err != nil {
				return err
			}
		}
		return nil
	})
	// the same file staged twice is the hash conflict a second upload is
	err := s.Update(ctx, func(tx kobo.Tx) error {
		return tx.CreateStatementUpload(ctx, staged("up_dup", "sess_dup", "h-old", T0))
	})
	wantCode(t, err, kobo.ECONFLICT)
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.StagedUpload(ctx, "sess_old")
		if err != nil || got.ID != old.ID || got.SessionID != "sess_old" || got.Status != kobo.UploadStaged || got.AccountID != "" {
			return fmt.Errorf("StagedUpload = %+v, %v", got, err)
		}
		_, err = tx.StagedUpload(ctx, "sess_none")
		wantCode(t, err, kobo.ENOTFOUND)
		return nil
	})
	// kept is exchanged: it gets an account and is PROCESSING, so neither
	// the session lookup, nor a delete, nor pruning touch it any more
	update(t, s, func(tx kobo.Tx) error {
		kept.AccountID, kept.Status = acct.ID, kobo.UploadProcessing
		if err := tx.UpdateStatementUpload(ctx, kept); err != nil {
			return err
		}
		_, err := tx.StagedUpload(ctx, "sess_kept")
		wantCode(t, err, kobo.ENOTFOUND)
		wantCode(t, tx.DeleteStatementUpload(ctx, kept.ID), kobo.ENOTFOUND)
		return nil
	})
	var n int
	update(t, s, func(tx kobo.Tx) error {
		var err error
		n, err = tx.PruneStagedUploads(ctx, T0.Add(time.Minute), 100)
		return err
	})
	if n != 1 {
		t.Fatalf("pruned %d staged uploads, want 1 (the old one)", n)
	}
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.StatementUpload(ctx, old.ID)
		wantCode(t, err, kobo.ENOTFOUND)
		chunks := 0
		if err := tx.UploadChunks(ctx, old.ID, func([]byte) error { chunks++; return nil }); err != nil || chunks != 0 {
			return fmt.Errorf("the pruned upload left %d chunks (%v)", chunks, err)
		}
		for _, id := range []string{fresh.ID, kept.ID} {
			if _, err := tx.StatementUpload(ctx, id); err != nil {
				return fmt.Errorf("%s: %v", id, err)
			}
		}
		return nil
	})
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.DeleteStatementUpload(ctx, fresh.ID); err != nil {
			return err
		}
		wantCode(t, tx.DeleteStatementUpload(ctx, fresh.ID), kobo.ENOTFOUND)
		return nil
	})
}
