// Package mtls owns the key material a banks-file entry names, from files
// or from kobo's database: the TPP's client certificate and key, the CA
// that signed the bank's server certificate, and signing keys. It is not
// a connector: the standard connectors (obie, berlingroup) share it so
// the same material is read the same way and refused with the same
// messages, and each bank's API is reached with the same client
// (BankClient).
//
// Material kept in the database (the TPP keys `kobo banks import-cert`
// stores, sealed under the master key) reaches a connector through Keys,
// which cli supplies and refreshes: a client certificate is looked up at
// each TLS handshake and a signing key at each signature, so an imported
// replacement is used without a restart.
package mtls

import (
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"
)

// Files are an entry's PEM files, or the name of its client certificate
// in kobo's database; an empty one is not configured (no client
// certificate, or the system roots). CertName, SecretName and CAName are
// what the banks file calls them, so a refusal names the field to fix.
type Files struct {
	CertFile, KeyFile, CAFile    string
	CertSecret                   string
	CertName, SecretName, CAName string
}

// Keys are the TPP keys kept in kobo's database, by name, each as its
// current value.
type Keys interface {
	// Key returns the key named name, or false when none is stored.
	Key(name string) (*Key, bool)
}

// Key is parsed key material: a private key and, when it came with one,
// its certificate (the leaf first).
type Key struct {
	Signer crypto.Signer
	Cert   *tls.Certificate // nil for a bare key
	Leaf   *x509.Certificate
	// Fingerprint is the SHA-256 of the leaf certificate, or of the
	// public key of a bare key (hex): what names it in logs and listings.
	Fingerprint string
}

// ParseKey reads PEM holding a private key (PKCS#8, SEC 1 or PKCS#1) and
// optionally certificates, the leaf first, which must match the key.
func ParseKey(pemBytes []byte) (*Key, error) {
	var certs [][]byte
	var keyDER []byte
	for rest := pemBytes; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		switch blk.Type {
		case "CERTIFICATE":
			certs = append(certs, blk.Bytes)
		case "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY":
			if keyDER != nil {
				return nil, errors.New("more than one private key")
			}
			keyDER = blk.Bytes
		default:
			return nil, fmt.Errorf("unexpected PEM block %q", blk.Type)
		}
	}
	if keyDER == nil {
		return nil, errors.New("no private key (PEM PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)")
	}
	signer, err := parsePrivateKey(keyDER)
	if err != nil {
		return nil, err
	}
	k := &Key{Signer: signer}
	if len(certs) == 0 {
		der, err := x509.MarshalPKIXPublicKey(signer.Public())
		if err != nil {
			return nil, err
		}
		k.Fingerprint = fingerprint(der)
		return k, nil
	}
	leaf, err := x509.ParseCertificate(certs[0])
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	if !publicKeyMatches(leaf.PublicKey, signer.Public()) {
		return nil, errors.New("the certificate is not the private key's (public keys differ)")
	}
	k.Cert = &tls.Certificate{Certificate: certs, PrivateKey: signer, Leaf: leaf}
	k.Leaf, k.Fingerprint = leaf, fingerprint(certs[0])
	return k, nil
}

func parsePrivateKey(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
		return nil, errors.New("unsupported private key type")
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("the private key is not PKCS#8, SEC 1 or PKCS#1")
}

func publicKeyMatches(a, b crypto.PublicKey) bool {
	// every key type x509 parses (ECDSA, RSA, Ed25519) has Equal
	ka, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ka.Equal(b)
}

func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// ClientConfig reads the files into a TLS 1.2+ client config. A client
// certificate named by CertSecret must be in keys now (kobo does not
// start without it) and is looked up again at every handshake.
func ClientConfig(f Files, keys Keys) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case f.CertSecret != "" && f.CertFile != "":
		return nil, fmt.Errorf("%s and %s: set one, not both", f.SecretName, f.CertName)
	case f.CertSecret != "":
		if _, err := LookupCert(keys, f.CertSecret, f.SecretName); err != nil {
			return nil, err
		}
		name := f.CertSecret
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			k, ok := keys.Key(name)
			if !ok || k.Cert == nil {
				// deleted since start: send none, and the bank says why
				return &tls.Certificate{}, nil
			}
			return k.Cert, nil
		}
	case f.CertFile != "":
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.CertName, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	if f.CAFile != "" {
		b, err := os.ReadFile(f.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.CAName, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("%s holds no PEM certificate", f.CAName)
		}
		c.RootCAs = pool
	}
	return c, nil
}

// Lookup returns the key named name from keys, or an error naming the
// banks-file field and saying how to store one.
func Lookup(keys Keys, name, field string) (*Key, error) {
	if keys == nil {
		return nil, fmt.Errorf("%s %q: kobo's key store is not available here", field, name)
	}
	k, ok := keys.Key(name)
	if !ok {
		return nil, fmt.Errorf("%s %q: no such key in kobo's database (store it with: kobo banks import-cert --name %s --cert FILE --key FILE)", field, name, name)
	}
	return k, nil
}

// LookupCert is Lookup for a key that must come with its certificate.
func LookupCert(keys Keys, name, field string) (*Key, error) {
	k, err := Lookup(keys, name, field)
	if err == nil && k.Cert == nil {
		err = fmt.Errorf("%s %q: the stored key has no certificate (import it with --cert)", field, name)
	}
	return k, err
}

// BankClient is the HTTP client a connector reaches one bank's API with:
// tc for TLS, timeout for a request (and for the answer's headers), wrap
// (when set) around the transport, and redirects never followed (the
// APIs do not redirect; a redirect is for the customer's browser, and
// following one could carry a token elsewhere).
func BankClient(tc *tls.Config, timeout time.Duration, wrap func(http.RoundTripper) http.RoundTripper) *http.Client {
	var rt http.RoundTripper = &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 8, IdleConnTimeout: 90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: timeout}
	if wrap != nil {
		rt = wrap(rt)
	}
	return &http.Client{Timeout: timeout, Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
