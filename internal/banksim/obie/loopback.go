package obie

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// Loopback is a face served over TLS with mTLS on a local address, with
// its throwaway PKI written to files: what a kobo banks file points at in
// end-to-end tests, the bench and `kobo banksim --obie-addr` demos.
type Loopback struct {
	URL  string
	Face *Face
	PKI  *PKI
	// Files are the PEM files a TPP configures: the CA that signed the
	// bank's certificate, the TPP's transport certificate and key, and its
	// request-object signing key.
	CAFile, CertFile, KeyFile, SigningKeyFile string

	srv *http.Server
	ln  net.Listener
}

// StartLoopback listens on addr ("127.0.0.1:0" for any port), writes the
// PKI under dir and serves a face configured by c (its Issuer is set to
// the listener's URL; RequireClientCert is forced on, and the request
// object must be signed by the PKI's key unless c names another).
func StartLoopback(c Config, addr, dir string) (*Loopback, error) {
	pki, err := NewPKI("kobo-tpp")
	if err != nil {
		return nil, err
	}
	tc := pki.ServerTLS()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	l := &Loopback{PKI: pki, ln: ln, URL: "https://" + ln.Addr().String()}
	for _, f := range []struct {
		dst  *string
		name string
		b    []byte
	}{{&l.CAFile, "bank-ca.pem", pki.CAPEM}, {&l.CertFile, "tpp-cert.pem", pki.ClientCertPEM}, {&l.KeyFile, "tpp-key.pem", pki.ClientKey},
		{&l.SigningKeyFile, "tpp-signing.pem", pki.SigningKey}} {
		*f.dst = filepath.Join(dir, f.name)
		if err := os.WriteFile(*f.dst, f.b, 0o600); err != nil {
			ln.Close()
			return nil, err
		}
	}
	c.Issuer, c.RequireClientCert = l.URL, true
	if c.RequestObjectKey == nil {
		c.RequestObjectKey = pki.SigningPub // FAPI banks want the request object signed
	}
	if l.Face, err = New(c); err != nil {
		ln.Close()
		return nil, err
	}
	l.srv = &http.Server{Handler: l.Face.Handler(), TLSConfig: tc, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := l.srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			l.Face.log.Error("obie face stopped", "err", err)
		}
	}()
	return l, nil
}

// Close stops the listener.
func (l *Loopback) Close() error { return l.srv.Close() }

// BankEntry is the face as one entry of kobo's banks file ("obie" key),
// with the TPP's client id and files.
func (l *Loopback) BankEntry(id, name, clientID string) map[string]any {
	return map[string]any{"id": id, "name": name, "base_url": l.URL + l.Face.BasePath(), "auth_url": l.URL + "/authorize",
		"token_url": l.URL + "/token", "client_id": clientID, "cert_file": l.CertFile, "key_file": l.KeyFile, "ca_file": l.CAFile,
		"signing_key_file": l.SigningKeyFile, "signing_kid": "kobo-1", "profile": l.Face.prof.Version}
}

// BanksFile is a whole banks file holding the entry.
func (l *Loopback) BanksFile(id, name, clientID string) []byte {
	b, _ := json.Marshal(map[string]any{"obie": []any{l.BankEntry(id, name, clientID)}})
	return b
}
