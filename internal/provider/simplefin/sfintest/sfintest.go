// Package sfintest is a fake SimpleFIN server for tests, written from the
// protocol text (the SimpleFIN protocol's "HTTP Endpoints" and "Data"
// sections): GET /info, GET /create, POST /claim/:token with one-time
// tokens, and GET /accounts with Basic auth and the start-date, end-date,
// pending, account and balances-only parameters. Tests drive its state
// (accounts, pending rows posting, revoked access, errors, failures, a
// range limit) and read back the requests it served. Only tests import it,
// so it is not in the kobo binary.
package sfintest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Org is an account's organisation.
type Org struct {
	Domain  string `json:"domain,omitempty"`
	SfinURL string `json:"sfin-url"`
	Name    string `json:"name,omitempty"`
}

// Txn is a transaction as the server holds it.
type Txn struct {
	ID           string
	Posted       int64 // 0 while pending
	Amount       string
	Description  string
	TransactedAt int64
	Pending      bool
}

// Account is an account as the server holds it.
type Account struct {
	Org         Org
	ID          string
	Name        string
	Currency    string
	Balance     string
	Available   string // "" omits available-balance
	BalanceDate int64
	Txns        []Txn
}

// Server is the fake. Its root URL is URL (…/simplefin).
type Server struct {
	URL  string
	HTTP *httptest.Server
	// Now is the server's clock (for an open-ended range); time.Now when nil.
	Now func() time.Time

	mu       sync.Mutex
	tokens   map[string]bool // one-time code → claimed
	users    map[string]*user
	accounts []*Account
	errs     []string
	status   int
	retry    string
	window   time.Duration
	maxRows  int
	requests []url.Values
	claims   int
}

type user struct {
	pass    string
	revoked bool
}

// New starts a fake on 127.0.0.1:0, over TLS when tls is set (use
// HTTP.Client() or HTTP.Certificate() to trust it).
func New(tls bool) *Server {
	s := &Server{tokens: map[string]bool{}, users: map[string]*user{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /simplefin/info", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"versions":["1.0"]}`))
	})
	mux.HandleFunc("GET /simplefin/create", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, s.SetupToken())
	})
	mux.HandleFunc("POST /simplefin/claim/{token}", s.claim)
	// a custom currency's URL (the protocol's "Custom Currencies")
	mux.HandleFunc("GET /currencies/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"name": "Example Airline Miles\u202e", "abbr": r.PathValue("id")})
	})
	mux.HandleFunc("GET /simplefin/accounts", s.accountsHandler)
	if tls {
		s.HTTP = httptest.NewTLSServer(mux)
	} else {
		s.HTTP = httptest.NewServer(mux)
	}
	s.URL = s.HTTP.URL + "/simplefin"
	return s
}

// Close stops the server.
func (s *Server) Close() { s.HTTP.Close() }

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// SetupToken issues a one-time setup token: Base64 of its claim URL.
func (s *Server) SetupToken() string {
	code := random(16)
	s.mu.Lock()
	s.tokens[code] = false
	s.mu.Unlock()
	return base64.StdEncoding.EncodeToString([]byte(s.URL + "/claim/" + code))
}

// Claims counts successful claims.
func (s *Server) Claims() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claims
}

func (s *Server) claim(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := r.PathValue("token")
	claimed, ok := s.tokens[code]
	if !ok || claimed {
		// "does not exist or has already been used claimed by someone else"
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	s.tokens[code] = true
	s.claims++
	name, pass := "user"+random(4), random(12)
	s.users[name] = &user{pass: pass}
	u, _ := url.Parse(s.URL)
	u.User = url.UserPassword(name, pass)
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte(u.String()))
}

// AddAccount adds an account shared by every access URL.
func (s *Server) AddAccount(a Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := a
	cp.Txns = slices.Clone(a.Txns)
	s.accounts = append(s.accounts, &cp)
}

func (s *Server) account(id string) *Account {
	for _, a := range s.accounts {
		if a.ID == id {
			return a
		}
	}
	panic("sfintest: no account " + id)
}

// AddTxn adds a transaction to an account.
func (s *Server) AddTxn(accountID string, t Txn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(accountID)
	a.Txns = append(a.Txns, t)
}

// Post posts a pending transaction, keeping its id.
func (s *Server) Post(accountID, txnID string, posted time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(accountID)
	for i := range a.Txns {
		if a.Txns[i].ID == txnID {
			a.Txns[i].Pending, a.Txns[i].Posted = false, posted.Unix()
			return
		}
	}
	panic("sfintest: no transaction " + txnID)
}

