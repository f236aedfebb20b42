package httpapi

import (
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
