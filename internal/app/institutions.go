package app

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// SeedInstitutions writes the catalog the providers serve into the
// database, in one transaction, replacing entries with the same id. It
// runs at every start, so a new kobo version's catalog reaches the
// database without a migration.
func (s *Service) SeedInstitutions(ctx context.Context, list []kobo.Institution) error {
	now := s.now()
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		for i := range list {
			in := list[i]
			in.UpdatedAt = now
			if len(in.Providers) == 0 && in.Provider != "" {
				// a catalog that names one connector lists it as the only one
				in.Providers = []string{in.Provider}
			} else if len(in.Providers) > 0 && in.Provider == "" {
				in.Provider = in.Providers[0]
			}
			if err := tx.UpsertInstitution(ctx, &in); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.catalog.invalidate()
	}
	return err
}

// catalogTTL bounds how stale another replica's seeding can look here.
const catalogTTL = time.Minute

// catalogCache keeps the whole catalog in memory: it is small (tens of
// rows), read on every institutions request and on every connect session,
// and changes only when a new version seeds it.
type catalogCache struct {
	mu      sync.Mutex
	list    []*kobo.Institution
	version int64
	loaded  time.Time
}

func (c *catalogCache) invalidate() {
	c.mu.Lock()
	c.loaded = time.Time{}
	c.mu.Unlock()
}

// Catalog is a snapshot of the institutions catalog. Version changes
// whenever the snapshot is reloaded, so callers may cache what they derive
// from it (encoded responses) keyed by Version.
type Catalog struct {
	Version int64
	All     []*kobo.Institution
}

// Catalog returns the current catalog snapshot.
func (s *Service) Catalog(ctx context.Context) (Catalog, error) {
	c := s.catalog
	c.mu.Lock()
	defer c.mu.Unlock()
	now := s.clock.Now()
	if c.list != nil && now.Sub(c.loaded) < catalogTTL && !c.loaded.IsZero() {
		return Catalog{Version: c.version, All: c.list}, nil
	}
	var list []*kobo.Institution
	if err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		list, err = tx.Institutions(ctx)
		return err
	}); err != nil {
		return Catalog{}, err
	}
	c.list, c.loaded = list, now
	c.version++
	return Catalog{Version: c.version, All: list}, nil
}

// Known filter values, for clear 400s on typos.
var (
	knownScopes      = []string{"financial_data", "payments"}
	knownAuthMethods = []string{kobo.InternetBanking, kobo.MobileBanking}
)

// ValidateInstitutionFilter checks filter values a caller sent.
func ValidateInstitutionFilter(f kobo.InstitutionFilter) error {
	v := kobo.Invalid{}
	if f.Scope != "" && !slices.Contains(knownScopes, f.Scope) {
		v.Add("scope", "must be one of "+strings.Join(knownScopes, ", "))
	}
	if f.AuthMethod != "" && !slices.Contains(knownAuthMethods, f.AuthMethod) {
		v.Add("auth_method", "must be one of "+strings.Join(knownAuthMethods, ", "))
	}
	if f.Country != "" && (len(f.Country) != 2 || strings.ToLower(f.Country) != strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r | 0x20
		}
		return -1
	}, f.Country)) {
		v.Add("country", "must be a two-letter country code such as ng")
	}
	if f.BankCode != "" && (len(f.BankCode) > 6 || strings.Trim(f.BankCode, "0123456789") != "") {
		v.Add("bank_code", "must be a CBN or NIP bank code of up to 6 digits, such as 058")
	}
	if f.Type != "" && f.Type != kobo.PersonalBanking && f.Type != kobo.BusinessBanking {
		v.Add("type", "must be PERSONAL_BANKING or BUSINESS_BANKING")
	}
	return v.Err()
}

// FilterInstitutions applies f to a catalog snapshot in memory.
func FilterInstitutions(all []*kobo.Institution, f kobo.InstitutionFilter) []*kobo.Institution {
	out := make([]*kobo.Institution, 0, len(all))
	for _, in := range all {
		if f.Country != "" && !strings.EqualFold(in.Country, f.Country) {
			continue
		}
		if f.BankCode != "" && in.BankCode != f.BankCode && in.NIPCode != f.BankCode {
			continue
		}
		if f.Type != "" && in.Type != f.Type {
			continue
		}
		if f.Scope != "" && !slices.Contains(in.Scopes, f.Scope) {
			continue
		}
		if f.AuthMethod != "" {
			if _, ok := in.AuthMethod(f.AuthMethod); !ok {
				continue
			}
		}
		out = append(out, in)
	}
	return out
}

// Institution returns one catalog entry. Errors: ENOTFOUND.
func (s *Service) Institution(ctx context.Context, id string) (*kobo.Institution, error) {
	cat, err := s.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	for _, in := range cat.All {
		if in.ID == id {
			return in, nil
		}
	}
	return nil, kobo.Errorf(kobo.ENOTFOUND, "institution %q not found; list institutions with GET /v1/institutions", id)
}
