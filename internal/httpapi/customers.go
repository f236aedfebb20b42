package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// Mono's /v2/customers (changelog 2024-03-15: create, retrieve, list,
// update, delete, linked accounts; business customers 2024-07-09).
func (s *Server) customerRoutes() {
	m := s.mux
	m.Handle("POST /v2/customers", s.v2(s.secret(s.idempotent(flavourV2, s.createCustomer))))
	m.Handle("GET /v2/customers", s.v2(s.secret(s.listCustomers)))
	m.Handle("GET /v2/customers/{id}", s.v2(s.secret(s.getCustomer)))
	m.Handle("PATCH /v2/customers/{id}", s.v2(s.secret(s.updateCustomer)))
	m.Handle("DELETE /v2/customers/{id}", s.v2(s.secret(s.deleteCustomer)))
	m.Handle("GET /v2/customers/{id}/accounts", s.v2(s.secret(s.customerAccounts)))
	m.Handle("GET /v2/customers/{id}/transactions", s.v2(s.secret(s.customerTransactions)))
}

// customerJSON is a customer as Mono's create answers it
// (docs.mono.co/docs/payments/direct-debit/integration-guide-create-customers):
// a business has business_name in place of the names.
func customerJSON(c *kobo.Customer) map[string]any {
	m := map[string]any{"id": c.ID, "name": c.Name, "email": c.Email, "phone": c.Phone, "address": c.Address,
		"identification_no": c.IDNumber, "identification_type": c.IDType, "bvn": c.IDNumber, "type": c.Kind}
	if c.Kind == "business" {
		m["business_name"] = c.Name
	} else {
		m["first_name"], m["last_name"] = app.CustomerName(c)
	}
	return m
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request) error {
	var in app.CustomerInput
	if err := decodeJSON(r, &in, true); err != nil {
		return err
	}
	c, err := s.app.CreateCustomer(r.Context(), callerFrom(r.Context()), &in)
	if err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "Created customer successfully", customerJSON(c), nil)
	return nil
}

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) error {
	page, limit, err := parsePaging(r.URL.Query())
	if err != nil {
		return err
	}
	list, total, err := s.app.Customers(r.Context(), callerFrom(r.Context()), r.URL.Query().Get("email"), limit, (page-1)*limit)
	if err != nil {
		return err
	}
	items := make([]map[string]any, 0, len(list))
	for _, c := range list {
		items = append(items, customerJSON(c))
	}
	s.writeV2(w, http.StatusOK, "Data retrieved successfully", items, s.listMeta(r, page, limit, total))
	return nil
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.app.Customer(r.Context(), callerFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "Data retrieved successfully", customerJSON(c), nil)
	return nil
}

func (s *Server) updateCustomer(w http.ResponseWriter, r *http.Request) error {
	var in app.CustomerInput
	if err := decodeJSON(r, &in, true); err != nil {
		return err
	}
	if err := s.app.UpdateCustomer(r.Context(), callerFrom(r.Context()), r.PathValue("id"), &in); err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "Customer updated successfully", nil, nil)
	return nil
}

func (s *Server) deleteCustomer(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.DeleteCustomer(r.Context(), callerFrom(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "Deleted customer successfully", nil, nil)
	return nil
}

// customerAccounts is the customer's linked accounts in the item shape
// of GET /v2/accounts (Mono documents the operation, not its path).
func (s *Server) customerAccounts(w http.ResponseWriter, r *http.Request) error {
	list, err := s.app.CustomerAccounts(r.Context(), callerFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	items := make([]map[string]any, 0, len(list))
	for _, a := range list {
		items = append(items, accountItem(a))
	}
	s.writeV2(w, http.StatusOK, "Data retrieved successfully", items, nil)
	return nil
}

// customerTransactions is GET /v2/customers/{id}/transactions: one entry
// per linked account, each embedding that account's transactions answer
// with its own status, or the error that account gave (the shape client
// libraries read; Mono's page shows none). The query is the transactions
// endpoint's; period is read as the libraries send it and otherwise
// ignored, as the transactions endpoint has no such filter.
func (s *Server) customerTransactions(w http.ResponseWriter, r *http.Request) error {
	qv := r.URL.Query()
	qv.Del("period")
	q, err := app.ParseTxnQuery(qv)
	if err != nil {
		return err
	}
	q.Paginate = true
	c := callerFrom(r.Context())
	list, err := s.app.CustomerAccounts(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(list))
	for _, a := range list {
		entry := map[string]any{"account": a.ID, "account_name": a.Name, "bank": a.Institution.Name}
		p, err := s.app.Transactions(r.Context(), c, a.ID, q)
		if err != nil {
			entry["account_transaction_data"] = map[string]any{"errored": true, "error": kobo.ErrorMessage(err), "data": nil}
			out = append(out, entry)
			continue
		}
		b := []byte{'['}
		for i := range p.Transactions {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendTxn(b, &p.Transactions[i], txnIDKey(true))
		}
		b = append(b, ']')
		entry["account_transaction_data"] = map[string]any{"errored": false, "error": nil, "data": map[string]any{
			"status": "successful", "message": "Transaction retrieved successfully",
			"data": map[string]any{"transactions": json.RawMessage(b), "meta": s.listMeta(r, p.Page, max(p.Limit, 1), p.Total)}}}
		out = append(out, entry)
	}
	s.writeV2(w, http.StatusOK, "Data retrieved successfully", out, nil)
	return nil
}
