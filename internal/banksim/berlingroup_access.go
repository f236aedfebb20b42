package banksim

import (
	"context"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// This file exports what banksim's standard faces (package
// banksim/berlingroup) need to serve the same users and data as the
// simulator's own API, without reaching into its internals: a face reads
// users, checks their secrets and reads their generated accounts, balances
// and transactions through these, and keeps its own resources (consents,
// authorisations) in the simulator's shared State.

// StdAccount is one of a user's accounts as a standard face shows it.
type StdAccount struct {
	ID       string // stable resource id
	Number   string // 10-digit NUBAN
	Name     string // the holder's name
	Type     string // the simulator's product name ("SAVINGS ACCOUNT", ...)
	Business bool
	ref      acctRef
}

// Institution is a catalog institution by id.
func (s *Sim) Institution(id string) (kobo.Institution, bool) {
	in, ok := s.insts[id]
	return in, ok
}

// SharedState is the State every simulator serving one sandbox shares;
// faces keep their resources there so every replica agrees on them.
func (s *Sim) SharedState() State { return s.state }

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

// StdAccounts lists a user's accounts at a bank.
func (s *Sim) StdAccounts(in kobo.Institution, u *Scenario) []StdAccount {
	var out []StdAccount
	for _, a := range s.accounts(in, u) {
		out = append(out, StdAccount{ID: a.id, Number: a.number, Name: a.name, Type: a.typ, Business: a.ref.sp.Business, ref: a.ref})
	}
	return out
}

// StdBalance is an account's balance at t, in kobo.
func (s *Sim) StdBalance(a StdAccount, t time.Time) int64 { return s.balanceAt(a.ref, t) }

// StdTransactionsFail reports the lasting failure of user_partial's
// statement service.
func (u *Scenario) StdTransactionsFail() bool { return u.TxnsFail }

// StdTransactions calls fn with the account's transactions dated in
// [from, to], oldest first, until fn returns false.
func (s *Sim) StdTransactions(a StdAccount, from, to time.Time, fn func(Txn) bool) {
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
