package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// KeyRing is what the key check needs of the vault: the configured key
// ids (current first) and each key's check value.
type KeyRing interface {
	KeyIDs() []string
	KeyCheck(id string) (string, bool)
	kobo.Sealer
}

// VerifyMasterKey is run once at start, before a replica serves or works.
// A database remembers the master keys it accepts (their check values,
// never the keys). On first start the configured keys are recorded. After
// that the current key, the one new secrets are sealed with, must be one
// the database knows, or this replica would seal bank credentials the
// others cannot open; keys listed after it (kept for reading during a
// rotation) are recorded once the current key is known, which is how a
// new key becomes acceptable: list it second on every replica, then first.
func VerifyMasterKey(ctx context.Context, st kobo.Store, clock kobo.Clock, ring KeyRing) error {
	ids := ring.KeyIDs()
	if len(ids) == 0 {
		return kobo.Errorf(kobo.EUNSEAL, "no master key is configured")
	}
	current := ids[0]
	return st.Update(ctx, func(tx kobo.Tx) error {
		known, err := tx.KeyChecks(ctx)
		if err != nil {
			return err
		}
		byID := map[string]string{}
		for _, kc := range known {
			byID[kc.KeyID] = kc.Check
		}
		if len(known) == 0 {
			// a database from before key checks may already hold secrets:
			// the first check is recorded only if this key opens them
			id, sealed, err := tx.AnyCredentials(ctx)
			switch {
			case kobo.ErrorCode(err) == kobo.ENOTFOUND:
			case err != nil:
				return err
			default:
				if _, err := ring.Open(sealed, "account:"+id); err != nil {
					keyID, _, _ := strings.Cut(string(sealed), ".")
					return kobo.Errorf(kobo.EUNSEAL, "KOBO_MASTER_KEY does not open the bank credentials already in this database (sealed with key id %s; "+
						"this replica's current key is %s). Every replica must run with the same KOBO_MASTER_KEY", keyID, current)
				}
			}
		}
		if len(known) > 0 {
			want, ok := byID[current]
			have, _ := ring.KeyCheck(current)
			if !ok || want != have {
				var recorded []string
				for _, kc := range known {
					recorded = append(recorded, kc.KeyID)
				}
				return kobo.Errorf(kobo.EUNSEAL, "KOBO_MASTER_KEY does not match this database: its current key (id %s) is not one the database's secrets are sealed with "+
					"(known key ids: %s). Every replica must run with the same KOBO_MASTER_KEY; to rotate, first list the new key after the current one on every "+
					"replica, then put it first", current, strings.Join(recorded, ", "))
			}
		}
		for _, id := range ids {
			check, _ := ring.KeyCheck(id)
			if got, ok := byID[id]; ok {
				if got != check {
					return kobo.Errorf(kobo.EUNSEAL, "master key %s does not match the check recorded for it", id)
				}
				continue
			}
			if err := tx.AddKeyCheck(ctx, &kobo.KeyCheck{KeyID: id, Check: check, CreatedAt: clock.Now().UTC().Truncate(time.Microsecond)}); err != nil {
				return fmt.Errorf("record master key check: %w", err)
			}
		}
		return nil
	})
}
