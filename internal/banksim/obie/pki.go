package obie

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"

	"github.com/kobo-oss/kobo/internal/banksim/loopbackpki"
)

// PKI is the loopback PKI (see loopbackpki) with the TPP's request-object
// signing key, which only an OBIE bank asks for: what the face's tests,
// the end-to-end tests and `kobo banksim --obie-addr` use on loopback.
type PKI struct {
	*loopbackpki.PKI
	// SigningKey is the TPP's request-object key (ES256), PEM PKCS#8.
	SigningKey []byte
	SigningPub *ecdsa.PublicKey
}

// NewPKI makes a PKI whose certificates last from now for a day, with a
// client certificate named clientName.
func NewPKI(clientName string) (*PKI, error) {
	lp, err := loopbackpki.New(clientName)
	if err != nil {
		return nil, err
	}
	sk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	skd, err := x509.MarshalPKCS8PrivateKey(sk)
	if err != nil {
		return nil, err
	}
	return &PKI{PKI: lp, SigningKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: skd}), SigningPub: &sk.PublicKey}, nil
}

// SignRequestObject signs claims as an ES256 compact JWS with a PKCS#8
// PEM key: a TPP's request object, for tests and demos of a bank that
// requires one.
func SignRequestObject(claims map[string]any, keyPEM []byte, kid string) (string, error) {
	blk, _ := pem.Decode(keyPEM)
	if blk == nil {
		return "", fmt.Errorf("signing key: not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return "", fmt.Errorf("signing key: %w", err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return "", fmt.Errorf("signing key: not an EC key")
	}
	hb, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": kid})
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	sum := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, ek, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
