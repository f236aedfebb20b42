package app

import (
	"context"
	"net/mail"
	"strings"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Mono's /v2/customers: a partner's end users, created ahead of linking
// (docs.mono.co/docs/payments/direct-debit/integration-guide-create-customers)
// or by the connect flow, retrieved, listed, updated and deleted.

// CustomerInput is the body of a create or an update. The docs' field
// table spells the names firstName/lastName and its curl sample
// first_name/last_name: both are read.
type CustomerInput struct {
	Identity *struct {
		Type   string `json:"type"`
		Number string `json:"number"`
	} `json:"identity"`
	Email        *string `json:"email"`
	FirstName    *string `json:"first_name"`
	FirstNameC   *string `json:"firstName"`
	LastName     *string `json:"last_name"`
	LastNameC    *string `json:"lastName"`
	Address      *string `json:"address"`
	Phone        *string `json:"phone"`
	Type         *string `json:"type"` // individual (default) or business
	BusinessName *string `json:"business_name"`
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// CustomerName splits a stored name into Mono's first and last names:
// kobo keeps one sealed name and joins the two with a space.
func CustomerName(c *kobo.Customer) (first, last string) {
	first, last, _ = strings.Cut(c.Name, " ")
	return first, last
}

// checkIdentity validates a BVN identity.
func (in *CustomerInput) checkIdentity(v kobo.Invalid, required bool) {
	switch {
	case in.Identity == nil:
		if required {
			v.Add("identity", "is required: {type: \"bvn\", number}")
		}
	case strings.ToLower(in.Identity.Type) != "bvn":
		v.Add("identity.type", `must be "bvn"`)
	case len(in.Identity.Number) != 11 || strings.Trim(in.Identity.Number, "0123456789") != "":
		v.Add("identity.number", "must be the 11 digits of a BVN, without spaces")
	}
}

func checkEmail(v kobo.Invalid, email string) {
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		v.Add("email", "must be an email address")
	}
}

// CreateCustomer creates a customer of the caller's app in the key's mode.
func (s *Service) CreateCustomer(ctx context.Context, c *kobo.Caller, in *CustomerInput) (*kobo.Customer, error) {
	v := kobo.Invalid{}
	kind := strings.ToLower(deref(in.Type))
	if kind == "" {
		kind = "individual"
	}
	first, last := deref(in.FirstName), deref(in.LastName)
	if first == "" {
		first = deref(in.FirstNameC)
	}
	if last == "" {
		last = deref(in.LastNameC)
	}
	name := strings.TrimSpace(first + " " + last)
	switch kind {
	case "individual":
		if first == "" {
			v.Add("first_name", "is required")
		}
		if last == "" {
			v.Add("last_name", "is required")
		}
	case "business":
		// a business may give its name, or (Direct Debit) split it into
		// first and last names
		if b := deref(in.BusinessName); b != "" {
			name = b
		} else if name == "" {
			v.Add("business_name", "is required for a business customer")
		}
	default:
		v.Add("type", "must be individual or business")
	}
	email, phone, addr := deref(in.Email), deref(in.Phone), deref(in.Address)
	if email == "" {
		v.Add("email", "is required")
	} else {
		checkEmail(v, email)
	}
	if phone == "" {
		v.Add("phone", "is required")
	}
	switch {
	case addr == "":
		v.Add("address", "is required")
	case len(addr) > 100:
		v.Add("address", "must be at most 100 characters")
	}
	if len(name) > 200 {
		v.Add("first_name", "names must be at most 200 characters together")
	}
	in.checkIdentity(v, true)
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	cust := &kobo.Customer{ID: kobo.NewID(now), AppID: c.App.ID, Live: c.Mode.IsLive(), Name: name, Email: email, Phone: phone,
		IDType: "bvn", IDNumber: in.Identity.Number, Address: addr, Kind: kind, CreatedAt: now, UpdatedAt: now}
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		_, err := tx.CustomerByEmail(ctx, cust.AppID, cust.Live, email)
		switch kobo.ErrorCode(err) {
		case "":
			return &kobo.Error{Code: kobo.ECONFLICT, Message: "a customer with this email already exists", Fields: map[string]string{"email": "is taken"}}
		case kobo.ENOTFOUND:
			return tx.CreateCustomer(ctx, cust)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return cust, nil
}

// Customer returns a customer of the caller's app.
func (s *Service) Customer(ctx context.Context, c *kobo.Caller, id string) (*kobo.Customer, error) {
	var cust *kobo.Customer
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		cust, err = tx.Customer(ctx, id)
		return err
	})
	if err == nil && (cust.AppID != c.App.ID || cust.Live != c.Mode.IsLive()) {
		err = kobo.Errorf(kobo.ENOTFOUND, "customer not found")
	}
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "customer not found")
	}
	return cust, err
}

