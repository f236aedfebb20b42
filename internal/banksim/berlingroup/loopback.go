package berlingroup

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim/loopbackpki"
)

// Loopback is a face served over TLS with mTLS on a local address, with
// its throwaway PKI written to files: what `kobo banksim
// --berlingroup-addr` serves and what its banks file points at.
type Loopback struct {
	URL  string
	Face *Face
	// PKI is the bank's CA and the TPP's QWAC; Seal is the CA and
	// certificate the TPP signs requests with (its QSealC), which the
	// face trusts when it requires signatures.
	PKI, Seal *loopbackpki.PKI
	// Files are the PEM files a TPP configures: the CA that signed the
	// bank's certificate, the TPP's transport certificate and key, and
	// its signing certificate and key.
	CAFile, CertFile, KeyFile, SigningCertFile, SigningKeyFile string

	signing bool
	srv     *http.Server
}

// StartLoopback listens on addr ("127.0.0.1:0" for any port), writes the
// PKI under dir and serves a face configured by c, with RequireClientCert
// forced on; with signing, requests must also be signed with the Seal
// certificate (c.SignatureRoots is set to its CA).
func StartLoopback(c Config, addr, dir string, signing bool) (*Loopback, error) {
	pki, err := loopbackpki.New("kobo-tpp")
	if err != nil {
		return nil, err
	}
	seal, err := loopbackpki.New("kobo-tpp-qseal")
	if err != nil {
		return nil, err
	}
	l := &Loopback{PKI: pki, Seal: seal, signing: signing}
	for _, f := range []struct {
		dst  *string
		name string
		b    []byte
	}{{&l.CAFile, "bank-ca.pem", pki.CAPEM}, {&l.CertFile, "tpp-cert.pem", pki.ClientCertPEM}, {&l.KeyFile, "tpp-key.pem", pki.ClientKey},
		{&l.SigningCertFile, "tpp-seal-cert.pem", seal.ClientCertPEM}, {&l.SigningKeyFile, "tpp-seal-key.pem", seal.ClientKey}} {
		*f.dst = filepath.Join(dir, f.name)
		if err := os.WriteFile(*f.dst, f.b, 0o600); err != nil {
			return nil, err
		}
	}
	c.RequireClientCert = true
	if signing {
		c.SignatureRoots = seal.Roots()
	}
	if l.Face, err = New(c); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	l.URL = "https://" + ln.Addr().String()
	l.srv = &http.Server{Handler: l.Face.Handler(), TLSConfig: TLSConfig(pki.Server, pki.Roots()), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := l.srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			l.Face.log.Error("berlingroup face stopped", "err", err)
		}
	}()
	return l, nil
}

// Close stops the listener.
func (l *Loopback) Close() error { return l.srv.Close() }

// BankEntry is the face as one entry of kobo's banks file ("berlingroup"
// key) offering the SCA approaches given (at most two, as kobo's entries
// take), with the TPP's files, and the signing ones when the face
// requires signatures.
func (l *Loopback) BankEntry(id, name, tppID string, approaches ...string) map[string]any {
	e := map[string]any{"id": id, "name": name, "country": l.Face.inst.Country, "base_url": l.URL, "tpp_id": tppID,
		"cert_file": l.CertFile, "key_file": l.KeyFile, "ca_file": l.CAFile, "sca_approaches": approaches, "profile": "1.3.11"}
	if l.signing {
		e["signing"], e["signing_cert_file"], e["signing_key_file"] = true, l.SigningCertFile, l.SigningKeyFile
	}
	return e
}

// BanksFile is a whole banks file with two entries for the face: one
// linking by the redirect or OAuth approaches, one by the embedded or
// decoupled ones (every approach the face offers, two an entry).
func (l *Loopback) BanksFile(idPrefix, name, tppID string) []byte {
	b, _ := json.Marshal(map[string]any{"berlingroup": []any{
		l.BankEntry(idPrefix+"-redirect", name+" (redirect)", tppID, "redirect", "oauth"),
		l.BankEntry(idPrefix+"-embedded", name+" (embedded)", tppID, "embedded", "decoupled")}})
	return b
}
