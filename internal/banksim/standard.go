package banksim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// This file is the simulator seen from its standard faces (the OBIE and
// Berlin Group ASPSPs in their own packages): the same users, logins,
// second factors, accounts and histories its own API serves, read
// through exported calls instead of HTTP, so a face speaks its standard
// and never keeps a second copy of the bank.

// Errors of StdLogin, for a face's login page.
var (
	ErrStdBadCredentials = errors.New("banksim: invalid login credentials")
	ErrStdLocked         = errors.New("banksim: the bank has locked this user")
)

// StdUser is a simulated user who passed a face's login page.
type StdUser struct {
	Username string
	FullName string
	// Factors are the second factors the login still needs, in order
	// (MFAOTP, MFAQuestion, MFAPIN, MFAToken).
	Factors []string
}

// StdInstitution returns a simulated institution by id.
func (s *Sim) StdInstitution(id string) (kobo.Institution, bool) {
	in, ok := s.insts[id]
	return in, ok
}

// StdState is the simulator's shared State, where a face keeps its own
// entries (consents, used codes) under kinds of its own, so every replica
// serving the face agrees about them.
func (s *Sim) StdState() State { return s.state }

// StdLogin checks a username and password at an institution, as a face's
// login page asks them: the username or any alias the user types in the
// bank's own form, and the password of its secret fields.
func (s *Sim) StdLogin(ctx context.Context, tenant, instID, username, password string) (StdUser, error) {
	in, ok := s.insts[instID]
	if !ok {
		return StdUser{}, ErrStdBadCredentials
	}
	all, err := s.users(ctx, tenant)
	if err != nil {
		return StdUser{}, err
	}
	name := strings.ToLower(strings.TrimSpace(username))
	for _, u := range all {
		if strings.ToLower(u.Username) != name {
			continue
		}
		if u.BadPassword || password != u.secret(kobo.FormField{ContentType: "password"}) {
			return StdUser{}, ErrStdBadCredentials
		}
		if u.Locked {
			return StdUser{}, ErrStdLocked
		}
		return StdUser{Username: u.Username, FullName: u.FullName, Factors: u.mfaSteps(MFAStyle(in))}, nil
	}
	return StdUser{}, ErrStdBadCredentials
}

// StdFactorForm is the form of a second factor (its one field's name and
// hint), for a face's login page.
func StdFactorForm(kind string) kobo.UIForm { return challengeForm(kind) }

// StdCheckFactor reports whether answer answers the second factor kind.
func StdCheckFactor(kind, answer string) bool {
	return strings.EqualFold(strings.TrimSpace(answer), expectedAnswer(kind))
}

// StdAccount is one of a user's accounts at an institution.
type StdAccount struct {
	ID       string // stable across calls and restarts
	Number   string // the 10-digit NUBAN
	Name     string // the holder's name
	Type     string // "SAVINGS ACCOUNT", "CURRENT ACCOUNT - CORPORATE", …
	Business bool
	Currency string
	Opened   time.Time
	Balance  int64 // minor units, at the tenant's now
	Empty    bool
	TxnsFail bool // the bank's statement service cannot serve it
	ref      acctRef
}

func (s *Sim) stdUser(ctx context.Context, tenant, username string) (*Scenario, error) {
	u, err := s.user(ctx, tenant, username)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, ErrStdBadCredentials
	}
	return u, nil
}

