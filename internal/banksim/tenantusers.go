package banksim

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Partner-defined users: test users a tenant (a kobo app) describes in
// JSON and only that tenant's logins find. They live in State like every
// other piece of the bank that changes, under one kind per tenant.

func tenantUsersKind(tenant string) string { return "tuser/" + tenant }

// tenantUsers lists a tenant's own users.
func (s *Sim) tenantUsers(ctx context.Context, tenant string) ([]*Scenario, error) {
	if tenant == "" {
		return nil, nil
	}
	return s.storedUsers(ctx, tenantUsersKind(tenant))
}

// refName is the name a user's accounts and histories are keyed by: a
// tenant's user is keyed by tenant and revision too, so two apps' users
// of one name, or a user created again, never share an account or a
// cached month.
func (u *Scenario) refName() string {
	if u.Tenant == "" {
		return u.Username
	}
	return "t/" + u.Tenant + "/" + u.Username + "/" + u.Rev
}

// secret is what the user types in a secret field.
func (u *Scenario) secret(f kobo.FormField) string {
	if u.Password != "" {
		return u.Password
	}
	return secretValue(f)
}

// overrideIdentity puts the identity a partner gave over the made-up one.
func (u *Scenario) overrideIdentity(m map[string]any) {
	id := u.Identity
	if id == nil {
		return
	}
	for k, v := range map[string]string{"full_name": id.FullName, "email": id.Email, "phone": id.Phone, "gender": id.Gender, "dob": id.DOB,
		"bvn": id.BVN, "marital_status": id.MaritalStatus, "address_line1": id.AddressLine1, "address_line2": id.AddressLine2,
		"state_of_origin": id.StateOfOrigin, "lga_of_origin": id.LGAOfOrigin} {
		if v != "" {
			m[k] = v
		}
	}
}

// balanceAt is an account's balance at t, generated or fixed.
func (s *Sim) balanceAt(a acctRef, t time.Time) int64 {
	if !a.sp.Fixed {
		return s.gen.balanceAt(a, t)
	}
	bal := a.sp.OpeningKobo
	for _, x := range fixedHistory(a) {
		if x.Date.After(t) {
			break
		}
		bal = x.Balance
	}
	return bal
}

// fixedHistory is a fixed account's transactions oldest first, with
// running balances from the opening balance and references that stay the
// same for as long as the list does. Debits are never declined: the
// partner's case is reproduced as given, overdraft included.
func fixedHistory(a acctRef) []Txn {
	type dated struct {
		t  time.Time
		kt kobo.SandboxFixedTxn
	}
	ds := make([]dated, 0, len(a.sp.Transactions))
	for _, x := range a.sp.Transactions {
		t, err := x.Time()
		if err != nil {
			continue // refused when the user was created
		}
		ds = append(ds, dated{t, x})
	}
	slices.SortStableFunc(ds, func(x, y dated) int { return x.t.Compare(y.t) })
	out := make([]Txn, 0, len(ds))
	bal := a.sp.OpeningKobo
	h := hash64("fixed", a.key())
	for i, d := range ds {
		credit := d.kt.Type == kobo.Credit
		if credit {
			bal += d.kt.Amount
		} else {
			bal -= d.kt.Amount
		}
		out = append(out, Txn{Ref: "F" + strings.ToUpper(strconv.FormatUint(h, 16)) + "-" + strconv.Itoa(i), Date: d.t, Credit: credit,
			Amount: d.kt.Amount, Balance: bal, Narration: d.kt.Narration})
	}
	return out
}

// fixedTransactions pages a fixed history like handleTransactions pages a
// generated one; the cursor is "f<offset>" into the window.
func (s *Sim) fixedTransactions(w http.ResponseWriter, r *http.Request, a authed, acct account) {
	q := r.URL.Query()
	from, to := time.Time{}, a.now
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				bankError(w, 400, "bad_request", p.name+" must be RFC 3339")
				return
			}
			if p.name == "from" || t.Before(to) {
				*p.dst = t
			}
		}
	}
	limit := 1000
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			bankError(w, 400, "bad_request", "limit must be a positive number")
			return
		}
		limit = min(n, maxPage)
	}
	skip := 0
	if c := q.Get("cursor"); c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "f"))
		if !strings.HasPrefix(c, "f") || err != nil || n < 0 {
			bankError(w, 400, "bad_request", "invalid cursor")
			return
		}
		skip = n
	}
	var window []Txn
	for _, x := range fixedHistory(acct.ref) {
		if !x.Date.Before(from) && !x.Date.After(to) {
			window = append(window, x)
		}
	}
	skip = min(skip, len(window))
	page := window[skip:min(skip+limit, len(window))]
	buf := append([]byte(nil), `{"data":[`...)
	for i, x := range page {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendTxn(buf, x)
	}
	buf = append(buf, `],"next_cursor":`...)
	if end := skip + len(page); end < len(window) {
		buf = strconv.AppendQuote(buf, "f"+strconv.Itoa(end))
	} else {
		buf = append(buf, "null"...)
	}
	buf = append(buf, "}\n"...)
	if a.faults.Truncate {
		buf = buf[:len(buf)*2/3]
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(buf)
}

