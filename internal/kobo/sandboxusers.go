package kobo

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// SandboxUserSpec is a partner-defined sandbox user (POST
// /v2/sandbox/users): a test user the sandbox bank serves to one app only,
// so a partner can reproduce a customer's case exactly — the accounts, the
// identity, the second factors, the faults, and either generator
// parameters or the exact transactions of each account.
type SandboxUserSpec struct {
	Username    string `json:"username"`
	Password    string `json:"password,omitempty"` // what every secret field of the login form takes (default 123456)
	Description string `json:"description,omitempty"`
	// MFA is the list of second factors an interactive login asks for, in
	// order: otp, question, pin, token, or bank (the bank's own style).
	MFA              []string             `json:"mfa,omitempty"`
	ReauthEverySync  bool                 `json:"reauth_every_sync,omitempty"`
	Locked           bool                 `json:"locked,omitempty"`
	BadPassword      bool                 `json:"bad_password,omitempty"`
	TransactionsFail bool                 `json:"transactions_fail,omitempty"`
	Faults           *SandboxFaults       `json:"faults,omitempty"`
	Identity         *SandboxIdentity     `json:"identity,omitempty"`
	Accounts         []SandboxAccountSpec `json:"accounts"`
	CreatedAt        *time.Time           `json:"created_at,omitempty"` // set by kobo
}

// SandboxFaults is how the user's bank misbehaves on every call.
type SandboxFaults struct {
	LatencyMS   int     `json:"latency_ms,omitempty"`
	ErrorRate   float64 `json:"error_rate,omitempty"`
	TimeoutRate float64 `json:"timeout_rate,omitempty"`
	Truncate    bool    `json:"truncate,omitempty"`
	Malformed   bool    `json:"malformed,omitempty"`
	Duplicate   bool    `json:"duplicate,omitempty"`
	ExpireToken bool    `json:"expire_token,omitempty"`
	RateLimit   bool    `json:"rate_limit,omitempty"`
}

// SandboxIdentity is what the bank reports as the holder's identity;
// blank fields are made up from the username.
type SandboxIdentity struct {
	FullName      string `json:"full_name,omitempty"`
	Email         string `json:"email,omitempty"`
	Phone         string `json:"phone,omitempty"`
	Gender        string `json:"gender,omitempty"`
	DOB           string `json:"dob,omitempty"` // YYYY-MM-DD
	BVN           string `json:"bvn,omitempty"`
	MaritalStatus string `json:"marital_status,omitempty"`
	AddressLine1  string `json:"address_line1,omitempty"`
	AddressLine2  string `json:"address_line2,omitempty"`
	StateOfOrigin string `json:"state_of_origin,omitempty"`
	LGAOfOrigin   string `json:"lga_of_origin,omitempty"`
}

// SandboxAccountSpec is one account: generated from Generator, or exactly
// Transactions, or empty when it has neither.
type SandboxAccountSpec struct {
	Type           string            `json:"type,omitempty"` // the bank's text, default SAVINGS ACCOUNT
	Business       bool              `json:"business,omitempty"`
	OpeningBalance int64             `json:"opening_balance,omitempty"` // kobo, before the first transaction
	HistoryDays    int               `json:"history_days,omitempty"`    // generated accounts: how long it has existed (default 400)
	Generator      *SandboxGenerator `json:"generator,omitempty"`
	Transactions   []SandboxFixedTxn `json:"transactions,omitempty"`
}

// SandboxGenerator is the simulator's parameters for a generated history.
type SandboxGenerator struct {
	Employer     string  `json:"employer,omitempty"`
	Salary       int64   `json:"salary,omitempty"`  // monthly, kobo
	PerDay       float64 `json:"per_day,omitempty"` // other transactions a day
	Freelance    bool    `json:"freelance,omitempty"`
	FreelanceAvg int64   `json:"freelance_avg,omitempty"` // monthly, kobo
}

// SandboxFixedTxn is one exact transaction. Date is YYYY-MM-DD (booked at
// noon, Lagos) or an RFC 3339 time; Amount is positive kobo.
type SandboxFixedTxn struct {
	Date      string  `json:"date"`
	Narration string  `json:"narration"`
	Amount    int64   `json:"amount"`
	Type      TxnType `json:"type"`
}

// Time is when the transaction is booked.
func (t SandboxFixedTxn) Time() (time.Time, error) {
	if d, err := time.ParseInLocation("2006-01-02", t.Date, time.FixedZone("WAT", 3600)); err == nil {
		return d.Add(12 * time.Hour).UTC(), nil
	}
	d, err := time.Parse(time.RFC3339, t.Date)
	return d.UTC(), err
}

// Limits of a sandbox user.
const (
	SandboxMaxAccounts     = 10
	SandboxMaxTransactions = 10_000 // per account (a request body is 1 MiB by default)
	SandboxMaxUsers        = 200    // per app
)

