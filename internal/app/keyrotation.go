package app

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// KeyOverlaps are the overlaps a rotation may give the old key: none, an
// hour, a day, a week. A fixed list keeps "expires in…" meaningful and a
// forgotten old key from living for ever.
var KeyOverlaps = []time.Duration{0, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// RotateInput says which key to rotate and how long the old one keeps
// working.
type RotateInput struct {
	Mode    kobo.Mode    // "" means the app's current mode
	Kind    kobo.KeyKind // PublicKey, SecretKey, or "" for both
	Overlap time.Duration
}

// ParseOverlap reads an overlap as the dashboard and the API spell it:
// "none"/"0", "1h", "24h", "7d" (or any Go duration that is one of
// KeyOverlaps).
func ParseOverlap(s string) (time.Duration, error) {
	bad := &kobo.Error{Code: kobo.EINVALID, Message: "overlap must be none, 1h, 24h or 7d", Fields: map[string]string{"overlap": "must be none, 1h, 24h or 7d"}}
	switch s {
	case "", "none", "0":
		return 0, nil
	case "7d":
		return 7 * 24 * time.Hour, nil
	case "1d":
		return 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, bad
	}
	for _, o := range KeyOverlaps {
		if d == o {
			return d, nil
		}
	}
	return 0, bad
}

// RotateKey issues a new key of one kind (or both) and retires the old:
// at once with no overlap, or at the end of the overlap, during which both
// keys work. Rotating the secret key leaves the public key (and so every
// embedded widget) alone.
func (s *Service) RotateKey(ctx context.Context, orgID, appID string, in RotateInput) (*AppDetails, error) {
	okOverlap := false
	for _, o := range KeyOverlaps {
		okOverlap = okOverlap || in.Overlap == o
	}
	if !okOverlap {
		return nil, &kobo.Error{Code: kobo.EINVALID, Message: "overlap must be none, 1h, 24h or 7d", Fields: map[string]string{"overlap": "must be none, 1h, 24h or 7d"}}
	}
	kinds := []kobo.KeyKind{kobo.PublicKey, kobo.SecretKey}
	switch in.Kind {
	case "":
	case kobo.PublicKey, kobo.SecretKey:
		kinds = []kobo.KeyKind{in.Kind}
	default:
		return nil, &kobo.Error{Code: kobo.EINVALID, Message: `kind must be "secret" or "public"`, Fields: map[string]string{"kind": `must be "secret" or "public"`}}
	}
	mode := in.Mode
	var d *AppDetails
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		a, err := ownedApp(ctx, tx, orgID, appID)
		if err != nil {
			return err
		}
		if mode == "" {
			mode = kobo.ModeOf(a.Live)
		}
		if mode != kobo.ModeTest && mode != kobo.ModeLive {
			return &kobo.Error{Code: kobo.EINVALID, Message: `mode must be "test" or "live"`, Fields: map[string]string{"mode": `must be "test" or "live"`}}
		}
		if mode == kobo.ModeLive && !a.Live {
			return kobo.Errorf(kobo.ECONFLICT, "the app is in sandbox mode; set live to true to get live keys")
		}
		now := s.now()
		d = &AppDetails{App: a, SecretKeys: map[kobo.Mode]kobo.Secret{}}
		for _, kind := range kinds {
			if in.Overlap == 0 {
				err = tx.RevokeAPIKeysOfKind(ctx, a.ID, mode, kind, now)
			} else {
				err = tx.ExpireAPIKeys(ctx, a.ID, mode, kind, now.Add(in.Overlap))
			}
			if err != nil {
				return err
			}
			if err := s.issueKey(ctx, tx, a.ID, mode, kind, d); err != nil {
				return err
			}
		}
		if err := keysChanged(ctx, tx); err != nil {
			return err
		}
		d.PublicKeys, err = publicKeys(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, a.PartnerID, a.ID, AuditKeysRotated, string(mode)+" "+kindWords(in.Kind), overlapWords(in.Overlap), nil)
	})
	if err != nil {
		return nil, err
	}
	s.keys.purgeApp(appID)
	s.log.InfoContext(ctx, "app keys rotated", "app_id", appID, "mode", mode, "kind", in.Kind, "overlap", in.Overlap)
	return d, nil
}

// OperatorActor is the deployment's operator, acting from `kobo admin`
// and `kobo keys` commands, as the audit log names them.
func OperatorActor() Actor {
	return Actor{ID: "operator", Email: "operator (kobo command line)", Source: "operator"}
}

// RotateKeyAsOperator is RotateKey for the deployment's operator, who
// names an app by id alone (a partner reported a leaked key): the same
// overlaps and audit line, under the operator's name, in the app's
// organisation's log.
func (s *Service) RotateKeyAsOperator(ctx context.Context, appID string, in RotateInput) (*AppDetails, error) {
	var org string
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		a, err := tx.App(ctx, appID)
		if err == nil {
			org = a.PartnerID
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.RotateKey(WithActor(ctx, OperatorActor()), org, appID, in)
}

func kindWords(k kobo.KeyKind) string {
	switch k {
	case kobo.PublicKey:
		return "public key"
	case kobo.SecretKey:
		return "secret key"
	}
	return "public and secret keys"
}

func overlapWords(d time.Duration) string {
	switch {
	case d == 0:
		return "old key revoked at once"
	case d%(24*time.Hour) == 0:
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "old key works for 1 more day"
		}
		return fmt.Sprintf("old key works for %d more days", n)
	default:
		n := int(d / time.Hour)
		if n == 1 {
			return "old key works for 1 more hour"
		}
		return fmt.Sprintf("old key works for %d more hours", n)
	}
}

// KeyInfo is one working key of an app, for the dashboard's key table:
// public keys whole, secret keys by prefix only.
type KeyInfo struct {
	ID        string
	Kind      kobo.KeyKind
	Mode      kobo.Mode
	Shown     string // the public key, or the secret key's prefix and dots
	CreatedAt time.Time
	ExpiresAt *time.Time // set while a rotated key's overlap runs
}

// AppKeys lists the app's working keys, newest first within mode and
// kind; expired ones are left out.
func (s *Service) AppKeys(ctx context.Context, orgID, appID string) ([]KeyInfo, error) {
	var out []KeyInfo
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		if _, err := ownedApp(ctx, tx, orgID, appID); err != nil {
			return err
		}
		keys, err := tx.APIKeysByApp(ctx, appID)
		if err != nil {
			return err
		}
		exp, err := tx.APIKeyExpiries(ctx, appID)
		if err != nil {
			return err
		}
		now := s.now()
		for _, k := range keys {
			ki := KeyInfo{ID: k.ID, Kind: k.Kind, Mode: k.Mode, CreatedAt: k.CreatedAt, Shown: k.Hash}
			if k.Kind == kobo.SecretKey {
				ki.Shown = k.Prefix + "••••••••"
			}
			if at, ok := exp[k.ID]; ok {
				if !now.Before(at) {
					continue
				}
				ki.ExpiresAt = &at
			}
			out = append(out, ki)
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Mode != out[j].Mode {
			return out[i].Mode > out[j].Mode // test before live
		}
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind // pk before sk
		}
		return out[i].CreatedAt.After(out[j].CreatedAt)
	})
	return out, err
}
