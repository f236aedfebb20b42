package httpapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// fidelityRoutes are the bank-data endpoints Mono documents that kobo
// added in round 2 of its fidelity work (issue 18): the accounts list,
// customers, statement insights, credit-worthiness, v1 enrichment and the
// partner-defined sandbox users.
func (s *Server) fidelityRoutes() {
	m := s.mux
	m.Handle("GET /v2/accounts", s.v2(s.secret(s.listAccountsV2)))
	s.customerRoutes()
	s.enrichmentRoutes()
	s.sandboxUserRoutes()
}

// Paging of Mono's lists: page is 1-based; limit is kobo's (Mono documents
// no page-size parameter, reference round 2 §4).
const (
	listDefaultLimit = 20
	listMaxLimit     = 100
)

// parsePaging reads page and limit, refusing what is not a whole number.
func parsePaging(q url.Values) (page, limit int, err error) {
	page, limit = 1, listDefaultLimit
	if v := q.Get("page"); v != "" {
		n, e := strconv.Atoi(v)
		if e != nil || n < 1 {
			return 0, 0, invalidField("page", "must be a whole number from 1")
		}
		page = n
	}
	if v := q.Get("limit"); v != "" {
		n, e := strconv.Atoi(v)
		if e != nil || n < 1 || n > listMaxLimit {
			return 0, 0, invalidField("limit", "must be a whole number from 1 to "+strconv.Itoa(listMaxLimit))
		}
		limit = n
	}
	return page, limit, nil
}

// listMeta is Mono's list meta {total, pages, previous, next}, the links
// absolute URLs of the same query with another page, or null.
func (s *Server) listMeta(r *http.Request, page, limit, total int) map[string]any {
	pages := (total + limit - 1) / limit
	link := func(p int) any {
		if p < 1 || p > pages {
			return nil
		}
		q := url.Values{}
		for k, v := range r.URL.Query() {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(p))
		return s.baseURL(r) + r.URL.Path + "?" + q.Encode()
	}
	return map[string]any{"total": total, "pages": pages, "previous": link(min(page-1, pages)), "next": link(page + 1)}
}

// accountItem is an account as Mono's lists show it
// (https://docs.mono.co/docs/quickstart, "Get all accounts"): the sample's
// id, name, account_number, currency, balance, auth_method and status
// (the data status), with the bvn, type, institution and customer that
// client libraries read.
func accountItem(a *kobo.Account) map[string]any {
	var customer any
	if a.CustomerID != "" {
		customer = map[string]string{"id": a.CustomerID}
	}
	var bankCode any
	if a.Institution.BankCode != "" {
		bankCode = a.Institution.BankCode
	}
	return map[string]any{
		"id": a.ID, "name": a.Name, "account_number": string(a.AccountNumber), "currency": a.Currency, "balance": a.Balance,
		"auth_method": a.AuthMethod, "status": a.DataStatus, "bvn": orNil(a.BVNLast4), "type": a.Type,
		"institution": map[string]any{"id": a.Institution.ID, "name": a.Institution.Name, "bank_code": bankCode, "type": a.Institution.Type},
		"customer":    customer,
		"created_at":  monoTime(a.CreatedAt), "updated_at": monoTime(a.UpdatedAt),
	}
}

// listAccountsV2 is GET /v2/accounts: the accounts the app has linked in
// the key's mode, newest first, paged. Mono documents no filters for it
// (reference round 2 §4), so kobo's are its own and change nothing when
// absent: status (a data status), institution (an institution id),
// customer (a customer id) and search (text in the name, reference,
// account id or the customer's name or email).
func (s *Server) listAccountsV2(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, limit, err := parsePaging(q)
	if err != nil {
		return err
	}
	for _, k := range []string{"status", "institution", "customer", "search"} {
		if len(q[k]) > 1 {
			return invalidField(k, "may be given once")
		}
	}
	if len(q.Get("search")) > 200 {
		return invalidField("search", "must be at most 200 characters")
	}
	list, err := s.app.SearchAccounts(r.Context(), callerFrom(r.Context()), app.AccountQuery{Status: q.Get("status"), InstitutionID: q.Get("institution"),
		CustomerID: q.Get("customer"), Text: q.Get("search"), Limit: limit, Offset: (page - 1) * limit})
	if err != nil {
		return err
	}
	items := make([]map[string]any, 0, len(list.Accounts))
	for _, a := range list.Accounts {
		items = append(items, accountItem(a))
	}
	s.writeV2(w, http.StatusOK, "Data retrieved successfully", items, s.listMeta(r, page, limit, list.Total))
	return nil
}

// invalidField is a 400 naming one field.
func invalidField(field, problem string) error { return kobo.Invalid{field: problem}.Err() }
