package berlingroup

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/mtls"
)

// SCA approaches a bank entry may list.
const (
	ApproachRedirect  = "redirect"
	ApproachOAuth     = "oauth"
	ApproachDecoupled = "decoupled"
	ApproachEmbedded  = "embedded"
)

// Bank is one ASPSP of the operator's banks file, under its
// "berlingroup" key:
//
//	{"berlingroup": [{"id": "sparkasse-x", "name": "Sparkasse X", "country": "de",
//	  "base_url": "https://xs2a.bank.example/psd2", "tpp_id": "PSDDE-BAFIN-123456",
//	  "cert_file": "/etc/kobo/qwac.pem", "key_file": "/etc/kobo/qwac.key",
//	  "ca_file": "", "sca_approaches": ["redirect", "decoupled"], "profile": "1.3.11",
//	  "frequency_per_day": 4, "consent_days": 90}]}
//
// Instead of cert_file and key_file, cert_secret names a certificate and
// key stored sealed in kobo's database (`kobo banks import-cert --name`),
// which every replica reads and a new import replaces without a restart.
// With "signing": true every XS2A request is signed (Digest, Signature
// and TPP-Signature-Certificate, as the standard's signature function
// has it) with signing_cert_file and signing_key_file, or the stored
// signing_secret: the QSealC a bank that mandates signatures asks for.
//
// The first SCA approach is the institution's internet-banking method and
// the second its mobile-banking one (kobo tells an institution's methods
// apart by those two types).
type Bank struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Country         string   `json:"country"`
	BaseURL         string   `json:"base_url"`
	TPPID           string   `json:"tpp_id"` // the TPP's id at the bank (the OAuth client id)
	ClientCertFile  string   `json:"cert_file"`
	ClientKeyFile   string   `json:"key_file"`
	CAFile          string   `json:"ca_file"` // roots for the bank's server certificate; empty: the system's
	CertSecret      string   `json:"cert_secret"`
	Signing         bool     `json:"signing"`
	SigningCertFile string   `json:"signing_cert_file"`
	SigningKeyFile  string   `json:"signing_key_file"`
	SigningSecret   string   `json:"signing_secret"`
	Approaches      []string `json:"sca_approaches"`
	Profile         string   `json:"profile"`           // "1.3.11" (default) or "1.3.12"
	FrequencyPerDay int      `json:"frequency_per_day"` // unattended reads a day the consent asks for (default 4)
	ConsentDays     int      `json:"consent_days"`      // validity the consent asks for (default 90)
	Website         string   `json:"website"`
}

// ParseBanks decodes and checks the "berlingroup" entries of a banks
// file. Each problem names the entry and the field.
func ParseBanks(raw []byte) ([]Bank, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var banks []Bank
	if err := dec.Decode(&banks); err != nil {
		return nil, fmt.Errorf("berlingroup banks: want a list of bank entries: %w", err)
	}
	seen := map[string]bool{}
	for i := range banks {
		b := &banks[i]
		where := fmt.Sprintf("berlingroup bank %d", i)
		if b.ID != "" {
			where += fmt.Sprintf(" (%q)", b.ID)
		}
		bad := func(f string, a ...any) error { return fmt.Errorf("%s: %s", where, fmt.Sprintf(f, a...)) }
		switch {
		case b.ID == "" || strings.ContainsAny(b.ID, " /\t"):
			return nil, bad("id is required and has no spaces or slashes")
		case seen[b.ID]:
			return nil, bad("id is used twice")
		case b.Name == "":
			return nil, bad("name is required")
		case len(b.Country) != 2:
			return nil, bad("country must be an ISO 3166 alpha-2 code")
		}
		seen[b.ID] = true
		b.Country = strings.ToLower(b.Country)
		u, err := url.Parse(b.BaseURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" {
			return nil, bad("base_url must be an https URL without a query")
		}
		b.BaseURL = strings.TrimSuffix(b.BaseURL, "/")
		if (b.ClientCertFile == "") != (b.ClientKeyFile == "") {
			return nil, bad("cert_file and key_file go together")
		}
		if b.CertSecret != "" && b.ClientCertFile != "" {
			return nil, bad("cert_secret replaces cert_file and key_file: set one or the other")
		}
		fromFiles := b.SigningCertFile != "" || b.SigningKeyFile != ""
		switch {
		case !b.Signing && (fromFiles || b.SigningSecret != ""):
			return nil, bad(`signing_cert_file, signing_key_file and signing_secret need "signing": true`)
		case b.Signing && fromFiles && b.SigningSecret != "":
			return nil, bad("signing_secret replaces signing_cert_file and signing_key_file: set one or the other")
		case b.Signing && !fromFiles && b.SigningSecret == "":
			return nil, bad("signing needs signing_cert_file and signing_key_file, or signing_secret")
		case fromFiles && (b.SigningCertFile == "" || b.SigningKeyFile == ""):
			return nil, bad("signing_cert_file and signing_key_file go together")
		}
		if len(b.Approaches) == 0 {
			return nil, bad("sca_approaches lists none (redirect, oauth, decoupled, embedded)")
		}
		if len(b.Approaches) > 2 {
			return nil, bad("sca_approaches lists %d; kobo offers at most two per bank (internet and mobile banking)", len(b.Approaches))
		}
		for _, a := range b.Approaches {
			if !slices.Contains([]string{ApproachRedirect, ApproachOAuth, ApproachDecoupled, ApproachEmbedded}, a) {
				return nil, bad("unknown SCA approach %q (redirect, oauth, decoupled, embedded)", a)
			}
		}
		if len(b.Approaches) == 2 && b.Approaches[0] == b.Approaches[1] {
			return nil, bad("sca_approaches lists %q twice", b.Approaches[0])
		}
		if b.Approaches[0] == ApproachOAuth && b.TPPID == "" || slices.Contains(b.Approaches, ApproachOAuth) && b.TPPID == "" {
			return nil, bad("tpp_id is required with the oauth approach (it is the OAuth client id)")
		}
		switch b.Profile {
		case "":
			b.Profile = "1.3.11"
		case "1.3.11", "1.3.12":
		default:
			return nil, bad("profile must be 1.3.11 or 1.3.12")
		}
		if b.FrequencyPerDay == 0 {
			b.FrequencyPerDay = 4
		}
		if b.FrequencyPerDay < 1 || b.FrequencyPerDay > 24 {
			return nil, bad("frequency_per_day must be 1 to 24")
		}
		if b.ConsentDays == 0 {
			b.ConsentDays = 90
		}
		if b.ConsentDays < 1 || b.ConsentDays > 180 {
			return nil, bad("consent_days must be 1 to 180")
		}
	}
	return banks, nil
}