// Customers lists the app's customers, newest first.
func (s *Service) Customers(ctx context.Context, c *kobo.Caller, email string, limit, offset int) ([]*kobo.Customer, int, error) {
	var list []*kobo.Customer
	var total int
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		list, total, err = tx.ListCustomers(ctx, kobo.CustomerFilter{AppID: c.App.ID, Live: c.Mode.IsLive(), Email: email, Limit: limit, Offset: offset})
		return err
	})
	return list, total, err
}

// UpdateCustomer changes the fields the body gives: Mono's update takes
// the phone, the address and the identity; kobo also takes the email and
// the names.
func (s *Service) UpdateCustomer(ctx context.Context, c *kobo.Caller, id string, in *CustomerInput) error {
	cust, err := s.Customer(ctx, c, id)
	if err != nil {
		return err
	}
	v := kobo.Invalid{}
	if in.Email != nil {
		checkEmail(v, deref(in.Email))
		cust.Email = deref(in.Email)
	}
	if in.Phone != nil {
		if deref(in.Phone) == "" {
			v.Add("phone", "must not be empty")
		}
		cust.Phone = deref(in.Phone)
	}
	if in.Address != nil {
		if a := deref(in.Address); a == "" || len(a) > 100 {
			v.Add("address", "must be 1 to 100 characters")
		}
		cust.Address = deref(in.Address)
	}
	in.checkIdentity(v, false)
	if in.Identity != nil {
		cust.IDType, cust.IDNumber = "bvn", in.Identity.Number
	}
	first, last := CustomerName(cust)
	for _, p := range []struct {
		dst *string
		a   *string
		b   *string
	}{{&first, in.FirstName, in.FirstNameC}, {&last, in.LastName, in.LastNameC}} {
		switch {
		case p.a != nil:
			*p.dst = deref(p.a)
		case p.b != nil:
			*p.dst = deref(p.b)
		}
	}
	if cust.Kind == "business" && in.BusinessName != nil {
		cust.Name = deref(in.BusinessName)
	} else if in.FirstName != nil || in.FirstNameC != nil || in.LastName != nil || in.LastNameC != nil {
		cust.Name = strings.TrimSpace(first + " " + last)
	}
	if err := v.Err(); err != nil {
		return err
	}
	cust.UpdatedAt = s.now()
	return s.store.Update(ctx, func(tx kobo.Tx) error { return tx.UpdateCustomer(ctx, cust) })
}

// DeleteCustomer deletes a customer for good; its accounts stay linked
// and lose their customer.
func (s *Service) DeleteCustomer(ctx context.Context, c *kobo.Caller, id string) error {
	if _, err := s.Customer(ctx, c, id); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx kobo.Tx) error { return tx.DeleteCustomer(ctx, id) })
}

// CustomerAccounts lists a customer's linked accounts.
func (s *Service) CustomerAccounts(ctx context.Context, c *kobo.Caller, id string) ([]*kobo.Account, error) {
	if _, err := s.Customer(ctx, c, id); err != nil {
		return nil, err
	}
	var out []*kobo.Account
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		out, err = tx.AccountsByCustomer(ctx, id)
		return err
	})
	for _, a := range out {
		if in, err := s.Institution(ctx, a.InstitutionID); err == nil {
			a.Institution = *in
		}
	}
	return out, err
}
