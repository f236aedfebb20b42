package app

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// observedProvider counts every call a bank connector makes towards the
// institution's health (health.go) and reports every error it returns (by
// institution, call and kind) before passing it on unchanged: the one
// place every bank call goes through, so operators, partners and
// customers see a bank going bad whichever use case met it.
type observedProvider struct {
	p             kobo.Provider
	s             *Service
	institution   string // the name, for metrics
	institutionID string
	scope         string                                                  // the health scope (healthScope)
	report        func(institution, call string, kind kobo.BankErrorKind) // nil: no metrics
}

// Unwrap is the connector observed, where its optional interfaces are.
func (o observedProvider) Unwrap() kobo.Provider { return o.p }

// capability finds the optional interface T (Consenter, Policied,
// AccountChooser, WebhookReceiver, CredentialChecker, …) on p or on the
// connector it wraps: kobo's wrappers (observed, metered) implement only
// kobo.Provider and say what they wrap with Unwrap, so this is the one
// place a capability is looked up.
func capability[T any](p kobo.Provider) (T, bool) {
	for p != nil {
		if c, ok := p.(T); ok {
			return c, true
		}
		u, ok := p.(interface{ Unwrap() kobo.Provider })
		if !ok {
			break
		}
		p = u.Unwrap()
	}
	var zero T
	return zero, false
}

// seen counts a call that started at t0 (zero: its length says nothing,
// as a whole transaction history's does not) and reports its error.
func (o observedProvider) seen(ctx context.Context, call string, t0 time.Time, err error) error {
	d := time.Duration(-1)
	if !t0.IsZero() {
		d = o.s.clock.Now().Sub(t0)
	}
	o.s.recordBankCall(ctx, o.scope, o.institutionID, d, err)
	if err != nil && o.report != nil {
		o.report(o.institution, call, kobo.BankErrorKindOf(err))
	}
	return err
}

func (o observedProvider) Login(ctx context.Context, req kobo.LoginRequest) (kobo.LoginStep, error) {
	t0 := o.s.clock.Now()
	st, err := o.p.Login(ctx, req)
	return st, o.seen(ctx, "login", t0, err)
}

func (o observedProvider) Answer(ctx context.Context, ch kobo.Challenge, fields map[string]kobo.Secret) (kobo.LoginStep, error) {
	t0 := o.s.clock.Now()
	st, err := o.p.Answer(ctx, ch, fields)
	return st, o.seen(ctx, "answer", t0, err)
}

func (o observedProvider) Accounts(ctx context.Context, s kobo.BankSession) ([]kobo.BankAccount, error) {
	t0 := o.s.clock.Now()
	a, err := o.p.Accounts(ctx, s)
	return a, o.seen(ctx, "accounts", t0, err)
}

func (o observedProvider) Balance(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankBalance, error) {
	t0 := o.s.clock.Now()
	b, err := o.p.Balance(ctx, s, ref)
	return b, o.seen(ctx, "balance", t0, err)
}

func (o observedProvider) Transactions(ctx context.Context, s kobo.BankSession, ref string, q kobo.TxnQuery, fn func([]kobo.BankTransaction) error) error {
	var fnErr error
	err := o.p.Transactions(ctx, s, ref, q, func(page []kobo.BankTransaction) error {
		fnErr = fn(page)
		return fnErr
	})
	if err != nil && err == fnErr {
		return err // kobo's own failure (a write), not the bank's
	}
	return o.seen(ctx, "transactions", time.Time{}, err)
}

func (o observedProvider) Identity(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankIdentity, error) {
	t0 := o.s.clock.Now()
	id, err := o.p.Identity(ctx, s, ref)
	return id, o.seen(ctx, "identity", t0, err)
}
