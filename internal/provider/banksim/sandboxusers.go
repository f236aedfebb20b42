package banksim

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"

	"github.com/kobo-oss/kobo/internal/kobo"
)

var _ kobo.SandboxUserAdmin = (*Connector)(nil)

// TenantUsers implements kobo.SandboxUserAdmin.
func (x *Connector) TenantUsers(ctx context.Context, tenant string, inst kobo.Institution, authMethod string) ([]kobo.SandboxUser, error) {
	q := url.Values{"institution": {inst.ID}, "auth_method": {authMethod}, "tenant": {tenant}}
	body, err := x.call(ctx, inst.ID, "GET", "/admin/users?"+q.Encode(), "", nil)
	if err != nil {
		return nil, err
	}
	var res struct {
		Data []kobo.SandboxUser `json:"data"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, invalid(err)
	}
	return res.Data, nil
}

// CreateUser implements kobo.SandboxUserAdmin.
func (x *Connector) CreateUser(ctx context.Context, tenant string, u *kobo.SandboxUserSpec) error {
	body, err := x.call(ctx, "admin", "POST", "/admin/tenants/"+url.PathEscape(tenant)+"/users", "", u)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, u); err != nil {
		return invalid(err)
	}
	return nil
}

// ListUsers implements kobo.SandboxUserAdmin.
func (x *Connector) ListUsers(ctx context.Context, tenant string) ([]*kobo.SandboxUserSpec, error) {
	body, err := x.call(ctx, "admin", "GET", "/admin/tenants/"+url.PathEscape(tenant)+"/users", "", nil)
	if err != nil {
		return nil, err
	}
	var res struct {
		Data []*kobo.SandboxUserSpec `json:"data"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, invalid(err)
	}
	return res.Data, nil
}

// DeleteUser implements kobo.SandboxUserAdmin.
func (x *Connector) DeleteUser(ctx context.Context, tenant, username string) error {
	_, err := x.call(ctx, "admin", "DELETE", "/admin/tenants/"+url.PathEscape(tenant)+"/users/"+url.PathEscape(username), "", nil)
	var be *kobo.BankError
	if errors.As(err, &be) && be.Kind == kobo.BankNotFound {
		return kobo.Errorf(kobo.ENOTFOUND, "no sandbox user named %s", username)
	}
	return err
}
