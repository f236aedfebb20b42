package loopbackpki_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/banksim/loopbackpki"
)

// TestHandshake serves over ServerTLS and calls with ClientTLS: the
// server sees the TPP's certificate; a client of another PKI is refused.
func TestHandshake(t *testing.T) {
	p, err := loopbackpki.New("tpp-x")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "no client certificate", http.StatusUnauthorized)
			return
		}
		w.Write([]byte(r.TLS.PeerCertificates[0].Subject.CommonName))
	}))
	srv.TLS = p.ServerTLS()
	srv.StartTLS()
	defer srv.Close()
	for _, host := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: p.ClientTLS()}}
		resp, err := c.Get(host)
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		buf := make([]byte, 64)
		n, _ := resp.Body.Read(buf)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(buf[:n]) != "tpp-x" {
			t.Errorf("%s: %d %q", host, resp.StatusCode, buf[:n])
		}
	}
	other, err := loopbackpki.New("intruder")
	if err != nil {
		t.Fatal(err)
	}
	forged := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.Roots(), Certificates: []tls.Certificate{other.Client}}}}
	if resp, err := forged.Get(srv.URL); err == nil {
		resp.Body.Close()
		t.Error("a certificate from another CA was accepted")
	}
	if _, err := tls.X509KeyPair(p.ClientCertPEM, p.ClientKey); err != nil {
		t.Errorf("client PEM: %v", err)
	}
	if _, err := tls.X509KeyPair(p.ServerCertPEM, p.ServerKey); err != nil {
		t.Errorf("server PEM: %v", err)
	}
}