// tlsConfig loads the bank's mTLS client certificate and roots.
func (b Bank) tlsConfig(keys mtls.Keys) (*tls.Config, error) {
	c, err := mtls.ClientConfig(mtls.Files{CertFile: b.ClientCertFile, KeyFile: b.ClientKeyFile, CAFile: b.CAFile, CertSecret: b.CertSecret,
		CertName: "client certificate", SecretName: "cert_secret", CAName: "ca_file"}, keys)
	if err != nil {
		return nil, fmt.Errorf("berlingroup bank %q: %w", b.ID, err)
	}
	return c, nil
}

// InstitutionID is the stable kobo institution id of a bank entry.
func InstitutionID(bankID string) string {
	sum := sha256.Sum256([]byte("kobo.catalog/berlingroup/" + bankID))
	return hex.EncodeToString(sum[:12])
}

// Field names of the institutions' forms.
const (
	FieldPSUID    = "psu_id"
	FieldPassword = "password"
)

// Catalog is the institutions of the bank entries.
func Catalog(banks []Bank) []kobo.Institution {
	var out []kobo.Institution
	for _, b := range banks {
		in := kobo.Institution{ID: InstitutionID(b.ID), Name: b.Name, Type: kobo.PersonalBanking, Country: b.Country,
			Identifier: "kobo.berlingroup." + b.ID, Website: b.Website, PrimaryColor: "#1F3A93",
			Products: []string{"Accounts", "Transactions", "Balance", "Income"}, Scopes: []string{"financial_data"},
			Provider: Name, Providers: []string{Name}}
		for i, a := range b.Approaches {
			typ := kobo.InternetBanking
			if i == 1 {
				typ = kobo.MobileBanking
			}
			m := kobo.AuthMethod{ID: InstitutionID(b.ID + "/" + a), Type: typ}
			psu := kobo.FormField{Type: "elements.input", Name: FieldPSUID, Hint: "Online banking user ID", ContentType: "string", MaxLength: 70}
			switch a {
			case ApproachRedirect, ApproachOAuth:
				m.Name, m.Consent = "Log in at "+b.Name, kobo.ConsentRedirect
				m.UI = kobo.UIForm{Title: "Continue to " + b.Name}
			case ApproachDecoupled:
				m.Name, m.Consent = "Approve in the "+b.Name+" app", kobo.ConsentDecoupled
				m.UI = kobo.UIForm{Title: "Your " + b.Name + " user ID", Form: []kobo.FormField{psu}}
			case ApproachEmbedded:
				m.Name, m.Consent = "Online banking login", kobo.ConsentCredentials
				m.UI = kobo.UIForm{Title: "Log in to " + b.Name, Form: []kobo.FormField{psu,
					{Type: "elements.input", Name: FieldPassword, Hint: "Online banking password", ContentType: "password", MaxLength: 70}}}
			}
			in.AuthMethods = append(in.AuthMethods, m)
		}
		out = append(out, in)
	}
	return out
}
