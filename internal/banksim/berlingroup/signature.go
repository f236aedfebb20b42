package berlingroup

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"hash"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The standard's signature function, checked as an ASPSP that mandates
// it does: the Digest header must be the body's, the Signature header
// must sign at least the digest and the request id (and the PSU's id and
// the redirect URI when the request carries them) with the key of the
// TPP-Signature-Certificate, which must chain to the face's signature
// roots and be the one the keyId names by serial number and issuer.

// SignatureParams are the parameters of a Signature header.
type SignatureParams struct {
	KeyID, Algorithm, Signature string
	Headers                     []string // lower case, in signing order
}

// ParseSignature reads a Signature header: comma-separated name="value"
// pairs (keyId, algorithm, headers, signature), the values free of
// quotes. Unknown parameters are ignored; the four must be there.
func ParseSignature(h string) (SignatureParams, bool) {
	var p SignatureParams
	seen := map[string]bool{}
	for s := strings.TrimSpace(h); s != ""; {
		name, rest, ok := strings.Cut(s, "=")
		if !ok || !strings.HasPrefix(rest, `"`) {
			return p, false
		}
		val, after, ok := strings.Cut(rest[1:], `"`)
		if !ok {
			return p, false
		}
		name = strings.TrimSpace(name)
		if seen[name] {
			return p, false
		}
		seen[name] = true
		switch name {
		case "keyId":
			p.KeyID = val
		case "algorithm":
			p.Algorithm = val
		case "headers":
			p.Headers = strings.Fields(strings.ToLower(val))
		case "signature":
			p.Signature = val
		}
		s = strings.TrimSpace(after)
		if s != "" {
			if s[0] != ',' {
				return p, false
			}
			s = strings.TrimSpace(s[1:])
		}
	}
	return p, p.KeyID != "" && p.Algorithm != "" && p.Signature != "" && len(p.Headers) > 0
}

// parseKeyID reads keyId="SN=<serial, hex>,CA=<issuer DN, percent-encoded>".
func parseKeyID(s string) (serial *big.Int, issuer string, ok bool) {
	sn, ca, found := strings.Cut(s, ",CA=")
	if !found || !strings.HasPrefix(sn, "SN=") {
		return nil, "", false
	}
	serial, ok = new(big.Int).SetString(strings.TrimPrefix(sn, "SN="), 16)
	if !ok {
		return nil, "", false
	}
	issuer, err := url.PathUnescape(ca)
	return serial, issuer, err == nil && issuer != ""
}

// verifySignature checks r's signature, reading (and putting back) its
// body; it answers the refusal itself and returns false then.
func (f *Face) verifySignature(w http.ResponseWriter, r *http.Request) bool {
	sigHdr, certHdr := r.Header.Get("Signature"), r.Header.Get("TPP-Signature-Certificate")
	if sigHdr == "" {
		tppError(w, http.StatusUnauthorized, "SIGNATURE_MISSING", "this ASPSP requires signed requests (Digest, Signature, TPP-Signature-Certificate)")
		return false
	}
	der, err := base64.StdEncoding.DecodeString(certHdr)
	var cert *x509.Certificate
	if err == nil {
		cert, err = x509.ParseCertificate(der)
	}
	if err != nil {
		tppError(w, http.StatusUnauthorized, "CERTIFICATE_INVALID", "TPP-Signature-Certificate is not a base64 DER certificate")
		return false
	}
	// checked against the wall clock, as the TLS handshake checks the
	// QWAC: certificates live in real time, not the tenant's simulated one
	if _, err := cert.Verify(x509.VerifyOptions{Roots: f.sigRoots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			tppError(w, http.StatusUnauthorized, "CERTIFICATE_EXPIRED", "the signing certificate has expired")
			return false
		}
		tppError(w, http.StatusUnauthorized, "CERTIFICATE_INVALID", "the signing certificate is not from a trusted CA")
		return false
	}
	p, ok := ParseSignature(sigHdr)
	if !ok {
		tppError(w, http.StatusBadRequest, "FORMAT_ERROR", "the Signature header is not keyId, algorithm, headers and signature")
		return false
	}
	digest := r.Header.Get("Digest")
	if digest == "" {
		tppError(w, http.StatusBadRequest, "FORMAT_ERROR", "a signed request carries a Digest header")
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		tppError(w, http.StatusBadRequest, "FORMAT_ERROR", "the body could not be read")
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	refuse := func(text string) bool {
		tppError(w, http.StatusUnauthorized, "SIGNATURE_INVALID", text)
		return false
	}
	if !digestMatches(digest, body) {
		return refuse("the Digest is not the body's")
	}
	for _, must := range []string{"digest", "x-request-id", "psu-id", "psu-corporate-id", "tpp-redirect-uri"} {
		if (must == "digest" || must == "x-request-id" || r.Header.Get(must) != "") && !slices.Contains(p.Headers, must) {
			return refuse("the signature does not cover " + must)
		}
	}
	serial, issuer, ok := parseKeyID(p.KeyID)
	if !ok || serial.Cmp(cert.SerialNumber) != 0 || issuer != cert.Issuer.String() {
		return refuse("keyId does not name the TPP-Signature-Certificate (SN=serial,CA=issuer)")
	}
	var lines []string
	for _, h := range p.Headers {
		v := r.Header.Get(h)
		if v == "" {
			return refuse("the signature covers " + h + ", which the request does not carry")
		}
		lines = append(lines, h+": "+v)
	}
	sig, err := base64.StdEncoding.DecodeString(p.Signature)
	if err != nil {
		return refuse("the signature is not base64")
	}
	if !verifyWith(cert.PublicKey, p.Algorithm, []byte(strings.Join(lines, "\n")), sig) {
		return refuse("the signature does not verify with the certificate's key")
	}
	return true
}

// digestMatches checks a Digest header (SHA-256= or SHA-512=, base64)
// against the body.
func digestMatches(h string, body []byte) bool {
	alg, val, ok := strings.Cut(h, "=")
	if !ok {
		return false
	}
	var sum []byte
	switch strings.ToUpper(alg) {
	case "SHA-256":
		s := sha256.Sum256(body)
		sum = s[:]
	case "SHA-512":
		s := sha512.Sum512(body)
		sum = s[:]
	default:
		return false
	}
	got, err := base64.StdEncoding.DecodeString(val)
	return err == nil && bytes.Equal(got, sum)
}

// verifyWith verifies sig over msg: rsa-sha256 and rsa-sha512 (PKCS #1
// v1.5), ecdsa-sha256 (ASN.1).
func verifyWith(pub crypto.PublicKey, alg string, msg, sig []byte) bool {
	var h hash.Hash
	var ch crypto.Hash
	switch alg {
	case "rsa-sha256", "ecdsa-sha256":
		h, ch = sha256.New(), crypto.SHA256
	case "rsa-sha512":
		h, ch = sha512.New(), crypto.SHA512
	default:
		return false
	}
	h.Write(msg)
	sum := h.Sum(nil)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "rsa-") && rsa.VerifyPKCS1v15(k, ch, sum, sig) == nil
	case *ecdsa.PublicKey:
		return alg == "ecdsa-sha256" && ecdsa.VerifyASN1(k, sum, sig)
	}
	return false
}
