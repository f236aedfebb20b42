package obie_test

import (
	"encoding/json"
	"strings"
	"testing"

	face "github.com/kobo-oss/kobo/internal/banksim/obie"
	"github.com/kobo-oss/kobo/internal/provider/mtls"
	"github.com/kobo-oss/kobo/internal/provider/obie"
)

type keyMap map[string]*mtls.Key

func (k keyMap) Key(name string) (*mtls.Key, bool) { v, ok := k[name]; return v, ok }

// TestKeysFromTheStore links with the transport certificate and the
// request-object signing key taken from kobo's store (cert_secret,
// signing_secret) rather than files: the face requires both.
func TestKeysFromTheStore(t *testing.T) {
	t.Parallel()
	b := setup(t, face.V31(), nil)
	e := b.lb.BankEntry("simbank", "Sim Bank UK", "kobo-test")
	for _, f := range []string{"cert_file", "key_file", "signing_key_file"} {
		delete(e, f)
	}
	e["cert_secret"], e["signing_secret"] = "obie-transport", "obie-signing"
	raw, _ := json.Marshal([]any{e})
	banks, err := obie.ParseBanks(raw)
	if err != nil {
		t.Fatal(err)
	}
	transport, err := mtls.ParseKey(append(append([]byte{}, b.lb.PKI.ClientCertPEM...), b.lb.PKI.ClientKey...))
	if err != nil {
		t.Fatal(err)
	}
	signing, err := mtls.ParseKey(b.lb.PKI.SigningKey)
	if err != nil {
		t.Fatal(err)
	}
	keys := keyMap{"obie-transport": transport, "obie-signing": signing}
	c := obie.Config{Banks: banks, Keys: keys}
	if b.val != nil {
		c.WrapTransport = b.val.Transport
	}
	if b.p, err = obie.New(c); err != nil {
		t.Fatal(err)
	}
	s := b.link(t, "user_good")
	if accts, err := b.p.Accounts(t.Context(), s); err != nil || len(accts) == 0 {
		t.Fatalf("accounts: %v %v", accts, err)
	}

	for _, c := range []struct {
		keys keyMap
		want string
	}{
		{keyMap{"obie-signing": signing}, `obie bank simbank: cert_secret "obie-transport": no such key in kobo's database`},
		{keyMap{"obie-transport": transport}, `obie bank simbank: signing_secret "obie-signing": no such key`},
		{keyMap{"obie-transport": signing, "obie-signing": signing}, `cert_secret "obie-transport": the stored key has no certificate`},
	} {
		_, err := obie.New(obie.Config{Banks: banks, Keys: c.keys})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.keys, err, c.want)
		}
	}
	for _, c := range []struct{ edit, want string }{
		{`"cert_file":"c","key_file":"k"`, "cert_secret replaces cert_file"},
		{`"signing_key_file":"s"`, "signing_secret replaces signing_key_file"},
	} {
		in := strings.Replace(string(raw), `"cert_secret"`, c.edit+`,"cert_secret"`, 1)
		if _, err := obie.ParseBanks(json.RawMessage(in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.edit, err, c.want)
		}
	}
}
