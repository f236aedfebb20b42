package app

import (
	"context"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Partner-defined sandbox users (POST /v2/sandbox/users): an app describes
// a test user — accounts, identity, second factors, faults, generated or
// exact transactions — and the sandbox bank serves it to that app's
// sessions only. The bank keeps them in its State, which kobo serve keeps
// in the database, so every replica sees them and they outlive restarts.

// sandboxAdmin is the sandbox bank's user store, for a test key.
func (s *Service) sandboxAdmin(c *kobo.Caller) (kobo.SandboxUserAdmin, error) {
	if c.Mode.IsLive() {
		return nil, kobo.Errorf(kobo.EFORBIDDEN, "sandbox users need a test key (test_sk_…); a live key reaches real banks only")
	}
	adm, ok := s.sandbox.(kobo.SandboxUserAdmin)
	if s.sandbox == nil || !ok {
		return nil, kobo.Errorf(kobo.EUNAVAILABLE, "no sandbox bank that keeps custom users is configured")
	}
	return adm, nil
}

// CreateSandboxUser validates and stores a sandbox user for the caller's app.
func (s *Service) CreateSandboxUser(ctx context.Context, c *kobo.Caller, u *kobo.SandboxUserSpec) (*kobo.SandboxUserSpec, error) {
	adm, err := s.sandboxAdmin(c)
	if err != nil {
		return nil, err
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	have, err := adm.ListUsers(ctx, c.App.ID)
	if err != nil {
		return nil, err
	}
	if len(have) >= kobo.SandboxMaxUsers {
		return nil, kobo.Errorf(kobo.ECONFLICT, "an app keeps at most %d sandbox users; delete some first", kobo.SandboxMaxUsers)
	}
	for _, h := range have {
		if h.Username == u.Username {
			return nil, &kobo.Error{Code: kobo.ECONFLICT, Message: "a sandbox user named " + u.Username + " already exists; delete it first to define it again",
				Fields: map[string]string{"username": "is taken"}}
		}
	}
	u.CreatedAt = nil
	if err := adm.CreateUser(ctx, c.App.ID, u); err != nil {
		return nil, err
	}
	return u, nil
}

// SandboxUserList lists the caller's app's own sandbox users.
func (s *Service) SandboxUserList(ctx context.Context, c *kobo.Caller) ([]*kobo.SandboxUserSpec, error) {
	adm, err := s.sandboxAdmin(c)
	if err != nil {
		return nil, err
	}
	return adm.ListUsers(ctx, c.App.ID)
}

// DeleteSandboxUser removes one of the app's sandbox users. Accounts
// already linked with it keep the data they fetched; their next sync
// finds no such user and asks for re-authorisation.
func (s *Service) DeleteSandboxUser(ctx context.Context, c *kobo.Caller, username string) error {
	adm, err := s.sandboxAdmin(c)
	if err != nil {
		return err
	}
	return adm.DeleteUser(ctx, c.App.ID, username)
}

// sandboxUsersFor lists the test users an app's session may log in as at
// an institution: the shared ones and the app's own.
func (s *Service) sandboxUsersFor(ctx context.Context, appID string, inst kobo.Institution, authMethod string) ([]kobo.SandboxUser, error) {
	if adm, ok := s.sandbox.(kobo.SandboxUserAdmin); ok && appID != "" {
		return adm.TenantUsers(ctx, appID, inst, authMethod)
	}
	return s.sandbox.Users(ctx, inst, authMethod)
}
