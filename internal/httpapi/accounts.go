package httpapi

import (
	"crypto/sha256"
	"net/http"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

func (s *Server) account(r *http.Request) (*kobo.Account, error) {
	return s.app.Account(r.Context(), callerFrom(r.Context()), r.PathValue("id"))
}

// accountV1 is GET /accounts/{id} (reference §3.2).
func (s *Server) accountV1(w http.ResponseWriter, r *http.Request) error {
	a, err := s.account(r)
	if err != nil {
		return err
	}
	meta := map[string]any{"data_status": a.DataStatus, "auth_method": a.AuthMethod}
	if err := s.consentMeta(r, a, meta); err != nil {
		return err
	}
	if err := s.identifiersMeta(r, a, meta); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"meta": meta,
		"account": map[string]any{
			"_id":           a.ID,
			"institution":   map[string]any{"name": a.Institution.Name, "bankCode": a.Institution.BankCode, "type": a.Institution.Type},
			"name":          a.Name,
			"accountNumber": string(a.AccountNumber),
			"type":          a.Type,
			"balance":       a.Balance,
			"currency":      a.Currency,
			"bvn":           a.BVNLast4,
		},
	})
	return nil
}

// dataRequestID is a stable, opaque id for the data request behind an
// account (Mono shows one like "ALP2JGV0I4KH").
func dataRequestID(a *kobo.Account) string {
	sum := sha256.Sum256([]byte(a.ID + "/" + a.SessionID))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b strings.Builder
	for _, c := range sum[:12] {
		b.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return b.String()
}

// accountV2 is GET /v2/accounts/{id} (reference §4.2), with Mono's own
// spelling of its message.
func (s *Server) accountV2(w http.ResponseWriter, r *http.Request) error {
	a, err := s.account(r)
	if err != nil {
		return err
	}
	var customer any
	if a.CustomerID != "" {
		customer = map[string]string{"id": a.CustomerID}
	}
	retrieved := a.RetrievedData
	if retrieved == nil {
		retrieved = []string{}
	}
	meta := map[string]any{
		"data_status": a.DataStatus, "auth_method": a.AuthMethod, "retrieved_data": retrieved, "ref": a.Reference,
		"data_request_id": dataRequestID(a), "session_id": a.SessionID,
	}
	if err := s.consentMeta(r, a, meta); err != nil {
		return err
	}
	if err := s.identifiersMeta(r, a, meta); err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "Request was succesfully completed", map[string]any{
		"account": map[string]any{
			"id": a.ID, "name": a.Name, "account_number": string(a.AccountNumber), "currency": a.Currency, "balance": a.Balance,
			"type": a.Type, "bvn": a.BVNLast4,
			"institution": map[string]any{"name": a.Institution.Name, "bank_code": a.Institution.BankCode, "type": a.Institution.Type},
		},
		"customer": customer,
		"meta":     meta,
	}, nil)
	return nil
}

// consentMeta adds kobo's meta.consent for accounts linked through an
// open-banking consent (kind, provider, expires_at, and status: active,
// expiring within a week, or expired — an expired account syncs no more
// until it is re-authorised). Credential logins, whose grants do not
// expire, carry no consent: Mono's shape is unchanged for them.
func (s *Server) consentMeta(r *http.Request, a *kobo.Account, meta map[string]any) error {
	c, err := s.app.AccountConsent(r.Context(), callerFrom(r.Context()), a.ID)
	if err != nil || c == nil || c.Kind == kobo.ConsentCredentials {
		return err
	}
	v := map[string]any{"kind": c.Kind, "provider": c.Provider, "expires_at": nil, "status": "active"}
	if c.ExpiresAt != nil {
		v["expires_at"] = c.ExpiresAt.UTC().Format(time.RFC3339)
		switch now := s.clock.Now(); {
		case !now.Before(*c.ExpiresAt):
			v["status"] = "expired"
		case c.ExpiresAt.Sub(now) <= app.ConsentWarning:
			v["status"] = "expiring"
		}
	}
	meta["consent"] = v
	return nil
}

// identifiersMeta adds kobo's meta.identifiers: the account's names at its
// bank beside the account number (an IBAN, a UK sort code and account
// number), where Plaid puts an account's "numbers". Accounts with none
// (every NUBAN-only Nigerian account) carry no such field, so Mono's shape
// is unchanged for them.
func (s *Server) identifiersMeta(r *http.Request, a *kobo.Account, meta map[string]any) error {
	ids, err := s.app.AccountIdentifiers(r.Context(), callerFrom(r.Context()), a.ID)
	if err != nil || len(ids) == 0 {
		return err
	}
	list := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		v := map[string]any{"scheme": id.Scheme, "value": string(id.Value)}
		if n := string(id.Value); id.Scheme == kobo.SchemeSortCode && len(n) > 6 {
			v["sort_code"], v["account_number"] = n[:6], n[6:]
		}
		list = append(list, v)
	}
	meta["identifiers"] = list
	return nil
}
