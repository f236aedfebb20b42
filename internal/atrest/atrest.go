// Package atrest keeps personal data and secrets sealed at rest, whatever
// the engine: it wraps a kobo.Store so that account numbers, BVNs,
// customers' id numbers, webhook secrets, event payloads, stored idempotent
// responses and statement PDFs are sealed (kobo.Sealer, AES-256-GCM, bound
// to their field and row) on their way in and opened on their way out.
// Nothing above it sees ciphertext and nothing below it sees plaintext.
//
// It also owns the two passes over every sealed field: sealing the
// plaintext an older database holds (migration 0008 lists the fields), and
// re-sealing under a new master key (kobo keys rotate). Both go a batch at
// a time in short transactions while kobo serves, and both replace a
// value only if the row still holds what was read, so a concurrent write
// is never lost.
package atrest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Store is a kobo.Store whose sensitive fields are sealed at rest.
type Store struct {
	kobo.Store
	sealer kobo.Sealer
	// strict is set once this process has seen every field's old
	// plaintext sealed; from then on a value that is not sealed is an
	// error, not a legacy value to pass through.
	strict atomic.Bool
}

// Wrap seals st's sensitive fields with sealer.
func Wrap(st kobo.Store, sealer kobo.Sealer) *Store {
	return &Store{Store: st, sealer: sealer}
}

// View runs fn on a read path of the wrapped store.
func (s *Store) View(ctx context.Context, fn func(kobo.Tx) error) error {
	return s.Store.View(ctx, func(tx kobo.Tx) error { return fn(&sealedTx{Tx: tx, s: s}) })
}

// Update runs fn in one transaction of the wrapped store.
func (s *Store) Update(ctx context.Context, fn func(kobo.Tx) error) error {
	return s.Store.Update(ctx, func(tx kobo.Tx) error { return fn(&sealedTx{Tx: tx, s: s}) })
}

func (s *Store) seal(f kobo.SealedField, row string, plain []byte) (string, error) {
	if len(plain) == 0 {
		return "", nil
	}
	v, err := s.sealer.Seal(plain, f.AAD(row))
	if err != nil {
		return "", fmt.Errorf("seal %s: %w", f, err)
	}
	return string(v), nil
}

func (s *Store) open(f kobo.SealedField, row string, stored []byte) ([]byte, error) {
	if len(stored) == 0 {
		return stored, nil
	}
	if kobo.Sealed(stored).KeyID() == "" {
		if s.strict.Load() {
			return nil, fmt.Errorf("%s of %s is not sealed", f, row)
		}
		return stored, nil // plaintext from before 0008, sealed by SealPlaintext shortly
	}
	pt, err := s.sealer.Open(kobo.Sealed(stored), f.AAD(row))
	if err != nil {
		return nil, fmt.Errorf("open %s of %s: %w", f, row, err)
	}
	return pt, nil
}

// SealPlaintext seals the plaintext migration 0008 left behind, field by
// field, batch rows at a time, and returns how many values it sealed. It
// is safe to run on every start (nothing to do once the backlog is empty)
// and to interrupt (the backlog entry of a field goes only when the field
// is done).
func (s *Store) SealPlaintext(ctx context.Context, batch int) (int, error) {
	var backlog []kobo.SealedField
	if err := s.Store.View(ctx, func(tx kobo.Tx) error {
		var err error
		backlog, err = tx.SealBacklog(ctx)
		return err
	}); err != nil {
		return 0, err
	}
	total := 0
	for _, f := range backlog {
		n, err := s.pass(ctx, f, batch, func(v kobo.SealedValue) bool { return kobo.Sealed(v.Value).KeyID() == "" })
		total += n
		if err != nil {
			return total, err
		}
		if err := s.Store.Update(ctx, func(tx kobo.Tx) error { return tx.SealDone(ctx, f) }); err != nil {
			return total, err
		}
	}
	s.strict.Store(true)
	return total, nil
}

