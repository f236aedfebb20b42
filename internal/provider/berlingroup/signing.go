package berlingroup

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/provider/mtls"
)

// The signature function of the standard (its Digest, Signature and
// TPP-Signature-Certificate headers): the body's SHA-256 digest, and a
// signature over the digest, the request id, the PSU's id and the
// redirect URI when sent, and the date, keyed by the signing
// certificate's serial number and issuer, with the certificate itself
// beside it. It follows the draft-cavage HTTP signatures the standard
// refers to and its example (headers="Digest X-Request-ID PSU-ID
// TPP-Redirect-URI Date").

// signedHeaders are the headers signed when the request has them, in the
// order they are signed; Digest and X-Request-ID it always has.
var signedHeaders = []string{"Digest", "X-Request-ID", "PSU-ID", "PSU-Corporate-ID", "TPP-Redirect-URI", "Date"}

// signer is a bank entry's signing key and certificate: from its files,
// read once, or from kobo's database, looked up at each request.
type signer func() (*mtls.Key, error)

func (b Bank) signer(keys mtls.Keys) (signer, error) {
	if !b.Signing {
		return nil, nil
	}
	check := func(k *mtls.Key) (*mtls.Key, error) {
		switch k.Signer.(type) {
		case *rsa.PrivateKey, *ecdsa.PrivateKey:
			return k, nil
		}
		return nil, errors.New("the signing key must be RSA or ECDSA")
	}
	if b.SigningSecret != "" {
		get := func() (*mtls.Key, error) {
			k, err := mtls.LookupCert(keys, b.SigningSecret, "signing_secret")
			if err != nil {
				return nil, err
			}
			return check(k)
		}
		if _, err := get(); err != nil {
			return nil, fmt.Errorf("berlingroup bank %q: %w", b.ID, err)
		}
		return get, nil
	}
	cert, err := os.ReadFile(b.SigningCertFile)
	if err != nil {
		return nil, fmt.Errorf("berlingroup bank %q: signing_cert_file: %w", b.ID, err)
	}
	key, err := os.ReadFile(b.SigningKeyFile)
	if err != nil {
		return nil, fmt.Errorf("berlingroup bank %q: signing_key_file: %w", b.ID, err)
	}
	k, err := mtls.ParseKey(append(append(cert, '\n'), key...))
	if err == nil && k.Cert == nil {
		err = errors.New("signing_cert_file holds no certificate")
	}
	if err == nil {
		k, err = check(k)
	}
	if err != nil {
		return nil, fmt.Errorf("berlingroup bank %q: signing_cert_file/signing_key_file: %w", b.ID, err)
	}
	return func() (*mtls.Key, error) { return k, nil }, nil
}

// sign adds Digest, Date, Signature and TPP-Signature-Certificate to req,
// whose body is body.
func sign(req *http.Request, body []byte, k *mtls.Key, now time.Time) error {
	sum := sha256.Sum256(body)
	req.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
	req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	var names, lines []string
	for _, h := range signedHeaders {
		if v := req.Header.Get(h); v != "" {
			names = append(names, strings.ToLower(h))
			lines = append(lines, strings.ToLower(h)+": "+v)
		}
	}
	digest := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	var alg string
	switch k.Signer.(type) {
	case *rsa.PrivateKey:
		alg = "rsa-sha256"
	case *ecdsa.PrivateKey:
		alg = "ecdsa-sha256"
	}
	// RSA: PKCS #1 v1.5; ECDSA: ASN.1 DER, what crypto.Signer gives
	sig, err := k.Signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return err
	}
	keyID := fmt.Sprintf("SN=%X,CA=%s", k.Leaf.SerialNumber, escapeDN(k.Leaf.Issuer.String()))
	req.Header.Set("Signature", fmt.Sprintf(`keyId="%s",algorithm="%s",headers="%s",signature="%s"`,
		keyID, alg, strings.Join(names, " "), base64.StdEncoding.EncodeToString(sig)))
	req.Header.Set("TPP-Signature-Certificate", base64.StdEncoding.EncodeToString(k.Leaf.Raw))
	return nil
}

// escapeDN percent-encodes what cannot stand inside the quoted keyId (the
// standard's example encodes the issuer's spaces).
func escapeDN(dn string) string {
	return strings.NewReplacer("%", "%25", " ", "%20", `"`, "%22").Replace(dn)
}
