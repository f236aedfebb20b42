package vault

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"github.com/kobo-oss/kobo/internal/kobo"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func key(t *testing.T) []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	k1, k2 := key(t), key(t)
	v1, err := New(k1)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte(`{"username":"user_good","password":"123456"}`)
	s, err := v1.Seal(secret, "account:a1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(s), "user_good") || !strings.HasPrefix(string(s), KeyID(k1)+".") {
		t.Fatalf("sealed = %s", s)
	}
	s2, _ := v1.Seal(secret, "account:a1")
	if s == s2 {
		t.Fatal("two seals of the same value are identical (nonce reuse)")
	}
	got, err := v1.Open(s, "account:a1")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := v1.Open(s, "account:a2"); err == nil {
		t.Fatal("opened with another row's aad")
	}
	tampered := []byte(s)
	tampered[len(tampered)-3] ^= 1
	if _, err := v1.Open(kobo.Sealed(tampered), "account:a1"); err == nil {
		t.Fatal("opened a tampered value")
	}
	// rotation: a vault with a new current key still opens old seals
	v2, err := New(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v2.Open(s, "account:a1"); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("rotated vault cannot open old seal: %v", err)
	}
	s3, _ := v2.Seal(secret, "x")
	if !strings.HasPrefix(string(s3), KeyID(k2)+".") {
		t.Fatal("new seals do not use the current key")
	}
	if _, err := v1.Open(s3, "x"); err == nil || !strings.Contains(err.Error(), "not configured") {
		t.Fatalf("old vault opening new seal: %v", err)
	}
	for _, bad := range []string{"", "nodot", KeyID(k1) + ".!!!", KeyID(k1) + ".AAAA"} {
		if _, err := v1.Open(kobo.Sealed([]byte(bad)), "x"); err == nil {
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	k := key(t)
	got, err := ParseKeys("new:" + base64.StdEncoding.EncodeToString(k) + ", " + base64.RawStdEncoding.EncodeToString(key(t)))
	if err != nil || len(got) != 2 || !bytes.Equal(got[0], k) {
		t.Fatalf("ParseKeys = %d keys, %v", len(got), err)
	}
	if _, err := ParseKeys("c2hvcnQ="); err == nil {
		t.Fatal("short key accepted")
	}
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("New accepted a short key")
	}
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	k1, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v", st.Mode().Perm())
	}
	k2, err := LoadOrCreateKeyFile(path)
	if err != nil || len(k1) != 1 || len(k2) != 1 || !bytes.Equal(k1[0], k2[0]) {
		t.Fatalf("second load = %v", err)
	}
	// rotation puts a new key first; both are read back in order
	fresh, _ := NewKey()
	if err := WriteKeyFile(path, [][]byte{fresh, k1[0]}); err != nil {
		t.Fatal(err)
	}
	k3, err := LoadOrCreateKeyFile(path)
	if err != nil || len(k3) != 2 || !bytes.Equal(k3[0], fresh) || !bytes.Equal(k3[1], k1[0]) {
		t.Fatalf("after WriteKeyFile: %d keys, %v", len(k3), err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("rewritten key file mode = %v", st.Mode().Perm())
	}
	os.Chmod(path, 0o644)
	if _, err := LoadOrCreateKeyFile(path); err == nil {
		t.Fatal("world-readable key file accepted")
	}
}

func FuzzOpen(f *testing.F) {
	v, _ := New(bytes.Repeat([]byte{7}, 32))
	s, _ := v.Seal([]byte("x"), "a")
	f.Add(string(s), "a")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, s, aad string) {
		_, _ = v.Open(kobo.Sealed([]byte(s)), aad) // must not panic
	})
}