// Drop removes a transaction, as a server does with a pending
// authorisation that never posts.
func (s *Server) Drop(accountID, txnID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(accountID)
	a.Txns = slices.DeleteFunc(a.Txns, func(t Txn) bool { return t.ID == txnID })
}

// SetBalance changes an account's balance.
func (s *Server) SetBalance(accountID, balance string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(accountID)
	a.Balance, a.BalanceDate = balance, at.Unix()
}

// RevokeAll revokes every access URL claimed so far (the customer
// disconnected the app at the bridge): /accounts answers 403.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		u.revoked = true
	}
}

// SetErrors sets the errors array of every Account Set served.
func (s *Server) SetErrors(msgs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = msgs
}

// FailAccounts makes /accounts answer status (0 turns it off), with a
// Retry-After header when retryAfter is set.
func (s *Server) FailAccounts(status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.retry = status, retryAfter
}

// SetWindow makes the server a bridge that limits a request's range: a
// longer one is cut to the last d before its end, with an error saying so
// (the protocol lets a server return a subset of transactions).
func (s *Server) SetWindow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.window = d
}

// SetMaxRows makes the server return at most n transactions per account
// in one answer (the oldest n), silently, as a server with a row limit.
func (s *Server) SetMaxRows(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxRows = n
}

// Requests returns the query of every /accounts request served.
func (s *Server) Requests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

type txnJSON struct {
	ID           string `json:"id"`
	Posted       int64  `json:"posted"`
	Amount       string `json:"amount"`
	Description  string `json:"description"`
	TransactedAt int64  `json:"transacted_at,omitempty"`
	Pending      bool   `json:"pending,omitempty"`
}

type accountJSON struct {
	Org          Org        `json:"org"`
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Currency     string     `json:"currency"`
	Balance      string     `json:"balance"`
	Available    string     `json:"available-balance,omitempty"`
	BalanceDate  int64      `json:"balance-date"`
	Transactions *[]txnJSON `json:"transactions,omitempty"`
}

func (s *Server) accountsHandler(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	s.requests = append(s.requests, q)
	name, pass, ok := r.BasicAuth()
	if u := s.users[name]; !ok || u == nil || u.pass != pass || u.revoked {
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	if s.status != 0 {
		if s.retry != "" {
			w.Header().Set("Retry-After", s.retry)
		}
		http.Error(w, http.StatusText(s.status), s.status)
		return
	}
	errs := slices.Clone(s.errs)
	parse := func(k string) (int64, bool) {
		v, err := strconv.ParseInt(q.Get(k), 10, 64)
		return v, err == nil
	}
	start, hasStart := parse("start-date")
	end, hasEnd := parse("end-date")
	if !hasEnd {
		end = s.now().Unix() + 1
	}
	if s.window > 0 && hasStart && end-start > int64(s.window/time.Second) {
		start = end - int64(s.window/time.Second)
		errs = append(errs, fmt.Sprintf("Only %d days of transactions may be requested at once.", int(s.window.Hours()/24)))
	}
	pending := q.Get("pending") == "1"
	only := q["account"]
	out := struct {
		Errors   []string      `json:"errors"`
		Accounts []accountJSON `json:"accounts"`
	}{Errors: append([]string{}, errs...), Accounts: []accountJSON{}}
	for _, a := range s.accounts {
		if len(only) > 0 && !slices.Contains(only, a.ID) {
			continue
		}
		aj := accountJSON{Org: a.Org, ID: a.ID, Name: a.Name, Currency: a.Currency, Balance: a.Balance, Available: a.Available, BalanceDate: a.BalanceDate}
		if q.Get("balances-only") != "1" {
			rows := []txnJSON{}
			for _, t := range a.Txns {
				at := t.Posted
				if t.Pending {
					if !pending {
						continue
					}
					at = t.TransactedAt
				}
				if at != 0 && ((hasStart && at < start) || at >= end) {
					continue
				}
				rows = append(rows, txnJSON{ID: t.ID, Posted: t.Posted, Amount: t.Amount, Description: t.Description, TransactedAt: t.TransactedAt, Pending: t.Pending})
			}
			// "ordered by posted"
			slices.SortStableFunc(rows, func(x, y txnJSON) int { return int(x.Posted - y.Posted) })
			if s.maxRows > 0 && len(rows) > s.maxRows {
				rows = rows[:s.maxRows]
			}
			aj.Transactions = &rows
		}
		out.Accounts = append(out.Accounts, aj)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// BankOrg is the organisation tests use.
func BankOrg() Org {
	return Org{Domain: "mybank.com", SfinURL: "https://sfin.mybank.com", Name: "My Bank"}
}
