package app

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Key format: <mode>_<kind>_<random>, e.g. test_sk_3k9… — Mono's shape, so
// partners' key-detection regexes (^(live|test)_(pk|sk)_) keep working.
const (
	secretKeyRandom = 32 // [a-z0-9]{32}: 165 bits
	publicKeyRandom = 24
	keyPrefixLen    = 16 // "test_sk_" + 8 random characters, indexed for lookup
)

// issueKeys creates a public and a secret key of mode for the app and
// records them in d.
func (s *Service) issueKeys(ctx context.Context, tx kobo.Tx, appID string, mode kobo.Mode, d *AppDetails) error {
	if err := s.issueKey(ctx, tx, appID, mode, kobo.PublicKey, d); err != nil {
		return err
	}
	return s.issueKey(ctx, tx, appID, mode, kobo.SecretKey, d)
}

// issueKey creates one key of mode and kind and records it in d (a secret
// key's only plaintext copy).
func (s *Service) issueKey(ctx context.Context, tx kobo.Tx, appID string, mode kobo.Mode, kind kobo.KeyKind, d *AppDetails) error {
	now := s.now()
	if d.PublicKeys == nil {
		d.PublicKeys = map[kobo.Mode]string{}
	}
	if d.SecretKeys == nil {
		d.SecretKeys = map[kobo.Mode]kobo.Secret{}
	}
	if kind == kobo.PublicKey {
		pk := string(mode) + "_pk_" + kobo.RandomToken(publicKeyRandom)
		d.PublicKeys[mode] = pk
		return tx.CreateAPIKey(ctx, &kobo.APIKey{ID: kobo.NewID(now), AppID: appID, Kind: kobo.PublicKey, Mode: mode, Prefix: pk[:keyPrefixLen], Hash: pk, CreatedAt: now})
	}
	sk := string(mode) + "_sk_" + kobo.RandomToken(secretKeyRandom)
	d.SecretKeys[mode] = kobo.Secret(sk)
	return tx.CreateAPIKey(ctx, &kobo.APIKey{ID: kobo.NewID(now), AppID: appID, Kind: kobo.SecretKey, Mode: mode, Prefix: sk[:keyPrefixLen], Hash: hashKey(sk), CreatedAt: now})
}

// keysChanged is called in the transaction that revokes or shortens an
// app's keys (or deletes the app): it moves the epoch every replica's key
// cache is checked against (epoch.go), so the old key is refused by the
// next request on every replica, not after the cache's few seconds.
func keysChanged(ctx context.Context, tx kobo.Tx) error {
	return tx.BumpEpoch(ctx, kobo.EpochHolds)
}

func hashKey(k string) string {
	sum := sha256.Sum256([]byte(k))
	return hex.EncodeToString(sum[:])
}

// parseKey splits a key into mode and kind, or reports it malformed.
func parseKey(raw string) (kobo.Mode, kobo.KeyKind, bool) {
	if len(raw) < keyPrefixLen || len(raw) > 128 {
		return "", "", false
	}
	mode, rest, ok := strings.Cut(raw, "_")
	if !ok || (mode != "test" && mode != "live") {
		return "", "", false
	}
	kind, random, ok := strings.Cut(rest, "_")
	if !ok || (kind != "pk" && kind != "sk") || random == "" {
		return "", "", false
	}
	for i := 0; i < len(random); i++ {
		c := random[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return "", "", false
		}
	}
	return kobo.Mode(mode), kobo.KeyKind(kind), true
}

