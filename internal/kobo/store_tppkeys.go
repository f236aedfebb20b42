package kobo

import (
	"context"
	"time"
)

// TPPKey is key material kobo holds as a third-party provider at banks,
// imported by the operator (`kobo banks import-cert`) and named by bank
// entries of the banks file (cert_secret, signing_secret) instead of
// files: an mTLS client certificate and its key, or a signing key with or
// without its certificate. Material is the PEM, sealed at rest and never
// returned by any API; the other fields are what an operator may see.
type TPPKey struct {
	Name     string
	Material Secret // PEM: the certificate (if any) then the private key
	// Subject, Fingerprint (SHA-256 of the certificate, or of the public
	// key of a bare key, hex) and NotAfter describe it without revealing it.
	Subject     string
	Fingerprint string
	NotAfter    *time.Time
	UpdatedAt   time.Time
}

// TPPKeyStore keeps the TPP keys, one current value per name: an import
// replaces it, and every replica reads the new one.
type TPPKeyStore interface {
	// PutTPPKey creates or replaces the key named k.Name.
	PutTPPKey(ctx context.Context, k *TPPKey) error
	// TPPKeys lists every key by name.
	TPPKeys(ctx context.Context) ([]*TPPKey, error)
	// DeleteTPPKey removes a key (ENOTFOUND if none).
	DeleteTPPKey(ctx context.Context, name string) error
}
