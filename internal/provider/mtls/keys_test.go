package mtls_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/kobo-oss/kobo/internal/banksim/loopbackpki"
	"github.com/kobo-oss/kobo/internal/provider/mtls"
)

// keyMap is a Keys an import can change while it is in use.
type keyMap struct {
	mu sync.Mutex
	m  map[string]*mtls.Key
}

func (k *keyMap) Key(name string) (*mtls.Key, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[name]
	return v, ok
}

func (k *keyMap) put(name string, v *mtls.Key) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[name] = v
}

func TestParseKey(t *testing.T) {
	p, err := loopbackpki.New("tpp")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := mtls.ParseKey(append(append([]byte{}, p.ClientCertPEM...), p.ClientKey...))
	if err != nil {
		t.Fatal(err)
	}
	if pair.Cert == nil || pair.Leaf.Subject.CommonName != "tpp" || len(pair.Fingerprint) != 64 {
		t.Errorf("pair: %+v", pair)
	}
	bare, err := mtls.ParseKey(p.ServerKey)
	if err != nil || bare.Cert != nil || bare.Signer == nil || len(bare.Fingerprint) != 64 {
		t.Errorf("bare key: %+v, %v", bare, err)
	}
	for _, tc := range []struct {
		name string
		pem  []byte
		want string
	}{
		{"certificate only", p.ClientCertPEM, "no private key"},
		{"another key", append(append([]byte{}, p.ClientCertPEM...), p.ServerKey...), "not the private key's"},
		{"two keys", append(append([]byte{}, p.ClientKey...), p.ServerKey...), "more than one private key"},
		{"junk", []byte("hello"), "no private key"},
		{"odd block", []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), `unexpected PEM block "PUBLIC KEY"`},
	} {
		if _, err := mtls.ParseKey(tc.pem); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestClientCertFromKeys dials a server that wants a client certificate
// with one named in Keys, then replaces it under the same name (an
// operator's rotation): the next handshake presents the new one without a
// new config.
func TestClientCertFromKeys(t *testing.T) {
	p1, err := loopbackpki.New("tpp-2026")
	if err != nil {
		t.Fatal(err)
	}
	p2, err := loopbackpki.New("tpp-2027")
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, 2)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.TLS.PeerCertificates[0].Subject.CommonName
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{p1.Server}, ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	defer srv.Close()

	keys := &keyMap{m: map[string]*mtls.Key{}}
	names := mtls.Files{CertName: "cert_file/key_file", SecretName: "cert_secret", CAName: "ca_file", CertSecret: "qwac"}
	if _, err := mtls.ClientConfig(names, keys); err == nil || !strings.Contains(err.Error(), `cert_secret "qwac": no such key`) {
		t.Fatalf("missing key: %v", err)
	}
	bare, _ := mtls.ParseKey(p1.ClientKey)
	keys.put("qwac", bare)
	if _, err := mtls.ClientConfig(names, keys); err == nil || !strings.Contains(err.Error(), "has no certificate") {
		t.Fatalf("bare key as a client certificate: %v", err)
	}
	both := names
	both.CertFile = "/etc/kobo/qwac.pem"
	if _, err := mtls.ClientConfig(both, keys); err == nil || !strings.Contains(err.Error(), "set one, not both") {
		t.Fatalf("file and secret: %v", err)
	}
	k1, _ := mtls.ParseKey(append(append([]byte{}, p1.ClientCertPEM...), p1.ClientKey...))
	keys.put("qwac", k1)
	c, err := mtls.ClientConfig(names, keys)
	if err != nil {
		t.Fatal(err)
	}
	c.RootCAs = p1.Roots()
	get := func() string {
		t.Helper()
		// a fresh transport each time: a pooled connection would keep the
		// certificate of its handshake
		resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: c.Clone()}}).Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return <-seen
	}
	if got := get(); got != "tpp-2026" {
		t.Fatalf("first handshake presented %q", got)
	}
	k2, _ := mtls.ParseKey(append(append([]byte{}, p2.ClientCertPEM...), p2.ClientKey...))
	keys.put("qwac", k2)
	if got := get(); got != "tpp-2027" {
		t.Fatalf("after the rotation the handshake presented %q", got)
	}
}

func FuzzParseKey(f *testing.F) {
	p, err := loopbackpki.New("tpp")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(append(append([]byte{}, p.ClientCertPEM...), p.ClientKey...))
	f.Add(p.ClientKey)
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := mtls.ParseKey(b)
		if err == nil && (k.Signer == nil || k.Fingerprint == "" || (k.Cert != nil) != (k.Leaf != nil)) {
			t.Fatalf("accepted an incomplete key: %+v", k)
		}
	})
}