// AuthenticateKey resolves an API key to its caller. want is the kind the
// endpoint needs (SecretKey for server calls, PublicKey for the widget).
// Errors are EUNAUTHORIZED with a message that says what is wrong, never
// which keys exist.
func (s *Service) AuthenticateKey(ctx context.Context, raw string, want kobo.KeyKind) (*kobo.Caller, error) {
	if raw == "" {
		return nil, kobo.Errorf(kobo.EUNAUTHORIZED, "Unauthorized: the mono-sec-key header is missing; send your app's secret key")
	}
	mode, kind, ok := parseKey(raw)
	if !ok {
		return nil, kobo.Errorf(kobo.EUNAUTHORIZED, "Unauthorized: invalid API key")
	}
	if kind != want {
		if want == kobo.SecretKey {
			return nil, kobo.Errorf(kobo.EUNAUTHORIZED, "Unauthorized: this endpoint needs a secret key (%s_sk_…); a public key was sent", mode)
		}
		return nil, kobo.Errorf(kobo.EUNAUTHORIZED, "Unauthorized: this endpoint needs a public key (%s_pk_…); never send a secret key to a browser", mode)
	}
	digest := hashKey(raw)
	if c, at, ok := s.keys.get(digest); ok {
		// a cached key is trusted only while no hold has changed and no key
		// been revoked since it was resolved, on any replica (epoch.go)
		now, err := s.holds.current(ctx)
		if err != nil {
			return nil, err
		}
		if now == at {
			return c, nil
		}
		s.keys.drop(digest)
	}
	var caller *kobo.Caller
	var until time.Time // when an expiring key stops working
	var epoch int64
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		// read before the holds, so a hold put after this read bumps the
		// epoch past what the cache entry remembers
		var err error
		if epoch, err = tx.Epoch(ctx, kobo.EpochHolds); err != nil {
			return err
		}
		keys, err := tx.APIKeysByPrefix(ctx, raw[:keyPrefixLen])
		if err != nil {
			return err
		}
		for _, k := range keys {
			stored := k.Hash
			candidate := digest
			if k.Kind == kobo.PublicKey {
				candidate = raw
			}
			if k.Kind != kind || k.Mode != mode || subtle.ConstantTimeCompare([]byte(stored), []byte(candidate)) != 1 {
				continue
			}
			a, err := tx.App(ctx, k.AppID)
			if kobo.ErrorCode(err) == kobo.ENOTFOUND {
				return nil
			}
			if err != nil {
				return err
			}
			if err := heldApp(ctx, tx, a); err != nil {
				return err // suspended by the operator (operator.go)
			}
			if k.Mode.IsLive() {
				if err := goLiveHeld(ctx, tx, a.ID); err != nil {
					return err // waiting for, or refused, the operator's review (golive.go)
				}
			}
			// a rotated key works until the end of its overlap
			exp, err := tx.APIKeyExpiries(ctx, k.AppID)
			if err != nil {
				return err
			}
			if at, ok := exp[k.ID]; ok {
				if !s.now().Before(at) {
					return nil
				}
				until = at
			}
			caller = &kobo.Caller{App: *a, Key: *k, Mode: k.Mode}
			return nil
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if caller == nil {
		return nil, kobo.Errorf(kobo.EUNAUTHORIZED, "Unauthorized: invalid or revoked API key")
	}
	s.keys.put(digest, caller, until, epoch)
	return caller, nil
}

// keyCache remembers resolved keys for a few seconds, so a busy partner's
// every request does not cost a key lookup. Entries are copies; nothing
// outside sees the map.
type keyCache struct {
	clock kobo.Clock
	ttl   time.Duration
	mu    sync.RWMutex
	m     map[string]keyEntry
}

type keyEntry struct {
	caller  *kobo.Caller
	expires time.Time
	epoch   int64 // of the holds, when it was resolved
}

const keyCacheMax = 10_000

func newKeyCache(clock kobo.Clock, ttl time.Duration) *keyCache {
	return &keyCache{clock: clock, ttl: ttl, m: map[string]keyEntry{}}
}

func (c *keyCache) get(digest string) (*kobo.Caller, int64, bool) {
	c.mu.RLock()
	e, ok := c.m[digest]
	c.mu.RUnlock()
	if !ok || !c.clock.Now().Before(e.expires) {
		return nil, 0, false
	}
	return e.caller, e.epoch, true
}

func (c *keyCache) drop(digest string) {
	c.mu.Lock()
	delete(c.m, digest)
	c.mu.Unlock()
}

// put remembers caller for the cache's ttl, or until until when that is
// sooner (a rotated key's overlap ending).
func (c *keyCache) put(digest string, caller *kobo.Caller, until time.Time, epoch int64) {
	now := c.clock.Now()
	expires := now.Add(c.ttl)
	if !until.IsZero() && until.Before(expires) {
		expires = until
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= keyCacheMax {
		for k, e := range c.m {
			if !now.Before(e.expires) || len(c.m) >= keyCacheMax {
				delete(c.m, k)
			}
		}
	}
	c.m[digest] = keyEntry{caller: caller, expires: expires, epoch: epoch}
}

func (c *keyCache) purgeApp(appID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.caller.App.ID == appID {
			delete(c.m, k)
		}
	}
}
