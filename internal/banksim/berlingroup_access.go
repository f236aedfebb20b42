package banksim

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// More of the simulator seen from its standard faces (standard.go): calls
// for a face that resolved its user once (package banksim/berlingroup)
// and walks an account's history itself rather than by pages.

// LookupUser finds a user by username as a tenant's logins see it (nil
// when there is none).
func (s *Sim) LookupUser(ctx context.Context, tenant, username string) (*Scenario, error) {
	return s.user(ctx, tenant, username)
}

// CheckSecret reports whether pw is the user's password (the value every
// secret field of the user's login forms takes).
func (u *Scenario) CheckSecret(pw string) bool {
	return !u.BadPassword && pw != "" && pw == u.secret(kobo.FormField{ContentType: "password"})
}

// UserFaults is the faults a user's bank shows, merged with the ones an
// X-Banksim-Fault request header asks for.
func (s *Sim) UserFaults(ctx context.Context, u *Scenario, header string) (Faults, error) {
	f, err := s.faultsOf(ctx, u)
	if err != nil {
		return Faults{}, err
	}
	return f.merge(parseFaultHeader(header)), nil
}

// StdAccountsOf lists a resolved user's accounts at a bank, without
// balances (StdBalance reads one at any time).
func (s *Sim) StdAccountsOf(in kobo.Institution, u *Scenario) []StdAccount {
	var out []StdAccount
	for _, a := range s.accounts(in, u) {
		out = append(out, StdAccount{ID: a.id, Number: a.number, Name: a.name, Type: a.typ, Business: a.ref.sp.Business || in.Type == kobo.BusinessBanking, Currency: "NGN",
			Empty: a.ref.sp.Empty, TxnsFail: u.TxnsFail, ref: a.ref})
	}
	return out
}

// StdBalance is an account's balance at t, in kobo.
func (s *Sim) StdBalance(a StdAccount, t time.Time) int64 { return s.balanceAt(a.ref, t) }

// StdTransactionsFail reports the lasting failure of user_partial's
// statement service.
func (u *Scenario) StdTransactionsFail() bool { return u.TxnsFail }

// EachStdTransaction calls fn with the account's transactions dated in
// [from, to], oldest first, until fn returns false.
func (s *Sim) EachStdTransaction(a StdAccount, from, to time.Time, fn func(Txn) bool) {
	if a.ref.sp.Transactions != nil {
		for _, x := range fixedHistory(a.ref) {
			if x.Date.Before(from) || x.Date.After(to) {
				continue
			}
			if !fn(x) {
				return
			}
		}
		return
	}
	s.gen.each(a.ref, from, to, func(_ int, txns []Txn) bool {
		for _, x := range txns {
			if !fn(x) {
				return false
			}
		}
		return true
	})
}
