package obie

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/mtls"
)

// Bank is one ASPSP in the operator's banks file (KOBO_BANKS_FILE, key
// "obie"): everything kobo needs to reach a bank that follows the
// standard. Adding such a bank is an entry here, never code.
type Bank struct {
	ID      string `json:"id"`      // kobo's slug for the bank: a-z, 0-9 and -
	Name    string `json:"name"`    // shown to customers
	Country string `json:"country"` // ISO 3166 alpha-2 (default "gb")
	Website string `json:"website,omitempty"`
	Color   string `json:"color,omitempty"`
	// BaseURL is the AIS API's base, with its version path
	// (https://ob.bank.example/open-banking/v3.1/aisp).
	BaseURL  string `json:"base_url"`
	AuthURL  string `json:"auth_url"`  // the authorization endpoint the customer is sent to
	TokenURL string `json:"token_url"` // the token endpoint (mTLS)
	ClientID string `json:"client_id"` // kobo's client id at the bank (from its dynamic client registration)
	// CertFile and KeyFile are the transport (mTLS) certificate and key,
	// PEM; CAFile, when set, replaces the system roots for this bank.
	CertFile string `json:"cert_file,omitempty"`
	KeyFile  string `json:"key_file,omitempty"`
	CAFile   string `json:"ca_file,omitempty"`
	// CertSecret, instead of cert_file and key_file, names a certificate
	// and key the operator stored sealed in kobo's database (`kobo banks
	// import-cert --name`): every replica reads it there, and a new import
	// under the name is used without a restart.
	CertSecret string `json:"cert_secret,omitempty"`
	// SigningKeyFile is the request-object signing key (EC P-256, PEM
	// PKCS#8 or SEC 1) with its key id; without it the request object is
	// sent unsigned (alg none), which only sandboxes accept.
	SigningKeyFile string `json:"signing_key_file,omitempty"`
	SigningKID     string `json:"signing_kid,omitempty"`
	// SigningSecret, instead of signing_key_file, names the signing key
	// in kobo's database (as cert_secret does the transport certificate).
	SigningSecret string `json:"signing_secret,omitempty"`
	// Profile is the standard's version the bank runs: "v3.1" or "v4.0".
	Profile string `json:"profile"`
	// Permissions asked for in the consent (default: accounts detail,
	// balances, transactions detail with credits and debits, party).
	Permissions []string `json:"permissions,omitempty"`
	// ConsentDays is the consent's life asked for (default 90).
	ConsentDays int `json:"consent_days,omitempty"`
	// Scope of the authorization request (default "openid accounts").
	Scope string `json:"scope,omitempty"`
}

// DefaultPermissions are what kobo asks a bank for: everything its
// Mono-shaped API serves.
func DefaultPermissions() []string {
	return []string{"ReadAccountsDetail", "ReadBalances", "ReadTransactionsDetail", "ReadTransactionsCredits", "ReadTransactionsDebits", "ReadParty"}
}

var idRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// ParseBanks reads the "obie" value of the banks file: a JSON array of
// Bank. Every entry is checked and every problem is named with the
// entry and field; unknown fields are refused so a typo never silently
// drops a setting. Files are not read here (New reads them).
func ParseBanks(raw json.RawMessage) ([]Bank, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var banks []Bank
	if err := dec.Decode(&banks); err != nil {
		return nil, fmt.Errorf("obie banks: want an array of bank entries: %w", err)
	}
	if dec.More() {
		return nil, errors.New("obie banks: trailing data after the array")
	}
	seen := map[string]bool{}
	var errs []error
	for i := range banks {
		b := &banks[i]
		where := fmt.Sprintf("obie banks[%d]", i)
		if b.ID != "" {
			where += " (" + b.ID + ")"
		}
		bad := func(field, msg string) { errs = append(errs, fmt.Errorf("%s: %s %s", where, field, msg)) }
		switch {
		case !idRe.MatchString(b.ID):
			bad("id", "must be 1-40 of a-z, 0-9 and -, starting with a letter or digit")
		case seen[b.ID]:
			bad("id", "is used twice")
		}
		seen[b.ID] = true
		if strings.TrimSpace(b.Name) == "" || len(b.Name) > 100 {
			bad("name", "is required (at most 100 characters)")
		}
		b.Country = strings.ToLower(b.Country)
		if b.Country == "" {
			b.Country = "gb"
		}
		if len(b.Country) != 2 || strings.Trim(b.Country, "abcdefghijklmnopqrstuvwxyz") != "" {
			bad("country", "must be an ISO 3166 alpha-2 code")
		}
		for _, u := range []struct{ field, v string }{{"base_url", b.BaseURL}, {"auth_url", b.AuthURL}, {"token_url", b.TokenURL}} {
			p, err := url.Parse(u.v)
			if err != nil || p.Scheme != "https" || p.Host == "" || p.RawQuery != "" || p.Fragment != "" {
				bad(u.field, "must be an absolute https URL without query or fragment")
			}
		}
		b.BaseURL = strings.TrimRight(b.BaseURL, "/")
		if b.ClientID == "" || len(b.ClientID) > 256 {
			bad("client_id", "is required")
		}
		if (b.CertFile == "") != (b.KeyFile == "") {
			bad("cert_file", "and key_file go together")
		}
		if b.CertSecret != "" && b.CertFile != "" {
			bad("cert_secret", "replaces cert_file and key_file: set one or the other")
		}
		if b.SigningSecret != "" && b.SigningKeyFile != "" {
			bad("signing_secret", "replaces signing_key_file: set one or the other")
		}
		if b.SigningKID != "" && b.SigningKeyFile == "" && b.SigningSecret == "" {
			bad("signing_kid", "needs signing_key_file or signing_secret")
		}
		switch b.Profile {
		case "v3.1", "v4.0":
		case "":
			b.Profile = "v3.1"
		default:
			bad("profile", `must be "v3.1" or "v4.0"`)
		}
		for _, p := range b.Permissions {
			if !strings.HasPrefix(p, "Read") || len(p) > 40 {
				bad("permissions", fmt.Sprintf("has %q, not an AIS permission", p))
			}
		}
		if len(b.Permissions) == 0 {
			b.Permissions = DefaultPermissions()
		}
		if b.ConsentDays < 0 || b.ConsentDays > 3650 {
			bad("consent_days", "must be 0 to 3650")
		}
		if b.ConsentDays == 0 {
			b.ConsentDays = 90
		}
		if b.Scope == "" {
			b.Scope = "openid accounts"
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return banks, nil
}

// InstitutionID is the catalog id of a bank entry: stable across
// installs and replicas, derived from the entry's id.
func InstitutionID(bankID string) string { return stableID("obie/" + bankID) }

func stableID(name string) string {
	sum := sha256.Sum256([]byte("kobo.catalog/" + name))
	return hex.EncodeToString(sum[:12])
}

// Catalog is the institutions of the banks, one each, with the redirect
// consent as their one auth method.
func Catalog(banks []Bank) []kobo.Institution {
	out := make([]kobo.Institution, 0, len(banks))
	for _, b := range banks {
		products := []string{"Accounts", "Transactions", "Balance", "Income"}
		if slices.Contains(b.Permissions, "ReadParty") {
			products = append(products, "Identity")
		}
		out = append(out, kobo.Institution{
			ID: InstitutionID(b.ID), Name: b.Name, Type: kobo.PersonalBanking, Country: b.Country, Identifier: "kobo.obie." + b.ID,
			Icon: "/static/institutions/obie-" + b.ID + ".svg", PrimaryColor: cmpOr(b.Color, "#2D2A7B"), Website: b.Website,
			Products: products, Scopes: []string{"financial_data"}, Provider: Name, Providers: []string{Name},
			AuthMethods: []kobo.AuthMethod{{ID: stableID("obie/" + b.ID + "/redirect"), Type: kobo.InternetBanking, Name: "Open Banking",
				Consent: kobo.ConsentRedirect, UI: kobo.UIForm{Title: "Continue to " + b.Name, Form: []kobo.FormField{}}}},
		})
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// loadTLS reads a bank's certificate files, or checks that the
// certificate it names is in keys.
func loadTLS(b Bank, keys mtls.Keys) (*tls.Config, error) {
	c, err := mtls.ClientConfig(mtls.Files{CertFile: b.CertFile, KeyFile: b.KeyFile, CAFile: b.CAFile, CertSecret: b.CertSecret,
		CertName: "cert_file/key_file", SecretName: "cert_secret", CAName: "ca_file"}, keys)
	if err != nil {
		return nil, fmt.Errorf("obie bank %s: %w", b.ID, err)
	}
	return c, nil
}

// ParseSigningKey reads an EC P-256 private key from PEM (PKCS#8 or
// SEC 1).
func ParseSigningKey(pemBytes []byte) (*ecdsa.PrivateKey, error) {
	blk, _ := pem.Decode(pemBytes)
	if blk == nil {
		return nil, errors.New("not PEM")
	}
	var ek *ecdsa.PrivateKey
	if k, err := x509.ParseECPrivateKey(blk.Bytes); err == nil {
		ek = k
	} else {
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("not an EC private key: %w", err)
		}
		ek, _ = k.(*ecdsa.PrivateKey)
	}
	if ek == nil || ek.Curve.Params().Name != "P-256" {
		return nil, errors.New("the signing key must be EC P-256 (ES256)")
	}
	return ek, nil
}

// signingKeyOf is the ES256 key of a stored TPP key.
func signingKeyOf(k *mtls.Key) (*ecdsa.PrivateKey, error) {
	ek, ok := k.Signer.(*ecdsa.PrivateKey)
	if !ok || ek.Curve.Params().Name != "P-256" {
		return nil, errors.New("the signing key must be EC P-256 (ES256)")
	}
	return ek, nil
}