var sandboxUsername = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{2,39}$`)

// Validate checks a spec and names every field that is wrong, with its
// path (accounts[0].transactions[2].amount).
func (s *SandboxUserSpec) Validate() error {
	v := Invalid{}
	switch {
	case s.Username == "":
		v.Add("username", "is required")
	case !sandboxUsername.MatchString(s.Username):
		v.Add("username", "must be 3 to 40 lower-case letters, digits, '_', '.' or '-', starting with a letter or digit")
	case strings.HasPrefix(s.Username, "user_") || strings.HasPrefix(s.Username, "custom_"):
		v.Add("username", "must not start with user_ or custom_ (kept for kobo's own test users)")
	}
	if len(s.Password) > 64 || strings.ContainsAny(s.Password, "\r\n\t") {
		v.Add("password", "must be at most 64 characters on one line")
	}
	if len(s.Description) > 500 {
		v.Add("description", "must be at most 500 characters")
	}
	if len(s.MFA) > 4 {
		v.Add("mfa", "takes at most 4 steps")
	}
	for i, m := range s.MFA {
		switch m {
		case "otp", "question", "pin", "token", "bank":
		default:
			v.Add(fmt.Sprintf("mfa[%d]", i), "must be one of otp, question, pin, token, bank")
		}
	}
	if f := s.Faults; f != nil {
		if f.LatencyMS < 0 || f.LatencyMS > 30_000 {
			v.Add("faults.latency_ms", "must be from 0 to 30000")
		}
		if f.ErrorRate < 0 || f.ErrorRate > 1 {
			v.Add("faults.error_rate", "must be from 0 to 1")
		}
		if f.TimeoutRate < 0 || f.TimeoutRate > 1 {
			v.Add("faults.timeout_rate", "must be from 0 to 1")
		}
	}
	if id := s.Identity; id != nil {
		if id.DOB != "" {
			if _, err := time.Parse("2006-01-02", id.DOB); err != nil {
				v.Add("identity.dob", "must be a date, YYYY-MM-DD")
			}
		}
		if id.BVN != "" && (len(id.BVN) != 11 || strings.Trim(id.BVN, "0123456789") != "") {
			v.Add("identity.bvn", "must be 11 digits")
		}
		if id.Gender != "" && id.Gender != "male" && id.Gender != "female" {
			v.Add("identity.gender", "must be male or female")
		}
	}
	switch {
	case len(s.Accounts) == 0:
		v.Add("accounts", "needs at least one account")
	case len(s.Accounts) > SandboxMaxAccounts:
		v.Add("accounts", fmt.Sprintf("takes at most %d accounts", SandboxMaxAccounts))
	}
	for i, a := range s.Accounts {
		p := fmt.Sprintf("accounts[%d]", i)
		if len(a.Type) > 60 {
			v.Add(p+".type", "must be at most 60 characters")
		}
		if a.OpeningBalance < 0 {
			v.Add(p+".opening_balance", "must not be negative")
		}
		if a.HistoryDays < 0 || a.HistoryDays > 3660 {
			v.Add(p+".history_days", "must be from 1 to 3660")
		}
		if a.Generator != nil && len(a.Transactions) > 0 {
			v.Add(p, "takes either generator or transactions, not both")
		}
		if g := a.Generator; g != nil {
			if g.Salary < 0 {
				v.Add(p+".generator.salary", "must not be negative")
			}
			if g.FreelanceAvg < 0 {
				v.Add(p+".generator.freelance_avg", "must not be negative")
			}
			if g.PerDay < 0 || g.PerDay > 5000 {
				v.Add(p+".generator.per_day", "must be from 0 to 5000")
			}
			if g.Salary > 0 && g.Employer == "" {
				v.Add(p+".generator.employer", "is required with a salary")
			}
		}
		if len(a.Transactions) > SandboxMaxTransactions {
			v.Add(p+".transactions", fmt.Sprintf("takes at most %d transactions", SandboxMaxTransactions))
			continue
		}
		for j, t := range a.Transactions {
			q := fmt.Sprintf("%s.transactions[%d]", p, j)
			if _, err := t.Time(); err != nil {
				v.Add(q+".date", "must be YYYY-MM-DD or an RFC 3339 time")
			}
			if t.Amount <= 0 {
				v.Add(q+".amount", "must be a positive number of kobo")
			}
			if t.Type != Credit && t.Type != Debit {
				v.Add(q+".type", "must be credit or debit")
			}
			if strings.TrimSpace(t.Narration) == "" || len(t.Narration) > 200 {
				v.Add(q+".narration", "is required, at most 200 characters")
			}
		}
	}
	return v.Err()
}

// SandboxUserAdmin is the part of a simulated bank that keeps
// partner-defined users, each owned by one tenant (app).
type SandboxUserAdmin interface {
	// TenantUsers lists the test users a tenant's sessions may log in as
	// at an institution: the shared ones and the tenant's own.
	TenantUsers(ctx context.Context, tenant string, inst Institution, authMethod string) ([]SandboxUser, error)
	// CreateUser stores a tenant's user; ECONFLICT when the name is taken.
	CreateUser(ctx context.Context, tenant string, u *SandboxUserSpec) error
	// ListUsers lists a tenant's own users by username.
	ListUsers(ctx context.Context, tenant string) ([]*SandboxUserSpec, error)
	// DeleteUser removes one; ENOTFOUND when there is none.
	DeleteUser(ctx context.Context, tenant, username string) error
}
