package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func testStatementUploads(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	a := NewApp(t, s, NewPartner(t, s, "upload@b.ng").ID)
	acct := NewAccount(t, s, a.ID)
	u := &kobo.StatementUpload{ID: kobo.NewID(T0), AppID: a.ID, AccountID: acct.ID, CustomerID: "cust", FileName: "dec.csv", FileHash: "h1",
		Size: 3 << 20, Format: "csv", BankCode: "058", Reference: "ref-1", Password: "k1.pw", Status: kobo.UploadProcessing, CreatedAt: T0, UpdatedAt: T0}
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.CreateStatementUpload(ctx, u); err != nil {
			return err
		}
		for i := range 3 {
			if err := tx.PutUploadChunk(ctx, u.ID, i, bytes.Repeat([]byte{byte('a' + i)}, 1<<20)); err != nil {
				return err
			}
		}
		return nil
	})
	// a failed upload without an account, of another file
	failed := &kobo.StatementUpload{ID: kobo.NewID(T0) + "f", AppID: a.ID, FileName: "x.pdf", FileHash: "h2", Size: 10, Status: kobo.UploadFailed,
		Error: "no table", CreatedAt: T0, UpdatedAt: T0}
	update(t, s, func(tx kobo.Tx) error { return tx.CreateStatementUpload(ctx, failed) })
	view(t, s, func(tx kobo.Tx) error {
		got, err := tx.StatementUpload(ctx, u.ID)
		if err == nil && (got.AccountID != acct.ID || got.FileHash != "h1" || got.Size != 3<<20 || got.Password != "k1.pw" ||
			got.Status != kobo.UploadProcessing || got.Report != nil || !got.CreatedAt.Equal(T0) || got.Live) {
			err = fmt.Errorf("StatementUpload = %+v", got)
		}
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := tx.UploadChunks(ctx, u.ID, func(b []byte) error { buf.Write(b); return nil }); err != nil {
			return err
		}
		if buf.Len() != 3<<20 || buf.Bytes()[0] != 'a' || buf.Bytes()[2<<20] != 'c' {
			return fmt.Errorf("chunks read back %d bytes", buf.Len())
		}
		if f, err := tx.StatementUpload(ctx, failed.ID); err != nil || f.AccountID != "" || f.Error != "no table" {
			return fmt.Errorf("failed upload = %+v, %v", f, err)
		}
		got, err = tx.StatementUploadByHash(ctx, a.ID, false, "h1")
		if err != nil || got.ID != u.ID {
			return fmt.Errorf("by hash = %+v, %v", got, err)
		}
		_, err = tx.StatementUploadByHash(ctx, a.ID, true, "h1")
		wantCode(t, err, kobo.ENOTFOUND)
		_, err = tx.StatementUploadByHash(ctx, a.ID, false, "h2") // failed ones do not count
		wantCode(t, err, kobo.ENOTFOUND)
		return nil
	})
	// the same file again is a conflict; after a failure it is not
	dup := *u
	dup.ID += "2"
	wantCode(t, s.Update(ctx, func(tx kobo.Tx) error { return tx.CreateStatementUpload(ctx, &dup) }), kobo.ECONFLICT)
	again := *failed
	again.ID, again.Status = failed.ID+"2", kobo.UploadProcessing
	update(t, s, func(tx kobo.Tx) error { return tx.CreateStatementUpload(ctx, &again) })

	u.Status, u.Report, u.Password, u.Format, u.UpdatedAt = kobo.UploadAvailable, json.RawMessage(`{"transactions":3}`), "", "csv", T0.Add(time.Minute)
	update(t, s, func(tx kobo.Tx) error { return tx.UpdateStatementUpload(ctx, u) })
	view(t, s, func(tx kobo.Tx) error {
		list, err := tx.StatementUploadsByAccount(ctx, acct.ID)
		if err != nil {
			return err
		}
		if len(list) != 1 || list[0].Status != kobo.UploadAvailable || string(list[0].Report) != `{"transactions":3}` || list[0].Password != "" ||
			!list[0].UpdatedAt.Equal(T0.Add(time.Minute)) {
			return fmt.Errorf("by account = %+v", list)
		}
		return nil
	})
	missing := *u
	missing.ID = "nope"
	wantCode(t, s.Update(ctx, func(tx kobo.Tx) error { return tx.UpdateStatementUpload(ctx, &missing) }), kobo.ENOTFOUND)

	update(t, s, func(tx kobo.Tx) error { return tx.DeleteUploadFile(ctx, again.ID) })
	// unlinking the account takes its uploads and their files with it
	update(t, s, func(tx kobo.Tx) error { return tx.DeleteAccount(ctx, acct.ID) })
	view(t, s, func(tx kobo.Tx) error {
		_, err := tx.StatementUpload(ctx, u.ID)
		wantCode(t, err, kobo.ENOTFOUND)
		n := 0
		if err := tx.UploadChunks(ctx, u.ID, func([]byte) error { n++; return nil }); err != nil || n != 0 {
			return fmt.Errorf("chunks left after unlink: %d, %v", n, err)
		}
		_, err = tx.StatementUpload(ctx, failed.ID)
		return err
	})
}
