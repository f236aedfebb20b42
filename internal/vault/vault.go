// Package vault encrypts secrets at rest: the bank credentials and bank
// sessions kobo keeps to sync accounts without the user. It uses
// AES-256-GCM with a random nonce per seal, binds each ciphertext to the
// row it belongs to with additional authenticated data (so a sealed value
// copied onto another row does not open), and writes the key id beside the
// ciphertext so keys can be rotated: new seals use the current key, old
// ones still open with the key they name.
//
// Keys come from KOBO_MASTER_KEY (base64 of 32 bytes, or a comma-separated
// list "id:base64,..." whose first entry is current) or from a key file
// that kobo generates with mode 0600 on first start.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Vault seals and opens secrets.
type Vault struct {
	current string
	keys    map[string]cipher.AEAD
	raw     map[string][]byte
}

var _ kobo.Sealer = (*Vault)(nil)

// KeyID names a key: the first 8 hex digits of its SHA-256, so the same key
// always has the same id and ids reveal nothing useful.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:4])
}

// New builds a vault from keys (32 bytes each); the first is current.
func New(keys ...[]byte) (*Vault, error) {
	if len(keys) == 0 {
		return nil, errors.New("vault: no key")
	}
	v := &Vault{keys: map[string]cipher.AEAD{}, raw: map[string][]byte{}}
	for i, k := range keys {
		if len(k) != 32 {
			return nil, fmt.Errorf("vault: key %d is %d bytes, want 32 (AES-256)", i+1, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		id := KeyID(k)
		v.keys[id], v.raw[id] = aead, k
		if i == 0 {
			v.current = id
		}
	}
	return v, nil
}

// CurrentKeyID is the id new seals carry.
func (v *Vault) CurrentKeyID() string { return v.current }

// Seal encrypts plaintext bound to aad (e.g. "account:<id>").
func (v *Vault) Seal(plaintext []byte, aad string) (kobo.Sealed, error) {
	aead := v.keys[v.current]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := aead.Seal(nonce, nonce, plaintext, []byte(aad))
	return kobo.Sealed(v.current + "." + base64.RawStdEncoding.EncodeToString(out)), nil
}

// Open decrypts s; it fails if s was sealed for another aad, with an
// unknown key, or was tampered with.
func (v *Vault) Open(s kobo.Sealed, aad string) ([]byte, error) {
	id, data, ok := strings.Cut(string(s), ".")
	if !ok {
		return nil, errors.New("vault: malformed sealed value")
	}
	aead, ok := v.keys[id]
	if !ok {
		return nil, fmt.Errorf("vault: sealed with key %s, which is not configured (add it to KOBO_MASTER_KEY to rotate)", id)
	}
	raw, err := base64.RawStdEncoding.DecodeString(data)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("vault: malformed sealed value")
	}
	pt, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(aad))
	if err != nil {
		return nil, errors.New("vault: cannot open sealed value (wrong key, wrong row, or tampered)")
	}
	return pt, nil
}

// Derive returns a 32-byte subkey for another purpose (e.g. the HMAC key
// of account fingerprints), so one master key serves every need without
// reusing key material across algorithms.
func (v *Vault) Derive(purpose string) []byte {
	sum := sha256.Sum256(append(append([]byte("kobo.vault.derive/"), purpose...), v.raw[v.current]...))
	return sum[:]
}

// ParseKeys reads KOBO_MASTER_KEY's format: base64 keys separated by
// commas, each optionally prefixed "label:" for the operator's benefit.
func ParseKeys(s string) ([][]byte, error) {
	var out [][]byte
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if _, after, ok := strings.Cut(part, ":"); ok {
			part = after
		}
		k, err := base64.StdEncoding.DecodeString(part)
		if err != nil {
			k, err = base64.RawStdEncoding.DecodeString(part)
		}
		if err != nil || len(k) != 32 {
			return nil, fmt.Errorf("KOBO_MASTER_KEY entry %d is not base64 of 32 bytes (generate one with: openssl rand -base64 32)", i+1)
		}
		out = append(out, k)
	}
	return out, nil
}

// LoadOrCreateKeyFile reads the keys in path (base64, comma-separated,
// the current one first: KOBO_MASTER_KEY's format), or creates the file
// with one fresh random key, readable only by its owner.
func LoadOrCreateKeyFile(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		st, serr := os.Stat(path)
		if serr == nil && st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("key file %s is readable by others (mode %v); chmod 600 it", path, st.Mode().Perm())
		}
		keys, err := ParseKeys(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("key file %s: %w", path, err)
		}
		return keys, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key, err := NewKey()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	return [][]byte{key}, f.Close()
}

// NewKey returns a fresh random 32-byte key.
func NewKey() ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return key, nil
}

// WriteKeyFile replaces the keys in path (the current one first) in one
// rename, so a crash leaves the old file or the new one, never half of
// either; the file stays readable only by its owner.
func WriteKeyFile(path string, keys [][]byte) error {
	if len(keys) == 0 {
		return errors.New("vault: no key to write")
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		if len(k) != 32 {
			return fmt.Errorf("vault: key %d is %d bytes, want 32", i+1, len(k))
		}
		parts[i] = base64.StdEncoding.EncodeToString(k)
	}
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(strings.Join(parts, ",") + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// KeyIDs lists the configured keys' ids, the current one first.
func (v *Vault) KeyIDs() []string {
	ids := []string{v.current}
	for id := range v.keys {
		if id != v.current {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids[1:])
	return ids
}

// KeyCheck is HMAC-SHA256 of a fixed label under key id (hex): stored in
// the database, it lets another process prove it holds the same key
// without the key ever being stored. ok is false for an unknown id.
func (v *Vault) KeyCheck(id string) (check string, ok bool) {
	k, ok := v.raw[id]
	if !ok {
		return "", false
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte("kobo.vault.keycheck/v1"))
	return hex.EncodeToString(m.Sum(nil)), true
}