// StdAccounts lists a user's accounts at an institution with their
// balances at the tenant's now.
func (s *Sim) StdAccounts(ctx context.Context, tenant, instID, username string) ([]StdAccount, error) {
	in, ok := s.insts[instID]
	if !ok {
		return nil, ErrStdBadCredentials
	}
	u, err := s.stdUser(ctx, tenant, username)
	if err != nil {
		return nil, err
	}
	now, err := s.Now(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []StdAccount
	for _, a := range s.accounts(in, u) {
		out = append(out, StdAccount{ID: a.id, Number: a.number, Name: a.name, Type: a.typ, Business: a.ref.sp.Business || in.Type == kobo.BusinessBanking,
			Currency: "NGN", Opened: s.gen.opened(a.ref).UTC(), Balance: s.balanceAt(a.ref, now), Empty: a.ref.sp.Empty, TxnsFail: u.TxnsFail, ref: a.ref})
	}
	return out, nil
}

// StdTransactions returns up to limit of an account's transactions dated
// in [from, to], oldest first, after cursor ("" for the first page), and
// the cursor of the next page ("" when this is the last). Cursors are
// opaque to faces; a page can be made again from its cursor alone.
func (s *Sim) StdTransactions(ctx context.Context, tenant, instID, username, accountID string, from, to time.Time, cursor string, limit int) ([]Txn, string, error) {
	in, ok := s.insts[instID]
	if !ok {
		return nil, "", ErrStdBadCredentials
	}
	u, err := s.stdUser(ctx, tenant, username)
	if err != nil {
		return nil, "", err
	}
	var acct *account
	for _, a := range s.accounts(in, u) {
		if a.id == accountID {
			acct = &a
			break
		}
	}
	if acct == nil {
		return nil, "", errStdNoAccount
	}
	limit = max(1, min(limit, maxPage))
	if acct.ref.sp.Transactions != nil {
		off := 0
		if c, ok := strings.CutPrefix(cursor, "f"); ok {
			if off, err = strconv.Atoi(c); err != nil || off < 0 {
				return nil, "", ErrStdCursor
			}
		} else if cursor != "" {
			return nil, "", ErrStdCursor
		}
		var win []Txn
		for _, x := range fixedHistory(acct.ref) {
			if !x.Date.Before(from) && !x.Date.After(to) {
				win = append(win, x)
			}
		}
		if off >= len(win) {
			return nil, "", nil
		}
		end := min(off+limit, len(win))
		next := ""
		if end < len(win) {
			next = "f" + strconv.Itoa(end)
		}
		return win[off:end], next, nil
	}
	startMonth, skip := -1, 0
	if cursor != "" {
		ms, os, ok := strings.Cut(cursor, ".")
		m, err1 := strconv.Atoi(ms)
		o, err2 := strconv.Atoi(os)
		if !ok || err1 != nil || err2 != nil || o < 0 {
			return nil, "", ErrStdCursor
		}
		startMonth, skip = m, o
		if ms := monthStart(m); ms.After(from) {
			from = ms
		}
	}
	var out []Txn
	next := ""
	s.gen.each(acct.ref, from, to, func(m int, txns []Txn) bool {
		off := 0
		if m == startMonth {
			off = skip
		}
		for i := off; i < len(txns); i++ {
			if len(out) == limit {
				next = strconv.Itoa(m) + "." + strconv.Itoa(i)
				return false
			}
			out = append(out, txns[i])
		}
		return true
	})
	return out, next, nil
}

var errStdNoAccount = errors.New("banksim: unknown account")

// ErrStdCursor is a cursor StdTransactions did not make.
var ErrStdCursor = errors.New("banksim: invalid cursor")

// ErrStdNoAccount reports an account the user does not hold.
func ErrStdNoAccount(err error) bool { return errors.Is(err, errStdNoAccount) }

// StdIdentity is the holder's identity as the simulator's identity
// endpoint reports it (full_name, email, phone, gender, dob, bvn,
// address_line1, …), or ok false when the institution shares none. It
// runs that endpoint's own handler, so the two can never disagree.
func (s *Sim) StdIdentity(ctx context.Context, tenant, instID, username string) (map[string]string, bool, error) {
	in, ok := s.insts[instID]
	if !ok {
		return nil, false, ErrStdBadCredentials
	}
	u, err := s.stdUser(ctx, tenant, username)
	if err != nil {
		return nil, false, err
	}
	accts := s.accounts(in, u)
	if len(accts) == 0 {
		return nil, false, nil
	}
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/v1/accounts/"+accts[0].id+"/identity", nil)
	r.SetPathValue("id", accts[0].id)
	w := httptest.NewRecorder()
	s.handleIdentity(w, r, authed{inst: in, user: u})
	if w.Code != http.StatusOK {
		return nil, false, nil
	}
	var m map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		return nil, false, err
	}
	return m, true, nil
}

// StdFaults are the faults a face applies to a request: the user's own
// (the flaky and slow test users, and the admin API's) and the
// request's X-Banksim-Fault header. username may be empty (calls made
// before a customer is known).
func (s *Sim) StdFaults(ctx context.Context, tenant, username string, r *http.Request) (Faults, error) {
	f := Faults{}
	if username != "" {
		u, err := s.user(ctx, tenant, username)
		if err != nil {
			return f, err
		}
		if f, err = s.faultsOf(ctx, u); err != nil {
			return f, err
		}
	}
	return f.merge(parseFaultHeader(r.Header.Get("X-Banksim-Fault"))), nil
}

// Roll is a uniform number in [0, 1) from the simulator's seeded source,
// for a face deciding whether a fault rate hits this request.
func (s *Sim) Roll() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rnd.Float64()
}

// StdFactors is a user's second factors at an institution, for a face
// continuing a login whose password was already checked.
func (s *Sim) StdFactors(ctx context.Context, tenant, instID, username string) (StdUser, error) {
	in, ok := s.insts[instID]
	if !ok {
		return StdUser{}, ErrStdBadCredentials
	}
	u, err := s.stdUser(ctx, tenant, username)
	if err != nil {
		return StdUser{}, err
	}
	return StdUser{Username: u.Username, FullName: u.FullName, Factors: u.mfaSteps(MFAStyle(in))}, nil
}
