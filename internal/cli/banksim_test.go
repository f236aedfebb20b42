package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	bgface "github.com/kobo-oss/kobo/internal/banksim/berlingroup"
	"github.com/kobo-oss/kobo/internal/banksim/conformance"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/berlingroup"
	"github.com/kobo-oss/kobo/internal/provider/obie"
)

// TestBanksimServesBerlinGroupFace runs `kobo banksim` with both
// standard faces and Berlin Group signatures required, as an operator
// would, and drives the Berlin Group connector from the banks file it
// wrote: an embedded link, accounts, balances and transactions, every
// answer validated against the NextGenPSD2 1.3.11 file; the OBIE entry
// is in the same file and its connector accepts it.
func TestBanksimServesBerlinGroupFace(t *testing.T) {
	t.Parallel()
	spec := conformance.Require(t, bgface.SpecFile)
	dir := t.TempDir()
	banksFile := filepath.Join(dir, "banks.json")
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"banksim", "--addr", "127.0.0.1:0", "--seed", "9",
			"--berlingroup-addr", "127.0.0.1:0", "--berlingroup-dir", filepath.Join(dir, "xs2a"), "--berlingroup-signing",
			"--obie-addr", "127.0.0.1:0", "--obie-dir", filepath.Join(dir, "obie"), "--banks-file", banksFile}, func(string) string { return "" }, out, out)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("kobo banksim exited %d: %s", code, out)
		}
	})
	waitUntil(t, "banksim's banks file", 2*time.Minute, func() bool {
		_, err := os.Stat(banksFile)
		return err == nil
	})
	raw, _ := os.ReadFile(banksFile)
	var std map[string]json.RawMessage
	if err := json.Unmarshal(raw, &std); err != nil {
		t.Fatal(err)
	}
	if own, _ := os.ReadFile(filepath.Join(dir, "xs2a", "banks.json")); len(own) == 0 {
		t.Fatal("the Berlin Group face wrote no banks file of its own")
	}
	obanks, err := obie.ParseBanks(std["obie"])
	if err != nil || len(obanks) != 1 {
		t.Fatalf("obie entries: %v %v", obanks, err)
	}
	if _, err := obie.New(obie.Config{Banks: obanks}); err != nil {
		t.Fatalf("the obie entry's files: %v", err)
	}
	banks, err := berlingroup.ParseBanks(std["berlingroup"])
	if err != nil || len(banks) != 2 || !banks[0].Signing {
		t.Fatalf("berlingroup entries: %+v %v", banks, err)
	}
	val, err := bgface.NewValidator(spec, banks[0].BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := berlingroup.New(berlingroup.Config{Banks: banks, WrapTransport: val.Transport})
	if err != nil {
		t.Fatal(err)
	}
	cat := berlingroup.Catalog(banks)
	var embedded kobo.Institution
	for _, in := range cat {
		if in.AuthMethods[0].Consent == kobo.ConsentCredentials {
			embedded = in
		}
	}
	step, err := p.Login(ctx, kobo.LoginRequest{Institution: embedded, AuthMethod: kobo.InternetBanking, Interactive: true,
		Fields: map[string]kobo.Secret{berlingroup.FieldPSUID: "user_good", berlingroup.FieldPassword: "123456"}})
	if err != nil || step.Challenge == nil {
		t.Fatalf("login: %v %+v", err, step)
	}
	if step, err = p.Answer(ctx, *step.Challenge, map[string]kobo.Secret{"otp": banksim.TestOTP}); err != nil || step.Session == nil {
		t.Fatalf("OTP: %v", err)
	}
	accts, err := p.Accounts(ctx, *step.Session)
	if err != nil || len(accts) == 0 {
		t.Fatalf("accounts: %v %v", accts, err)
	}
	if _, err := p.Balance(ctx, *step.Session, accts[0].Ref); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := p.Transactions(ctx, *step.Session, accts[0].Ref, kobo.TxnQuery{From: time.Now().AddDate(0, -3, 0)}, func(page []kobo.BankTransaction) error {
		n += len(page)
		return nil
	}); err != nil || n == 0 {
		t.Fatalf("transactions: %d %v", n, err)
	}
	// the face wants signatures: the same entry unsigned is refused
	unsigned := banks[1] // the embedded entry, the second the face writes
	unsigned.Signing = false
	up, _ := berlingroup.New(berlingroup.Config{Banks: []berlingroup.Bank{unsigned}, WrapTransport: val.Transport})
	if _, err := up.Login(ctx, kobo.LoginRequest{Institution: embedded, AuthMethod: kobo.InternetBanking, Interactive: true,
		Fields: map[string]kobo.Secret{berlingroup.FieldPSUID: "user_good", berlingroup.FieldPassword: "123456"}}); kobo.BankErrorKindOf(err) != kobo.BankUnavailable {
		t.Fatalf("unsigned request: %v", err)
	}
	checked, failed := val.Counts()
	for _, f := range val.Failures() {
		t.Errorf("answer not conforming to the spec: %s", f)
	}
	if checked < 5 || failed != 0 {
		t.Fatalf("%d answers validated, %d failed", checked, failed)
	}
	t.Logf("%d answers of `kobo banksim --berlingroup-addr` validated against the spec, %d transactions read", checked, n)
}
