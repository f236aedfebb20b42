package httpapi

import (
	"crypto/sha256"
	"net/http"
	"strings"

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
	writeJSON(w, http.StatusOK, map[string]any{
		"meta": map[string]any{"data_status": a.DataStatus, "auth_method": a.AuthMethod},
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
	s.writeV2(w, http.StatusOK, "Request was succesfully completed", map[string]any{
		"account": map[string]any{
			"id": a.ID, "name": a.Name, "account_number": string(a.AccountNumber), "currency": a.Currency, "balance": a.Balance,
			"type": a.Type, "bvn": a.BVNLast4,
			"institution": map[string]any{"name": a.Institution.Name, "bank_code": a.Institution.BankCode, "type": a.Institution.Type},
		},
		"customer": customer,
		"meta": map[string]any{
			"data_status": a.DataStatus, "auth_method": a.AuthMethod, "retrieved_data": retrieved, "ref": a.Reference,
			"data_request_id": dataRequestID(a), "session_id": a.SessionID,
		},
	}, nil)
	return nil
}