// storedTenantUser is a tenant's user as State keeps it: the scenario the
// bank runs and the spec the partner sent, which the list gives back.
type storedTenantUser struct {
	storedUser
	Spec kobo.SandboxUserSpec `json:"spec"`
}

// scenarioOf turns a partner's spec into the bank's scenario.
func scenarioOf(tenant string, sp *kobo.SandboxUserSpec, now time.Time) Scenario {
	sc := Scenario{Username: sp.Username, Description: cmp.Or(sp.Description, "Defined by the app (POST /v2/sandbox/users)."),
		MFA: strings.Join(sp.MFA, ","), ReauthEverySync: sp.ReauthEverySync, BadPassword: sp.BadPassword, Locked: sp.Locked,
		TxnsFail: sp.TransactionsFail, Tenant: tenant, Password: sp.Password, Identity: sp.Identity}
	if sp.Identity != nil {
		sc.FullName = strings.ToUpper(sp.Identity.FullName)
	}
	sc.FullName = cmp.Or(sc.FullName, strings.ToUpper(strings.NewReplacer("_", " ", ".", " ", "-", " ").Replace(sp.Username)))
	if f := sp.Faults; f != nil {
		sc.Faults = Faults{Latency: f.LatencyMS, ErrorRate: f.ErrorRate, TimeoutRate: f.TimeoutRate, Truncate: f.Truncate, Malformed: f.Malformed,
			Duplicate: f.Duplicate, ExpireToken: f.ExpireToken, RateLimit: f.RateLimit}
	}
	for _, a := range sp.Accounts {
		as := AcctSp{Type: cmp.Or(a.Type, "SAVINGS ACCOUNT"), Business: a.Business, OpeningKobo: a.OpeningBalance, HistoryDays: cmp.Or(a.HistoryDays, 400)}
		switch g := a.Generator; {
		case g != nil:
			as.Employer, as.Salary, as.PerDay, as.Freelance, as.FreelanceAvg = g.Employer, g.Salary, g.PerDay, g.Freelance, g.FreelanceAvg
		default:
			as.Fixed, as.Transactions = true, a.Transactions
		}
		sc.Accounts = append(sc.Accounts, as)
	}
	b, _ := json.Marshal(sp)
	sum := hash64(string(b), now.Format(time.RFC3339Nano))
	sc.Rev = hex.EncodeToString([]byte{byte(sum >> 56), byte(sum >> 48), byte(sum >> 40), byte(sum >> 32)})
	sc.index = 1000 + int(hash64("tenant", tenant, sp.Username)%90_000_000)
	return sc
}

func (s *Sim) handleTenantUsers(w http.ResponseWriter, r *http.Request) {
	bs, err := s.state.Values(r.Context(), tenantUsersKind(r.PathValue("tenant")))
	if err != nil {
		stateFailed(w, s.log, err)
		return
	}
	out := make([]kobo.SandboxUserSpec, 0, len(bs))
	for _, b := range bs {
		var su storedTenantUser
		if err := json.Unmarshal(b, &su); err != nil {
			stateFailed(w, s.log, err)
			return
		}
		out = append(out, su.Spec)
	}
	writeJSON(w, 200, map[string]any{"data": out})
}

func (s *Sim) handleCreateTenantUser(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	var sp kobo.SandboxUserSpec
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sp); err != nil {
		bankError(w, 400, "bad_request", "body must be a sandbox user: "+err.Error())
		return
	}
	if err := sp.Validate(); err != nil {
		bankError(w, 400, "bad_request", kobo.ErrorMessage(err))
		return
	}
	ctx := r.Context()
	_, _, exists, err := s.state.Value(ctx, tenantUsersKind(tenant), sp.Username)
	if err != nil {
		stateFailed(w, s.log, err)
		return
	}
	if exists {
		bankError(w, 409, "conflict", "a sandbox user named "+sp.Username+" already exists")
		return
	}
	created := s.clock.Now().UTC().Truncate(time.Millisecond)
	sc := scenarioOf(tenant, &sp, created)
	sp.CreatedAt = &created
	b, _ := json.Marshal(storedTenantUser{storedUser: storedUser{Scenario: sc, Index: sc.index}, Spec: sp})
	if err := s.state.Put(ctx, tenantUsersKind(tenant), sp.Username, b); err != nil {
		stateFailed(w, s.log, err)
		return
	}
	writeJSON(w, 201, sp)
}

func (s *Sim) handleDeleteTenantUser(w http.ResponseWriter, r *http.Request) {
	kind, name := tenantUsersKind(r.PathValue("tenant")), r.PathValue("user")
	_, _, ok, err := s.state.Value(r.Context(), kind, name)
	if err == nil && ok {
		err = s.state.Delete(r.Context(), kind, name)
	}
	if err != nil {
		stateFailed(w, s.log, err)
		return
	}
	if !ok {
		bankError(w, 404, "not_found", "no sandbox user named "+name)
		return
	}
	writeJSON(w, 200, map[string]bool{"deleted": true})
}
