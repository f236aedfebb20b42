package mtls_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/banksim/loopbackpki"
	"github.com/kobo-oss/kobo/internal/provider/mtls"
)

func TestClientConfig(t *testing.T) {
	p, err := loopbackpki.New("tpp")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	cert, key, ca := write("c.pem", p.ClientCertPEM), write("k.pem", p.ClientKey), write("ca.pem", p.CAPEM)
	notPEM := write("junk.pem", []byte("not a certificate"))
	names := mtls.Files{CertName: "cert_file/key_file", CAName: "ca_file"}

	f := names
	f.CertFile, f.KeyFile, f.CAFile = cert, key, ca
	c, err := mtls.ClientConfig(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Certificates) != 1 || c.RootCAs == nil || c.MinVersion == 0 {
		t.Errorf("config: %d certificates, roots %v, min version %x", len(c.Certificates), c.RootCAs != nil, c.MinVersion)
	}
	if c, err := mtls.ClientConfig(names, nil); err != nil || len(c.Certificates) != 0 || c.RootCAs != nil {
		t.Errorf("no files: %v %+v", err, c)
	}
	for _, tc := range []struct {
		cert, key, ca, want string
	}{
		{"/nonexistent/c.pem", key, "", "cert_file/key_file: "},
		{cert, ca, "", "cert_file/key_file: "}, // a key that is not the certificate's
		{"", "", "/nonexistent/ca.pem", "ca_file: "},
		{"", "", notPEM, "ca_file holds no PEM certificate"},
	} {
		f := names
		f.CertFile, f.KeyFile, f.CAFile = tc.cert, tc.key, tc.ca
		if _, err := mtls.ClientConfig(f, nil); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc, err, tc.want)
		}
	}
}
