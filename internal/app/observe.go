package app

import (
	"context"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// observedProvider reports every error a bank connector returns (by
// institution, call and kind) before passing it on unchanged: the one
// place every bank call goes through, so operators see a bank going bad
// whichever use case met it.
type observedProvider struct {
	p           kobo.Provider
	institution string
	report      func(institution, call string, kind kobo.BankErrorKind)
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

func (o observedProvider) seen(call string, err error) error {
	if err != nil {
		o.report(o.institution, call, kobo.BankErrorKindOf(err))
	}
	return err
}

func (o observedProvider) Login(ctx context.Context, req kobo.LoginRequest) (kobo.LoginStep, error) {
	st, err := o.p.Login(ctx, req)
	return st, o.seen("login", err)
}

func (o observedProvider) Answer(ctx context.Context, ch kobo.Challenge, fields map[string]kobo.Secret) (kobo.LoginStep, error) {
	st, err := o.p.Answer(ctx, ch, fields)
	return st, o.seen("answer", err)
}

func (o observedProvider) Accounts(ctx context.Context, s kobo.BankSession) ([]kobo.BankAccount, error) {
	a, err := o.p.Accounts(ctx, s)
	return a, o.seen("accounts", err)
}

func (o observedProvider) Balance(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankBalance, error) {
	b, err := o.p.Balance(ctx, s, ref)
	return b, o.seen("balance", err)
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
	return o.seen("transactions", err)
}

func (o observedProvider) Identity(ctx context.Context, s kobo.BankSession, ref string) (kobo.BankIdentity, error) {
	id, err := o.p.Identity(ctx, s, ref)
	return id, o.seen("identity", err)
}
