package atrest_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/atrest"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/sqlite"
	"github.com/kobo-oss/kobo/internal/storetest"
	"github.com/kobo-oss/kobo/internal/vault"
)

func key(c byte) []byte { return bytes.Repeat([]byte{c}, 32) }

func open(t *testing.T) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kobo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx, kobo.SystemClock{}); err != nil {
		t.Fatal(err)
	}
	return st
}

func mustVault(t *testing.T, keys ...[]byte) *vault.Vault {
	t.Helper()
	v, err := vault.New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// tppKeyPEM stands for a TPP's private key (the wrapper does not parse it).
const tppKeyPEM = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"

// fixture writes one of everything the wrapper seals, through it.
type fixture struct {
	app  *kobo.App
	acct *kobo.Account
}

func write(t *testing.T, s kobo.Store, v kobo.Sealer) fixture {
	t.Helper()
	ctx := context.Background()
	p := storetest.NewPartner(t, s, kobo.RandomToken(6)+"@b.ng")
	a := storetest.NewApp(t, s, p.ID)
	// the account is written whole, its credentials sealed from the start
	// (a concurrent rotation must see nothing transient)
	acct := &kobo.Account{ID: kobo.NewID(storetest.T0) + kobo.RandomToken(4), AppID: a.ID, InstitutionID: "inst", AuthMethod: kobo.InternetBanking,
		ProviderRef: "bank-acct-1", Name: "ADA OBI", AccountNumber: "0123456789", Fingerprint: "fp1", Type: "SAVINGS ACCOUNT", Currency: "NGN",
		DataStatus: kobo.DataProcessing, CreatedAt: storetest.T0, UpdatedAt: storetest.T0}
	creds, err := v.Seal([]byte(`{"t":"bank-token"}`), kobo.CredentialsAAD(acct.ID))
	if err != nil {
		t.Fatal(err)
	}
	acct.Credentials = creds
	err = s.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.CreateAccount(ctx, acct); err != nil {
			return err
		}
		// identifiers came after the plaintext era: an engine written to
		// directly gets them sealed already, as the wrapper would have
		iban := kobo.Sealed("GB33BUKB20000012345678")
		if _, wrapped := s.(*atrest.Store); !wrapped {
			if iban, err = v.Seal([]byte(iban), kobo.FieldAccountIdent.AAD(acct.ID+" "+kobo.SchemeIBAN)); err != nil {
				return err
			}
		}
		if err := tx.SetAccountIdentifiers(ctx, acct.ID, []kobo.AccountIdentifier{{Scheme: kobo.SchemeIBAN, Value: kobo.AccountNumber(iban)}}); err != nil {
			return err
		}
		// so did the TPP keys
		tppKey := kobo.Secret(tppKeyPEM)
		if _, wrapped := s.(*atrest.Store); !wrapped {
			sk, err := v.Seal([]byte(tppKey), kobo.FieldTPPKey.AAD("qwac-"+acct.ID))
			if err != nil {
				return err
			}
			tppKey = kobo.Secret(sk)
		}
		if err := tx.PutTPPKey(ctx, &kobo.TPPKey{Name: "qwac-" + acct.ID, Material: tppKey, Fingerprint: "ab", UpdatedAt: storetest.T0}); err != nil {
			return err
		}
		if err := tx.UpsertIdentity(ctx, &kobo.Identity{AccountID: acct.ID, FullName: "ADA OBI", BVN: "22123456789", Email: "ada@obi.ng", Phone: "08031234567",
			DOB: "1990-01-02", AddressLine1: "1 Marina", AddressLine2: "Lagos Island", Gender: "female", CreatedAt: storetest.T0, UpdatedAt: storetest.T0}); err != nil {
			return err
		}
		if err := tx.CreateCustomer(ctx, &kobo.Customer{ID: "cust_" + acct.ID, AppID: a.ID, Name: "Ada", Phone: "08031234567", IDType: "bvn", IDNumber: "22123456789", Address: "12 Allen Ave", CreatedAt: storetest.T0, UpdatedAt: storetest.T0}); err != nil {
			return err
		}
		if err := tx.RecordEvent(ctx, &kobo.Event{ID: "ev_" + acct.ID, AppID: a.ID, Type: kobo.EventAccountUpdated, AccountID: acct.ID,
			Payload: []byte(`{"account":{"accountNumber":"0123456789"}}`), CreatedAt: storetest.T0}); err != nil {
			return err
		}
		if _, err := tx.InsertIdempotency(ctx, &kobo.IdempotencyRecord{AppID: a.ID, Key: "k1", RequestHash: "h", CreatedAt: storetest.T0}); err != nil {
			return err
		}
		if err := tx.CompleteIdempotency(ctx, a.ID, false, "k1", 200, []byte(`{"accountNumber":"0123456789"}`), "application/json"); err != nil {
			return err
		}
		if err := tx.CreatePartnerToken(ctx, &kobo.PartnerToken{Hash: "tok_" + acct.ID, PartnerID: p.ID, Kind: "dashboard", CreatedAt: storetest.T0,
			ExpiresAt: storetest.T0.Add(time.Hour), UserAgent: "Mozilla/5.0 (ADA's laptop)", IP: "203.0.113.9"}); err != nil {
			return err
		}
		return tx.CreateStatement(ctx, &kobo.Statement{ID: "st_" + acct.ID, AccountID: acct.ID, AppID: a.ID, Status: "BUILT", Period: "last1months",
			From: storetest.T0, To: storetest.T0, PDF: []byte("%PDF 0123456789"), CreatedAt: storetest.T0})
	})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{app: a, acct: acct}
}

