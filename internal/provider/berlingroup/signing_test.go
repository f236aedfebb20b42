package berlingroup_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/banksim"
	bgface "github.com/kobo-oss/kobo/internal/banksim/berlingroup"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/berlingroup"
	"github.com/kobo-oss/kobo/internal/provider/mtls"
)

type keyMap map[string]*mtls.Key

func (k keyMap) Key(name string) (*mtls.Key, bool) { v, ok := k[name]; return v, ok }

// entry is a loopback face's banks-file entry, changed by edit, parsed.
func entry(t *testing.T, lb *bgface.Loopback, edit func(map[string]any)) []berlingroup.Bank {
	t.Helper()
	e := lb.BankEntry("signed", "Signed Bank", "kobo-tpp", "embedded")
	if edit != nil {
		edit(e)
	}
	raw, _ := json.Marshal([]any{e})
	banks, err := berlingroup.ParseBanks(raw)
	if err != nil {
		t.Fatal(err)
	}
	return banks
}

func linkEmbedded(t *testing.T, p *berlingroup.Provider, in kobo.Institution) (*kobo.BankSession, error) {
	t.Helper()
	step, err := p.Login(t.Context(), kobo.LoginRequest{Institution: in, AuthMethod: kobo.InternetBanking, Interactive: true,
		Fields: map[string]kobo.Secret{berlingroup.FieldPSUID: "user_good", berlingroup.FieldPassword: "123456"}})
	if err != nil {
		return nil, err
	}
	step, err = p.Answer(t.Context(), *step.Challenge, map[string]kobo.Secret{"otp": banksim.TestOTP})
	if err != nil {
		return nil, err
	}
	return step.Session, nil
}

// TestSignedRequests links through a face that mandates the signature
// function, the entry signing with files and then with keys from kobo's
// store (its transport certificate too); a signature from a certificate
// the bank does not trust is kobo's fault, not the customer's, so it is
// never a re-authorisation.
func TestSignedRequests(t *testing.T) {
	sim := banksim.New(banksim.Config{Seed: 12})
	lb, err := bgface.StartLoopback(bgface.Config{Sim: sim, Approaches: []string{bgface.Embedded}}, "127.0.0.1:0", t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.Close() })

	banks := entry(t, lb, nil)
	p, err := berlingroup.New(berlingroup.Config{Banks: banks})
	if err != nil {
		t.Fatal(err)
	}
	s, err := linkEmbedded(t, p, berlingroup.Catalog(banks)[0])
	if err != nil {
		t.Fatalf("signed with files: %v", err)
	}
	if accts, err := p.Accounts(t.Context(), *s); err != nil || len(accts) == 0 {
		t.Fatalf("accounts: %v %v", accts, err)
	}

	// the same from kobo's store: no files at all
	qwac, _ := mtls.ParseKey(append(append([]byte{}, lb.PKI.ClientCertPEM...), lb.PKI.ClientKey...))
	qseal, _ := mtls.ParseKey(append(append([]byte{}, lb.Seal.ClientCertPEM...), lb.Seal.ClientKey...))
	stored := entry(t, lb, func(e map[string]any) {
		delete(e, "cert_file")
		delete(e, "key_file")
		delete(e, "signing_cert_file")
		delete(e, "signing_key_file")
		e["cert_secret"], e["signing_secret"] = "qwac", "qseal"
	})
	p, err = berlingroup.New(berlingroup.Config{Banks: stored, Keys: keyMap{"qwac": qwac, "qseal": qseal}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := linkEmbedded(t, p, berlingroup.Catalog(stored)[0]); err != nil {
		t.Fatalf("signed with stored keys: %v", err)
	}
	if _, err := berlingroup.New(berlingroup.Config{Banks: stored, Keys: keyMap{"qwac": qwac}}); err == nil ||
		!strings.Contains(err.Error(), `berlingroup bank "signed": signing_secret "qseal": no such key`) {
		t.Fatalf("missing signing key: %v", err)
	}

	// signed with a certificate of another CA
	other, err := bgface.StartLoopback(bgface.Config{Sim: sim}, "127.0.0.1:0", t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	wrong := entry(t, lb, func(e map[string]any) {
		e["signing_cert_file"], e["signing_key_file"] = other.SigningCertFile, other.SigningKeyFile
	})
	p, err = berlingroup.New(berlingroup.Config{Banks: wrong})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := linkEmbedded(t, p, berlingroup.Catalog(wrong)[0]); kobo.BankErrorKindOf(err) != kobo.BankUnavailable ||
		!strings.Contains(err.Error(), "CERTIFICATE_INVALID") {
		t.Fatalf("untrusted signing certificate: %v", err)
	}
	// unsigned at a bank that requires signatures
	unsigned := entry(t, lb, func(e map[string]any) {
		delete(e, "signing")
		delete(e, "signing_cert_file")
		delete(e, "signing_key_file")
	})
	p, _ = berlingroup.New(berlingroup.Config{Banks: unsigned})
	if _, err := linkEmbedded(t, p, berlingroup.Catalog(unsigned)[0]); kobo.BankErrorKindOf(err) != kobo.BankUnavailable ||
		!strings.Contains(err.Error(), "SIGNATURE_MISSING") {
		t.Fatalf("unsigned: %v", err)
	}
}

func TestSigningEntriesAreChecked(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("junk"), 0o600)
	base := `"id":"b","name":"B","country":"de","base_url":"https://xs2a.example","sca_approaches":["redirect"]`
	for _, tc := range []struct{ extra, want string }{
		{`"signing_secret":"s"`, `need "signing": true`},
		{`"signing":true`, "signing needs signing_cert_file and signing_key_file, or signing_secret"},
		{`"signing":true,"signing_secret":"s","signing_key_file":"k"`, "signing_secret replaces"},
		{`"signing":true,"signing_key_file":"k"`, "signing_cert_file and signing_key_file go together"},
		{`"cert_secret":"q","cert_file":"c","key_file":"k"`, "cert_secret replaces cert_file and key_file"},
	} {
		if _, err := berlingroup.ParseBanks([]byte(`[{` + base + `,` + tc.extra + `}]`)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.extra, err, tc.want)
		}
	}
	banks, err := berlingroup.ParseBanks([]byte(`[{` + base + `,"signing":true,"signing_cert_file":"` + junk + `","signing_key_file":"` + junk + `"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := berlingroup.New(berlingroup.Config{Banks: banks}); err == nil || !strings.Contains(err.Error(), `berlingroup bank "b": signing_cert_file/signing_key_file`) {
		t.Fatalf("unreadable signing files: %v", err)
	}
}
