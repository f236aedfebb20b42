// Package loopbackpki owns the throwaway certificate authority banksim's
// standard faces (OBIE, Berlin Group) are served with over mTLS on
// loopback: a CA, a server certificate for localhost, 127.0.0.1 and ::1,
// and one TPP client certificate. Tests, `kobo bench` and `kobo banksim
// --obie-addr` demos use it; it is made fresh in memory each time and is
// never meant for anything else (a real bank has eIDAS QWACs or OBIE
// certificates).
package loopbackpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// PKI is the CA and its two leaves, both as PEM (what a banks file points
// at once written to files) and as parsed certificates.
type PKI struct {
	CA                       *x509.Certificate
	CAPEM                    []byte
	ServerCertPEM, ServerKey []byte
	ClientCertPEM, ClientKey []byte
	// Server and Client are the leaves ready for a tls.Config.
	Server, Client tls.Certificate
}

// New makes a PKI whose certificates last from an hour ago (clock skew)
// for a day; clientName is the TPP certificate's common name.
func New(clientName string) (*PKI, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "banksim loopback CA"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caT, caT, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	leaf := func(serial int64, cn string, server bool) (certPEM, keyPEM []byte, c tls.Certificate, err error) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, c, err
		}
		t := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn, Organization: []string{"kobo test"}},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
		if server {
			t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			t.DNSNames = []string{"localhost"}
			t.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		} else {
			t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		}
		der, err := x509.CreateCertificate(rand.Reader, t, ca, &k.PublicKey, caKey)
		if err != nil {
			return nil, nil, c, fmt.Errorf("certificate %s: %w", cn, err)
		}
		kd, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, nil, c, err
		}
		c = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), c, nil
	}
	p := &PKI{CA: ca, CAPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}
	if p.ServerCertPEM, p.ServerKey, p.Server, err = leaf(2, "banksim", true); err != nil {
		return nil, err
	}
	if p.ClientCertPEM, p.ClientKey, p.Client, err = leaf(3, clientName, false); err != nil {
		return nil, err
	}
	return p, nil
}

// Roots is a pool holding only the CA: a TPP's roots, or a face's client
// CAs.
func (p *PKI) Roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.CA)
	return pool
}

// ServerTLS is a face's listener config: its certificate, and client
// certificates verified against the CA when given (a face that requires
// one refuses calls without it with the standard's error body rather than
// a failed handshake).
func (p *PKI) ServerTLS() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.Server}, ClientCAs: p.Roots(), ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS12}
}

// ClientTLS is a TPP's config: the client certificate and the CA as its
// only root.
func (p *PKI) ClientTLS() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.Client}, RootCAs: p.Roots(), MinVersion: tls.VersionTLS12}
}