// read reads back everything write wrote and fails on any difference.
func read(t *testing.T, s kobo.Store, f fixture) {
	t.Helper()
	ctx := context.Background()
	err := s.View(ctx, func(tx kobo.Tx) error {
		a, err := tx.App(ctx, f.app.ID)
		if err != nil || a.WebhookSecret != f.app.WebhookSecret {
			t.Errorf("app: %v %v", a, err)
		}
		acct, err := tx.Account(ctx, f.acct.ID)
		if err != nil || acct.AccountNumber != "0123456789" {
			t.Errorf("account: %v %v", acct, err)
		}
		list, _, err := tx.ListAccounts(ctx, f.app.ID, false, 10, 0)
		if err != nil || len(list) != 1 || list[0].AccountNumber != "0123456789" {
			t.Errorf("ListAccounts: %v %v", list, err)
		}
		ids, err := tx.AccountIdentifiers(ctx, f.acct.ID)
		if err != nil || len(ids) != 1 || ids[0].Value != "GB33BUKB20000012345678" {
			t.Errorf("AccountIdentifiers: %v %v", ids, err)
		}
		keys, err := tx.TPPKeys(ctx)
		if err != nil || !slices.ContainsFunc(keys, func(k *kobo.TPPKey) bool { return k.Name == "qwac-"+f.acct.ID && k.Material == tppKeyPEM }) {
			t.Errorf("TPPKeys: %v %v", keys, err)
		}
		id, err := tx.Identity(ctx, f.acct.ID)
		if err != nil || id.BVN != "22123456789" || id.FullName != "ADA OBI" || id.Email != "ada@obi.ng" || id.Phone != "08031234567" ||
			id.DOB != "1990-01-02" || id.AddressLine1 != "1 Marina" || id.AddressLine2 != "Lagos Island" || id.Gender != "female" {
			t.Errorf("identity: %v %v", id, err)
		}
		c, err := tx.Customer(ctx, "cust_"+f.acct.ID)
		if err != nil || c.IDNumber != "22123456789" || c.Name != "Ada" || c.Phone != "08031234567" {
			t.Errorf("customer: %v %v", c, err)
		}
		e, err := tx.Event(ctx, "ev_"+f.acct.ID)
		if err != nil || !strings.Contains(string(e.Payload), "0123456789") {
			t.Errorf("event: %v %v", e, err)
		}
		evs, err := tx.EventsByAccount(ctx, f.acct.ID)
		if err != nil || len(evs) != 1 || !strings.Contains(string(evs[0].Payload), "0123456789") {
			t.Errorf("events by account: %v %v", evs, err)
		}
		pt, err := tx.PartnerTokenByHash(ctx, "tok_"+f.acct.ID)
		if err != nil || pt.IP != "203.0.113.9" || pt.UserAgent != "Mozilla/5.0 (ADA's laptop)" {
			t.Errorf("partner token: %+v %v", pt, err)
		}
		pts, err := tx.PartnerTokens(ctx, f.app.PartnerID, storetest.T0)
		if err != nil || len(pts) != 1 || pts[0].IP != "203.0.113.9" || pts[0].UserAgent != "Mozilla/5.0 (ADA's laptop)" {
			t.Errorf("partner tokens: %+v %v", pts, err)
		}
		st, err := tx.Statement(ctx, "st_"+f.acct.ID, true)
		if err != nil || string(st.PDF) != "%PDF 0123456789" {
			t.Errorf("statement: %v %v", st, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx kobo.Tx) error {
		r, err := tx.InsertIdempotency(ctx, &kobo.IdempotencyRecord{AppID: f.app.ID, Key: "k1", RequestHash: "h", CreatedAt: storetest.T0})
		if err != nil || r == nil || string(r.Body) != `{"accountNumber":"0123456789"}` {
			t.Errorf("idempotency: %+v %v", r, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// rawValues is every stored value of every sealed field, as the engine
// holds it.
func rawValues(t *testing.T, st kobo.Store) map[kobo.SealedField][]kobo.SealedValue {
	t.Helper()
	out := map[kobo.SealedField][]kobo.SealedValue{}
	err := st.View(context.Background(), func(tx kobo.Tx) error {
		for _, f := range kobo.SealedFields {
			v, err := tx.SealedValues(context.Background(), f, "", 1000)
			if err != nil {
				return err
			}
			out[f] = v
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSealsAtRestAndOpensOnRead(t *testing.T) {
	t.Parallel()
	raw := open(t)
	v := mustVault(t, key('a'))
	s := atrest.Wrap(raw, v)
	if _, err := s.SealPlaintext(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	f := write(t, s, v)
	read(t, s, f)
	// deliveries carry their event: opened on every path that fills it
	ctx := context.Background()
	d := &kobo.Delivery{ID: "dl1", EventID: "ev_" + f.acct.ID, EventSeq: 1, EventType: kobo.EventAccountUpdated, AppID: f.app.ID, AccountID: f.acct.ID,
		Status: kobo.DeliveryPending, NextAttemptAt: &storetest.T0, CreatedAt: storetest.T0, UpdatedAt: storetest.T0}
	if err := s.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.CreateDelivery(ctx, d); err != nil {
			return err
		}
		got, err := tx.Delivery(ctx, d.ID)
		if err != nil || got.Event == nil || !strings.Contains(string(got.Event.Payload), "0123456789") {
			t.Errorf("Delivery: %+v %v", got, err)
		}
		// a replay's delivery shares its event with the original's
		replayed := *d
		replayed.ID = "dl2"
		if err := tx.CreateDelivery(ctx, &replayed); err != nil {
			return err
		}
		list, err := tx.Deliveries(ctx, kobo.DeliveryFilter{AppID: f.app.ID, Limit: 10})
		if err != nil || len(list) != 2 {
			t.Errorf("Deliveries: %v %v", list, err)
		}
		for _, x := range list {
			if x.Event == nil || !strings.Contains(string(x.Event.Payload), "0123456789") {
				t.Errorf("Deliveries: %+v", x)
			}
		}
		claimed, err := tx.ClaimDeliveries(ctx, "w", 10, storetest.T0, time.Minute)
		if err != nil || len(claimed) < 1 || claimed[0].Event == nil || !strings.Contains(string(claimed[0].Event.Payload), "0123456789") {
			t.Errorf("ClaimDeliveries: %v %v", claimed, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for field, vals := range rawValues(t, raw) {
		if field == kobo.FieldSessionAccts || field == kobo.FieldSessionBank || field == kobo.FieldSessionChallen || field == kobo.FieldDerivedKey || field == kobo.FieldAppProvider {
			continue // sealed by their owners; none written here
		}
		if len(vals) != 1 {
			t.Errorf("%s: %d stored values, want 1", field, len(vals))
			continue
		}
		if id := kobo.Sealed(vals[0].Value).KeyID(); id != v.CurrentKeyID() {
			t.Errorf("%s is stored as %q, not sealed under the current key", field, vals[0].Value)
		}
		// whole values only: a sealed value is base64, in which a short
		// piece ("ADA", "0803") turns up by chance about one run in a
		// couple of hundred
		if strings.Contains(vals[0].Value, "0123456789") || strings.Contains(vals[0].Value, "22123456789") || strings.Contains(vals[0].Value, "whsec_") ||
			strings.Contains(vals[0].Value, "ADA OBI") || strings.Contains(vals[0].Value, "08031234567") || strings.Contains(vals[0].Value, "12 Allen") ||
			strings.Contains(vals[0].Value, "ada@obi.ng") || strings.Contains(vals[0].Value, "PRIVATE KEY") || strings.Contains(vals[0].Value, "203.0.113.") || strings.Contains(vals[0].Value, "laptop") {
			t.Errorf("%s leaks plaintext: %q", field, vals[0].Value)
		}
	}
}

// A sealed value is bound to its row: copied onto another row it does not
// open, so a database writer cannot swap customers' numbers unnoticed.
func TestSealedValueIsBoundToItsRow(t *testing.T) {
	t.Parallel()
	raw := open(t)
	v := mustVault(t, key('a'))
	s := atrest.Wrap(raw, v)
	f1, f2 := write(t, s, v), write(t, s, v)
	ctx := context.Background()
	vals := rawValues(t, raw)[kobo.FieldAccountNumber]
	var from, to kobo.SealedValue
	for _, x := range vals {
		if x.Row == f1.acct.ID {
			from = x
		} else {
			to = x
		}
	}
	if err := raw.Update(ctx, func(tx kobo.Tx) error {
		_, err := tx.ReplaceSealedValue(ctx, kobo.FieldAccountNumber, f2.acct.ID, to.Value, from.Value)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	err := s.View(ctx, func(tx kobo.Tx) error { _, err := tx.Account(ctx, f2.acct.ID); return err })
	if err == nil {
		t.Fatal("another row's sealed account number opened")
	}
}

// After the upgrade pass, plaintext is no longer accepted on read.
func TestSealPlaintextThenStrict(t *testing.T) {
	t.Parallel()
	raw := open(t)
	v := mustVault(t, key('a'))
	// written by "an older kobo": straight to the engine, in plaintext
	f := write(t, raw, v)
	s := atrest.Wrap(raw, v)
	read(t, s, f) // plaintext reads while the backlog is being worked
	n, err := s.SealPlaintext(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(kobo.LegacyFields) {
		t.Fatalf("sealed %d values, want %d (one per legacy field)", n, len(kobo.LegacyFields))
	}
	read(t, s, f)
	if n, err := s.SealPlaintext(context.Background(), 2); err != nil || n != 0 {
		t.Fatalf("second pass: %d, %v", n, err)
	}
	// a plaintext value appearing now is refused, not passed through
	ctx := context.Background()
	if err := raw.Update(ctx, func(tx kobo.Tx) error {
		acct, err := tx.Account(ctx, f.acct.ID)
		if err != nil {
			return err
		}
		acct.AccountNumber = "9999999999"
		return tx.UpdateAccount(ctx, acct)
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, func(tx kobo.Tx) error { _, err := tx.Account(ctx, f.acct.ID); return err }); err == nil {
		t.Fatal("a plaintext account number was read after the upgrade finished")
	}
}

// Rotation re-seals every field, credentials and sessions included, under
// the new key while the old one still opens what is not done yet; after
// it the old key can go.
func TestRotate(t *testing.T) {
	t.Parallel()
	raw := open(t)
	ctx := context.Background()
	old := mustVault(t, key('o'))
	s := atrest.Wrap(raw, old)
	var fs []fixture
	for i := 0; i < 5; i++ {
		fs = append(fs, write(t, s, old))
	}
	// a connect session with app-sealed fields
	sess := &kobo.ConnectSession{ID: "sess_rot", AppID: fs[0].app.ID, InstitutionID: "inst", AuthMethod: kobo.InternetBanking, Scope: kobo.ScopeAuth,
		State: kobo.SessionLinked, Form: kobo.UIForm{Title: "x"}, ExpiresAt: storetest.T0, CreatedAt: storetest.T0, UpdatedAt: storetest.T0}
	for _, part := range []struct {
		f   kobo.SealedField
		dst *kobo.Sealed
	}{{kobo.FieldSessionBank, &sess.BankSession}, {kobo.FieldSessionAccts, &sess.Accounts}, {kobo.FieldSessionChallen, &sess.Challenge}} {
		sealed, err := old.Seal([]byte("secret "+string(part.f)), part.f.AAD(sess.ID))
		if err != nil {
			t.Fatal(err)
		}
		*part.dst = sealed
	}
	if err := s.Update(ctx, func(tx kobo.Tx) error { return tx.CreateConnectSession(ctx, sess) }); err != nil {
		t.Fatal(err)
	}

	both := mustVault(t, key('n'), key('o'))
	s2 := atrest.Wrap(raw, both)
	counts, err := s2.KeyCounts(ctx, 3)
	if err != nil || counts[kobo.FieldAccountNumber][old.CurrentKeyID()] != 5 {
		t.Fatalf("before rotation: %v, %v", counts, err)
	}
	// writes go on during the rotation, sealed with the new key
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 3; i++ {
			write(t, s2, both)
		}
	}()
	n, err := s2.Rotate(ctx, 2, nil)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	// every legacy field, the credentials, the identifier and the TPP
	// key per fixture, and the session's 3; what was written meanwhile
	// was sealed under the new key already
	if want := 5*(len(kobo.LegacyFields)+3) + 3; n != want {
		t.Fatalf("re-sealed %d values, want %d", n, want)
	}
	counts, err = s2.KeyCounts(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	for f, byKey := range counts {
		for id, c := range byKey {
			if id != both.CurrentKeyID() {
				t.Errorf("%s: %d values still under %s", f, c, id)
			}
		}
	}
	// the old key is no longer needed
	onlyNew := mustVault(t, key('n'))
	s3 := atrest.Wrap(raw, onlyNew)
	for _, f := range fs {
		read(t, s3, f)
		if err := s3.View(ctx, func(tx kobo.Tx) error {
			a, err := tx.Account(ctx, f.acct.ID)
			if err != nil {
				return err
			}
			_, err = onlyNew.Open(a.Credentials, kobo.CredentialsAAD(a.ID))
			return err
		}); err != nil {
			t.Fatalf("credentials after rotation: %v", err)
		}
	}
	if err := s3.View(ctx, func(tx kobo.Tx) error {
		got, err := tx.ConnectSession(ctx, sess.ID)
		if err != nil {
			return err
		}
		_, err = onlyNew.Open(got.BankSession, kobo.FieldSessionBank.AAD(sess.ID))
		return err
	}); err != nil {
		t.Fatalf("session after rotation: %v", err)
	}
	if n, err := s2.Rotate(ctx, 2, nil); err != nil || n != 0 {
		t.Fatalf("a second rotation re-sealed %d, %v", n, err)
	}
}

// The keys derived for fingerprints and link signatures survive a
// master-key rotation: a customer relinking after it is still recognised.
func TestDerivedKeySurvivesRotation(t *testing.T) {
	t.Parallel()
	raw := open(t)
	ctx := context.Background()
	a := mustVault(t, key('a'))
	s := atrest.Wrap(raw, a)
	k1, err := s.DerivedKey(ctx, "account-fingerprint", func() []byte { return a.Derive("account-fingerprint") })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1, a.Derive("account-fingerprint")) {
		t.Fatal("the first start must keep the key it always derived, so existing fingerprints still match")
	}
	other, _ := s.DerivedKey(ctx, "statement-links", func() []byte { return a.Derive("statement-links") })
	if bytes.Equal(other, k1) {
		t.Fatal("two purposes share a key")
	}
	ba := mustVault(t, key('b'), key('a'))
	s2 := atrest.Wrap(raw, ba)
	k2, err := s2.DerivedKey(ctx, "account-fingerprint", func() []byte { return ba.Derive("account-fingerprint") })
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("after the new key became current: %x vs %x, %v", k2, k1, err)
	}
	if _, err := s2.Rotate(ctx, 10, nil); err != nil {
		t.Fatal(err)
	}
	b := mustVault(t, key('b'))
	k3, err := atrest.Wrap(raw, b).DerivedKey(ctx, "account-fingerprint", func() []byte { return b.Derive("account-fingerprint") })
	if err != nil || !bytes.Equal(k1, k3) {
		t.Fatalf("after rotation with the old key gone: %x vs %x, %v", k3, k1, err)
	}
}

// A session's IP and user agent written in plaintext (by a version before
// they were sealed, or an older replica of a rolling upgrade) still read
// after the upgrade pass has finished, as written; one that looks sealed
// and is not reads as unknown. Neither fails the read.
func TestPlaintextSessionDetailsStillRead(t *testing.T) {
	t.Parallel()
	raw := open(t)
	v := mustVault(t, key('a'))
	s := atrest.Wrap(raw, v)
	ctx := context.Background()
	if _, err := s.SealPlaintext(ctx, 10); err != nil {
		t.Fatal(err)
	}
	p := storetest.NewPartner(t, raw, "old@b.ng")
	if err := raw.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.CreatePartnerToken(ctx, &kobo.PartnerToken{Hash: "old", PartnerID: p.ID, Kind: "dashboard", CreatedAt: storetest.T0,
			ExpiresAt: storetest.T0.Add(time.Hour), UserAgent: "Mozilla/5.0 (old)", IP: "198.51.100.4"}); err != nil {
			return err
		}
		return tx.CreatePartnerToken(ctx, &kobo.PartnerToken{Hash: "odd", PartnerID: p.ID, Kind: "api", CreatedAt: storetest.T0.Add(time.Second),
			ExpiresAt: storetest.T0.Add(time.Hour), UserAgent: "deadbeef.not-sealed", IP: "198.51.100.5"})
	}); err != nil {
		t.Fatal(err)
	}
	err := s.View(ctx, func(tx kobo.Tx) error {
		list, err := tx.PartnerTokens(ctx, p.ID, storetest.T0)
		if err != nil {
			return err
		}
		got := map[string]string{}
		for _, pt := range list {
			got[pt.Hash] = pt.IP + " " + pt.UserAgent
		}
		if got["old"] != "198.51.100.4 Mozilla/5.0 (old)" || got["odd"] != "198.51.100.5 " {
			t.Errorf("sessions read as %q", got)
		}
		pt, err := tx.PartnerTokenByHash(ctx, "old")
		if err != nil || pt.IP != "198.51.100.4" {
			t.Errorf("PartnerTokenByHash: %+v %v", pt, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
