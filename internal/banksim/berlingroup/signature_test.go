package berlingroup_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/banksim/berlingroup"
	"github.com/kobo-oss/kobo/internal/banksim/loopbackpki"
)

// tppSigner signs requests as the spec's Signature parameter describes
// (its example: keyId="SN=…,CA=…", headers="Digest X-Request-ID PSU-ID
// TPP-Redirect-URI Date"); spoil, when set, damages one part so each
// refusal can be seen.
type tppSigner struct {
	next  http.RoundTripper
	pki   *loopbackpki.PKI
	spoil string
}

func (s *tppSigner) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	leaf, _ := x509.ParseCertificate(s.pki.Client.Certificate[0])
	sum := sha256.Sum256(body)
	if s.spoil != "no digest" {
		req.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
	}
	req.Header.Set("Date", "Wed, 02 Dec 2026 16:00:00 GMT")
	names := []string{"digest", "x-request-id"}
	if s.spoil == "request id unsigned" {
		names = []string{"digest", "date"}
	}
	for _, h := range []string{"psu-id", "tpp-redirect-uri"} {
		if req.Header.Get(h) != "" {
			names = append(names, h)
		}
	}
	var lines []string
	for _, h := range names {
		lines = append(lines, h+": "+req.Header.Get(h))
	}
	digest := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	sig, err := s.pki.Client.PrivateKey.(crypto.Signer).Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	serial := leaf.SerialNumber.Text(16)
	if s.spoil == "wrong serial" {
		serial = "ABCDEF"
	}
	keyID := fmt.Sprintf("SN=%s,CA=%s", serial, strings.ReplaceAll(leaf.Issuer.String(), " ", "%20"))
	if s.spoil != "no signature" {
		req.Header.Set("Signature", fmt.Sprintf(`keyId="%s",algorithm="ecdsa-sha256",headers="%s",signature="%s"`, keyID, strings.Join(names, " "),
			base64.StdEncoding.EncodeToString(sig)))
	}
	req.Header.Set("TPP-Signature-Certificate", base64.StdEncoding.EncodeToString(leaf.Raw))
	if s.spoil == "body changed" && len(body) > 0 {
		body = append(body[:len(body)-1], ' ', '}')
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	}
	return s.next.RoundTrip(req)
}

// TestSignatureRequired serves a face that mandates the signature
// function: a signed TPP links and reads; unsigned, tampered, mis-keyed
// and untrusted requests are refused with the standard's message codes,
// each answer validated against the spec.
func TestSignatureRequired(t *testing.T) {
	seal := newPKI(t)
	e := start(t, berlingroup.Config{SignatureRoots: seal.Roots()})
	tr := e.client.Transport
	signer := &tppSigner{next: tr, pki: seal}
	e.client.Transport = signer
	id := e.embedded("user_good", 4)
	var accts struct {
		Accounts []map[string]any `json:"accounts"`
	}
	e.do("GET", "/v1/accounts", present(id), "", 200, &accts)
	if len(accts.Accounts) == 0 {
		t.Fatal("no accounts")
	}
	body := consentBody(e, 4)
	for _, tc := range []struct {
		spoil, code string
		status      int
	}{
		{"no signature", "SIGNATURE_MISSING", 401},
		{"body changed", "SIGNATURE_INVALID", 401},
		{"no digest", "FORMAT_ERROR", 400},
		{"wrong serial", "SIGNATURE_INVALID", 401},
		{"request id unsigned", "SIGNATURE_INVALID", 401},
	} {
		signer.spoil = tc.spoil
		var te tppErr
		e.do("POST", "/v1/consents", map[string]string{"PSU-ID": "user_good"}, body, tc.status, &te)
		if len(te.TppMessages) != 1 || te.TppMessages[0].Code != tc.code {
			t.Errorf("%s: %+v, want %s", tc.spoil, te, tc.code)
		}
	}
	// a signing certificate from a CA the bank does not trust
	e.client.Transport = &tppSigner{next: tr, pki: newPKI(t)}
	var te tppErr
	e.do("GET", "/v1/accounts", present(id), "", 401, &te)
	if len(te.TppMessages) != 1 || te.TppMessages[0].Code != "CERTIFICATE_INVALID" {
		t.Errorf("untrusted signing certificate: %+v", te)
	}
	// the PSU's pages and the OAuth server are not XS2A calls: no signature
	e.client.Transport = tr
	resp, err := e.client.Get(e.base + "/.well-known/oauth-authorization-server")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("OAuth metadata unsigned: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestParseSignature(t *testing.T) {
	p, ok := berlingroup.ParseSignature(`keyId="SN=9FA1,CA=CN=D-TRUST%20CA%202-1%202015,O=D-Trust%20GmbH,C=DE",algorithm="rsa-sha256", headers="Digest X-Request-ID PSU-ID TPP-Redirect-URI Date", signature="c2ln"`)
	if !ok || p.KeyID != "SN=9FA1,CA=CN=D-TRUST%20CA%202-1%202015,O=D-Trust%20GmbH,C=DE" || p.Algorithm != "rsa-sha256" || p.Signature != "c2ln" ||
		strings.Join(p.Headers, " ") != "digest x-request-id psu-id tpp-redirect-uri date" {
		t.Fatalf("the spec's example: %+v %v", p, ok)
	}
	for _, bad := range []string{``, `keyId="a"`, `keyId="a",algorithm="b",headers="c",signature="d`, `keyId="a" algorithm="b"`,
		`keyId="a",keyId="a",algorithm="b",headers="c",signature="d"`, `keyId=a,algorithm="b",headers="c",signature="d"`} {
		if p, ok := berlingroup.ParseSignature(bad); ok {
			t.Errorf("%q parsed: %+v", bad, p)
		}
	}
}

func FuzzParseSignature(f *testing.F) {
	f.Add(`keyId="SN=9FA1,CA=CN=D-TRUST%20CA",algorithm="rsa-sha256",headers="Digest X-Request-ID",signature="c2ln"`)
	f.Add(`keyId="",algorithm=""`)
	f.Add(`a="b",,`)
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := berlingroup.ParseSignature(s)
		if !ok {
			return
		}
		if p.KeyID == "" || p.Signature == "" || len(p.Headers) == 0 || strings.Contains(p.KeyID, `"`) {
			t.Fatalf("accepted %q as %+v", s, p)
		}
		// what parsed is what a TPP would write
		again, ok := berlingroup.ParseSignature(fmt.Sprintf(`keyId="%s",algorithm="%s",headers="%s",signature="%s"`, p.KeyID, p.Algorithm, strings.Join(p.Headers, " "), p.Signature))
		if !ok || again.KeyID != p.KeyID || again.Signature != p.Signature || strings.Join(again.Headers, " ") != strings.Join(p.Headers, " ") {
			t.Fatalf("%q does not round-trip: %+v %+v", s, p, again)
		}
	})
}