// Rotate re-seals, under the sealer's current key, every sealed value of
// every field that names another key (and seals any plaintext left). It
// needs the old keys configured to open what they sealed. progress, if
// not nil, is told after each batch.
func (s *Store) Rotate(ctx context.Context, batch int, progress func(f kobo.SealedField, resealed int)) (int, error) {
	cur := s.sealer.CurrentKeyID()
	total := 0
	for _, f := range kobo.SealedFields {
		n, err := s.pass(ctx, f, batch, func(v kobo.SealedValue) bool { return kobo.Sealed(v.Value).KeyID() != cur })
		total += n
		if progress != nil {
			progress(f, n)
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// pass walks one field in batches and re-seals the values want picks,
// each batch in its own short transaction.
func (s *Store) pass(ctx context.Context, f kobo.SealedField, batch int, want func(kobo.SealedValue) bool) (int, error) {
	batch = max(batch, 1)
	after, total := "", 0
	for {
		var n int
		var done bool
		err := s.Store.Update(ctx, func(tx kobo.Tx) error {
			n = 0
			vals, err := tx.SealedValues(ctx, f, after, batch)
			if err != nil {
				return err
			}
			done = len(vals) < batch
			for _, v := range vals {
				after = v.Row
				if !want(v) {
					continue
				}
				pt, err := s.openAny(f, v)
				if err != nil {
					return err
				}
				to, err := s.seal(f, v.Row, pt)
				if err != nil {
					return err
				}
				ok, err := tx.ReplaceSealedValue(ctx, f, v.Row, v.Value, to)
				if err != nil {
					return err
				}
				if ok {
					n++
				}
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("%s: %w", f, err)
		}
		total += n
		if done {
			return total, nil
		}
	}
}

// openAny opens a stored value, plaintext included (the passes are what
// turn plaintext into sealed values).
func (s *Store) openAny(f kobo.SealedField, v kobo.SealedValue) ([]byte, error) {
	if kobo.Sealed(v.Value).KeyID() == "" {
		return []byte(v.Value), nil
	}
	pt, err := s.sealer.Open(kobo.Sealed(v.Value), f.AAD(v.Row))
	if err != nil {
		return nil, fmt.Errorf("row %s: %w", v.Row, err)
	}
	return pt, nil
}

// KeyCounts counts the stored values of each field by the key that sealed
// them ("plaintext" for values not sealed yet): what `kobo keys status`
// prints, and how an operator knows an old key is no longer needed.
func (s *Store) KeyCounts(ctx context.Context, batch int) (map[kobo.SealedField]map[string]int, error) {
	out := map[kobo.SealedField]map[string]int{}
	for _, f := range kobo.SealedFields {
		counts := map[string]int{}
		after := ""
		for {
			var vals []kobo.SealedValue
			if err := s.Store.View(ctx, func(tx kobo.Tx) error {
				var err error
				vals, err = tx.SealedValues(ctx, f, after, max(batch, 1))
				return err
			}); err != nil {
				return nil, err
			}
			for _, v := range vals {
				id := kobo.Sealed(v.Value).KeyID()
				if id == "" {
					id = "plaintext"
				}
				counts[id]++
				after = v.Row
			}
			if len(vals) < max(batch, 1) {
				break
			}
		}
		out[f] = counts
	}
	return out, nil
}

// sealedTx seals on writes and opens on reads; every other method goes
// straight to the engine.
type sealedTx struct {
	kobo.Tx
	s *Store
}

func (t *sealedTx) sealAccount(a *kobo.Account) (*kobo.Account, error) {
	c := *a
	v, err := t.s.seal(kobo.FieldAccountNumber, a.ID, []byte(a.AccountNumber))
	c.AccountNumber = kobo.AccountNumber(v)
	return &c, err
}

func (t *sealedTx) openAccount(a *kobo.Account, err error) (*kobo.Account, error) {
	if err != nil || a == nil {
		return a, err
	}
	pt, err := t.s.open(kobo.FieldAccountNumber, a.ID, []byte(a.AccountNumber))
	a.AccountNumber = kobo.AccountNumber(pt)
	return a, err
}

func (t *sealedTx) openAccounts(list []*kobo.Account, err error) ([]*kobo.Account, error) {
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		if _, err := t.openAccount(a, nil); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func (t *sealedTx) CreateAccount(ctx context.Context, a *kobo.Account) error {
	c, err := t.sealAccount(a)
	if err != nil {
		return err
	}
	return t.Tx.CreateAccount(ctx, c)
}

func (t *sealedTx) UpdateAccount(ctx context.Context, a *kobo.Account) error {
	c, err := t.sealAccount(a)
	if err != nil {
		return err
	}
	return t.Tx.UpdateAccount(ctx, c)
}

func (t *sealedTx) Account(ctx context.Context, id string) (*kobo.Account, error) {
	return t.openAccount(t.Tx.Account(ctx, id))
}

func (t *sealedTx) AccountsByFingerprint(ctx context.Context, appID string, live bool, fp string) ([]*kobo.Account, error) {
	return t.openAccounts(t.Tx.AccountsByFingerprint(ctx, appID, live, fp))
}

func (t *sealedTx) AccountsByProviderRef(ctx context.Context, appID, ref string) ([]*kobo.Account, error) {
	return t.openAccounts(t.Tx.AccountsByProviderRef(ctx, appID, ref))
}

func (t *sealedTx) ListAccounts(ctx context.Context, appID string, live bool, limit, offset int) ([]*kobo.Account, int, error) {
	list, n, err := t.Tx.ListAccounts(ctx, appID, live, limit, offset)
	list, err = t.openAccounts(list, err)
	return list, n, err
}

func (t *sealedTx) ClaimDueAccounts(ctx context.Context, now time.Time, limit int) ([]*kobo.Account, error) {
	return t.openAccounts(t.Tx.ClaimDueAccounts(ctx, now, limit))
}

func (t *sealedTx) AppAccounts(ctx context.Context, appID, afterID string, limit int) ([]*kobo.Account, error) {
	return t.openAccounts(t.Tx.AppAccounts(ctx, appID, afterID, limit))
}

// identityFields are an identity's sealed fields.
func identityFields(id *kobo.Identity) map[kobo.SealedField]*string {
	return map[kobo.SealedField]*string{
		kobo.FieldBVN: (*string)(&id.BVN), kobo.FieldIdentityName: &id.FullName, kobo.FieldIdentityEmail: &id.Email,
		kobo.FieldIdentityPhone: &id.Phone, kobo.FieldIdentityDOB: &id.DOB, kobo.FieldIdentityAddress1: &id.AddressLine1,
		kobo.FieldIdentityAddress2: &id.AddressLine2,
	}
}

func customerFields(c *kobo.Customer) map[kobo.SealedField]*string {
	return map[kobo.SealedField]*string{kobo.FieldCustomerID: &c.IDNumber, kobo.FieldCustomerName: &c.Name, kobo.FieldCustomerPhone: &c.Phone,
		kobo.FieldCustomerAddress: &c.Address}
}

// sealAll seals each field in place; openAll opens each.
func (t *sealedTx) sealAll(row string, fields map[kobo.SealedField]*string) error {
	for f, p := range fields {
		v, err := t.s.seal(f, row, []byte(*p))
		if err != nil {
			return err
		}
		*p = v
	}
	return nil
}

func (t *sealedTx) openAll(row string, fields map[kobo.SealedField]*string) error {
	for f, p := range fields {
		pt, err := t.s.open(f, row, []byte(*p))
		if err != nil {
			return err
		}
		*p = string(pt)
	}
	return nil
}

func (t *sealedTx) UpsertIdentity(ctx context.Context, id *kobo.Identity) error {
	c := *id
	if err := t.sealAll(id.AccountID, identityFields(&c)); err != nil {
		return err
	}
	return t.Tx.UpsertIdentity(ctx, &c)
}

func (t *sealedTx) Identity(ctx context.Context, accountID string) (*kobo.Identity, error) {
	id, err := t.Tx.Identity(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return id, t.openAll(id.AccountID, identityFields(id))
}

func (t *sealedTx) sealApp(a *kobo.App) (*kobo.App, error) {
	c := *a
	v, err := t.s.seal(kobo.FieldWebhookSecret, a.ID, []byte(a.WebhookSecret.Reveal()))
	c.WebhookSecret = kobo.Secret(v)
	return &c, err
}

func (t *sealedTx) openApp(a *kobo.App, err error) (*kobo.App, error) {
	if err != nil || a == nil {
		return a, err
	}
	pt, err := t.s.open(kobo.FieldWebhookSecret, a.ID, []byte(a.WebhookSecret.Reveal()))
	a.WebhookSecret = kobo.Secret(pt)
	return a, err
}

func (t *sealedTx) CreateApp(ctx context.Context, a *kobo.App) error {
	c, err := t.sealApp(a)
	if err != nil {
		return err
	}
	return t.Tx.CreateApp(ctx, c)
}

func (t *sealedTx) UpdateApp(ctx context.Context, a *kobo.App) error {
	c, err := t.sealApp(a)
	if err != nil {
		return err
	}
	return t.Tx.UpdateApp(ctx, c)
}

func (t *sealedTx) App(ctx context.Context, id string) (*kobo.App, error) {
	return t.openApp(t.Tx.App(ctx, id))
}

func (t *sealedTx) DeletedApp(ctx context.Context, id string) (*kobo.App, error) {
	return t.openApp(t.Tx.DeletedApp(ctx, id))
}

func (t *sealedTx) AppsByPartner(ctx context.Context, partnerID string) ([]*kobo.App, error) {
	list, err := t.Tx.AppsByPartner(ctx, partnerID)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		if _, err := t.openApp(a, nil); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func (t *sealedTx) CreateCustomer(ctx context.Context, c *kobo.Customer) error {
	cc := *c
	if err := t.sealAll(c.ID, customerFields(&cc)); err != nil {
		return err
	}
	return t.Tx.CreateCustomer(ctx, &cc)
}

func (t *sealedTx) openCustomer(c *kobo.Customer, err error) (*kobo.Customer, error) {
	if err != nil {
		return nil, err
	}
	return c, t.openAll(c.ID, customerFields(c))
}

func (t *sealedTx) Customer(ctx context.Context, id string) (*kobo.Customer, error) {
	return t.openCustomer(t.Tx.Customer(ctx, id))
}

func (t *sealedTx) CustomerByEmail(ctx context.Context, appID string, live bool, email string) (*kobo.Customer, error) {
	return t.openCustomer(t.Tx.CustomerByEmail(ctx, appID, live, email))
}

func (t *sealedTx) RecordEvent(ctx context.Context, e *kobo.Event) error {
	c := *e
	v, err := t.s.seal(kobo.FieldEventPayload, e.ID, e.Payload)
	if err != nil {
		return err
	}
	c.Payload = json.RawMessage(v)
	err = t.Tx.RecordEvent(ctx, &c)
	e.Seq = c.Seq
	return err
}

func (t *sealedTx) UpdateEventPayload(ctx context.Context, id string, payload json.RawMessage) error {
	v, err := t.s.seal(kobo.FieldEventPayload, id, payload)
	if err != nil {
		return err
	}
	return t.Tx.UpdateEventPayload(ctx, id, json.RawMessage(v))
}

func (t *sealedTx) openEvent(e *kobo.Event) error {
	if e == nil {
		return nil
	}
	pt, err := t.s.open(kobo.FieldEventPayload, e.ID, e.Payload)
	e.Payload = pt
	return err
}

// openDeliveryEvent opens a delivery's event on a copy: the engines give
// deliveries of one event (a replay's and the original's) the same *Event.
func (t *sealedTx) openDeliveryEvent(d *kobo.Delivery) error {
	if d.Event == nil {
		return nil
	}
	e := *d.Event
	if err := t.openEvent(&e); err != nil {
		return err
	}
	d.Event = &e
	return nil
}

func (t *sealedTx) openEvents(list []*kobo.Event, err error) ([]*kobo.Event, error) {
	if err != nil {
		return nil, err
	}
	for _, e := range list {
		if err := t.openEvent(e); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func (t *sealedTx) Event(ctx context.Context, id string) (*kobo.Event, error) {
	e, err := t.Tx.Event(ctx, id)
	if err != nil {
		return nil, err
	}
	return e, t.openEvent(e)
}

func (t *sealedTx) Events(ctx context.Context, f kobo.EventFilter) ([]*kobo.Event, error) {
	return t.openEvents(t.Tx.Events(ctx, f))
}

func (t *sealedTx) EventsByAccount(ctx context.Context, accountID string) ([]*kobo.Event, error) {
	return t.openEvents(t.Tx.EventsByAccount(ctx, accountID))
}

func (t *sealedTx) ClaimDeliveries(ctx context.Context, worker string, n int, now time.Time, lease time.Duration) ([]*kobo.Delivery, error) {
	list, err := t.Tx.ClaimDeliveries(ctx, worker, n, now, lease)
	if err != nil {
		return nil, err
	}
	for _, d := range list {
		if err := t.openDeliveryEvent(d); err != nil {
			// one event that cannot be opened must not stop every other
			// delivery: send none of it (the attempt fails with "no event")
			d.Event = nil
		}
	}
	return list, nil
}

func (t *sealedTx) Delivery(ctx context.Context, id string) (*kobo.Delivery, error) {
	d, err := t.Tx.Delivery(ctx, id)
	if err != nil {
		return nil, err
	}
	return d, t.openDeliveryEvent(d)
}

func (t *sealedTx) Deliveries(ctx context.Context, f kobo.DeliveryFilter) ([]*kobo.Delivery, error) {
	list, err := t.Tx.Deliveries(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, d := range list {
		if err := t.openDeliveryEvent(d); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func idemRow(appID, key string) string { return appID + " " + key }

func (t *sealedTx) InsertIdempotency(ctx context.Context, r *kobo.IdempotencyRecord) (*kobo.IdempotencyRecord, error) {
	ex, err := t.Tx.InsertIdempotency(ctx, r)
	if err != nil || ex == nil {
		return ex, err
	}
	ex.Body, err = t.s.open(kobo.FieldIdempotency, idemRow(ex.AppID, ex.Key), ex.Body)
	return ex, err
}

func (t *sealedTx) CompleteIdempotency(ctx context.Context, appID string, live bool, key string, status int, body []byte, contentType string) error {
	v, err := t.s.seal(kobo.FieldIdempotency, idemRow(appID, key), body)
	if err != nil {
		return err
	}
	return t.Tx.CompleteIdempotency(ctx, appID, live, key, status, []byte(v), contentType)
}

func (t *sealedTx) sealStatement(st *kobo.Statement) (*kobo.Statement, error) {
	c := *st
	v, err := t.s.seal(kobo.FieldStatementPDF, st.ID, st.PDF)
	c.PDF = nil
	if v != "" {
		c.PDF = []byte(v)
	}
	return &c, err
}

func (t *sealedTx) CreateStatement(ctx context.Context, st *kobo.Statement) error {
	c, err := t.sealStatement(st)
	if err != nil {
		return err
	}
	return t.Tx.CreateStatement(ctx, c)
}

func (t *sealedTx) UpdateStatement(ctx context.Context, st *kobo.Statement) error {
	c, err := t.sealStatement(st)
	if err != nil {
		return err
	}
	return t.Tx.UpdateStatement(ctx, c)
}

func (t *sealedTx) Statement(ctx context.Context, id string, withPDF bool) (*kobo.Statement, error) {
	st, err := t.Tx.Statement(ctx, id, withPDF)
	if err != nil || !withPDF {
		return st, err
	}
	st.PDF, err = t.s.open(kobo.FieldStatementPDF, st.ID, st.PDF)
	return st, err
}

// DerivedKey returns the key kept for purpose (an HMAC key, a signing
// key): the one stored sealed in the database, or, the first time, derive()
// stored. Keys kept this way outlive master-key rotations, so what they
// made (account fingerprints, signed links) stays valid across one, and
// every replica uses the same.
func (s *Store) DerivedKey(ctx context.Context, purpose string, derive func() []byte) ([]byte, error) {
	aad := kobo.FieldDerivedKey.AAD(purpose)
	fresh, err := s.sealer.Seal(derive(), aad)
	if err != nil {
		return nil, err
	}
	var stored kobo.Sealed
	if err := s.Store.Update(ctx, func(tx kobo.Tx) error {
		var err error
		stored, err = tx.DerivedKey(ctx, purpose, fresh)
		return err
	}); err != nil {
		return nil, err
	}
	k, err := s.sealer.Open(stored, aad)
	if err != nil {
		return nil, fmt.Errorf("open the %s key: %w", purpose, err)
	}
	return k, nil
}

// identifierRow is the row an account identifier's value is sealed to: the
// account and the scheme, so a value moved to another account or scheme
// does not open.
func identifierRow(accountID, scheme string) string { return accountID + " " + scheme }

func (t *sealedTx) SetAccountIdentifiers(ctx context.Context, accountID string, ids []kobo.AccountIdentifier) error {
	sealed := make([]kobo.AccountIdentifier, 0, len(ids))
	for _, id := range ids {
		v, err := t.s.seal(kobo.FieldAccountIdent, identifierRow(accountID, id.Scheme), []byte(id.Value))
		if err != nil {
			return err
		}
		sealed = append(sealed, kobo.AccountIdentifier{Scheme: id.Scheme, Value: kobo.AccountNumber(v)})
	}
	return t.Tx.SetAccountIdentifiers(ctx, accountID, sealed)
}

func (t *sealedTx) AccountIdentifiers(ctx context.Context, accountID string) ([]kobo.AccountIdentifier, error) {
	list, err := t.Tx.AccountIdentifiers(ctx, accountID)
	if err != nil {
		return nil, err
	}
	for i, id := range list {
		pt, err := t.s.open(kobo.FieldAccountIdent, identifierRow(accountID, id.Scheme), []byte(id.Value))
		if err != nil {
			return nil, err
		}
		list[i].Value = kobo.AccountNumber(pt)
	}
	return list, nil
}
