// Package mtls owns reading the mutual-TLS files a banks-file entry names
// (the TPP's client certificate and key, the CA that signed the bank's
// server certificate) into a client TLS config. It is not a connector:
// the standard connectors (obie, berlingroup) share it so the same files
// are read the same way and refused with the same messages.
package mtls

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// Files are an entry's PEM files; an empty one is not configured (no
// client certificate, or the system roots). CertName and CAName are what
// the banks file calls them, so a refusal names the field to fix.
type Files struct {
	CertFile, KeyFile, CAFile string
	CertName, CAName          string
}

// ClientConfig reads the files into a TLS 1.2+ client config.
func ClientConfig(f Files) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CertFile != "" {
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
