package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// testTPPKeys covers the operator's TPP keys: put, replace by name (an
// import of a new certificate), list by name, delete, and their sealed
// field.
func testTPPKeys(t *testing.T, s kobo.Store) {
	ctx := context.Background()
	exp := T0.Add(365 * 24 * time.Hour)
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.PutTPPKey(ctx, &kobo.TPPKey{Name: "qwac", Material: "k1.old", Subject: "CN=old", Fingerprint: "aa", NotAfter: &exp, UpdatedAt: T0}); err != nil {
			return err
		}
		if err := tx.PutTPPKey(ctx, &kobo.TPPKey{Name: "obie-signing", Material: "k1.sign", Fingerprint: "bb", UpdatedAt: T0}); err != nil {
			return err
		}
		// a rotation replaces the value under the same name
		return tx.PutTPPKey(ctx, &kobo.TPPKey{Name: "qwac", Material: "k1.new", Subject: "CN=new", Fingerprint: "cc", UpdatedAt: T0.Add(time.Hour)})
	})
	view(t, s, func(tx kobo.Tx) error {
		list, err := tx.TPPKeys(ctx)
		if err != nil {
			return err
		}
		if len(list) != 2 || list[0].Name != "obie-signing" || list[1].Name != "qwac" {
			t.Fatalf("TPPKeys = %+v", list)
		}
		q := list[1]
		if q.Material != "k1.new" || q.Subject != "CN=new" || q.Fingerprint != "cc" || q.NotAfter != nil || !q.UpdatedAt.Equal(T0.Add(time.Hour)) {
			t.Errorf("replaced key = %+v", q)
		}
		if list[0].Material != "k1.sign" || list[0].NotAfter != nil {
			t.Errorf("signing key = %+v", list[0])
		}
		v, err := tx.SealedValues(ctx, kobo.FieldTPPKey, "", 10)
		if err != nil || len(v) != 2 || v[0].Row != "obie-signing" || v[1].Value != "k1.new" {
			t.Errorf("sealed values = %v, %v", v, err)
		}
		return nil
	})
	update(t, s, func(tx kobo.Tx) error {
		if err := tx.PutTPPKey(ctx, &kobo.TPPKey{Name: "dated", Material: "k1.d", NotAfter: &exp, UpdatedAt: T0}); err != nil {
			return err
		}
		if err := tx.DeleteTPPKey(ctx, "obie-signing"); err != nil {
			return err
		}
		wantCode(t, tx.DeleteTPPKey(ctx, "obie-signing"), kobo.ENOTFOUND)
		return nil
	})
	view(t, s, func(tx kobo.Tx) error {
		list, err := tx.TPPKeys(ctx)
		if err != nil {
			return err
		}
		if len(list) != 2 || list[0].Name != "dated" || list[0].NotAfter == nil || !list[0].NotAfter.Equal(exp) {
			t.Errorf("after delete: %+v", list)
		}
		return nil
	})
}
