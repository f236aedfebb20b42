package postgres

import (
	"context"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const instCols = `id, name, type, bank_code, nip_code, country, identifier, icon, primary_color, website, products, scopes, auth_methods, provider, updated_at, providers, aliases, popularity`

// authMethodJSON is the stored form of kobo.AuthMethod.
type authMethodJSON struct {
	ID   string      `json:"id"`
	Type string      `json:"type"`
	Name string      `json:"name"`
	UI   kobo.UIForm `json:"ui"`
	// Consent is the kind of consent step; absent for credential logins
	// (and for rows seeded before kinds existed)
	Consent string `json:"consent,omitempty"`
}

func scanInstitution(s scanner) (*kobo.Institution, error) {
	var in kobo.Institution
	var typ string
	var am []authMethodJSON
	if err := s.Scan(&in.ID, &in.Name, &typ, &in.BankCode, &in.NIPCode, &in.Country, &in.Identifier, &in.Icon,
		&in.PrimaryColor, &in.Website, &in.Products, &in.Scopes, &am, &in.Provider, &in.UpdatedAt, &in.Providers, &in.Aliases, &in.Popularity); err != nil {
		return nil, err
	}
	in.Type = kobo.InstitutionType(typ)
	in.UpdatedAt = in.UpdatedAt.UTC()
	if len(in.Providers) == 0 {
		in.Providers = nil // rows seeded before providers were listed
	}
	if len(in.Aliases) == 0 {
		in.Aliases = nil
	}
	for _, a := range am {
		in.AuthMethods = append(in.AuthMethods, kobo.AuthMethod{ID: a.ID, Type: a.Type, Name: a.Name, UI: a.UI, Consent: a.Consent})
	}
	return &in, nil
}

func (t *tx) UpsertInstitution(ctx context.Context, in *kobo.Institution) error {
	am := make([]authMethodJSON, len(in.AuthMethods))
	for i, a := range in.AuthMethods {
		am[i] = authMethodJSON{ID: a.ID, Type: a.Type, Name: a.Name, UI: a.UI, Consent: a.Consent}
	}
	_, err := t.exec(ctx, `INSERT INTO institutions (`+instCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, type = excluded.type, bank_code = excluded.bank_code,
		nip_code = excluded.nip_code, country = excluded.country, identifier = excluded.identifier, icon = excluded.icon,
		primary_color = excluded.primary_color, website = excluded.website, products = excluded.products,
		scopes = excluded.scopes, auth_methods = excluded.auth_methods, provider = excluded.provider,
		updated_at = excluded.updated_at, providers = excluded.providers, aliases = excluded.aliases, popularity = excluded.popularity`,
		in.ID, in.Name, string(in.Type), in.BankCode, in.NIPCode, in.Country, in.Identifier, in.Icon, in.PrimaryColor,
		in.Website, nonNil(in.Products), nonNil(in.Scopes), am, in.Provider, utc(in.UpdatedAt), nonNil(in.Providers), nonNil(in.Aliases), in.Popularity)
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (t *tx) Institution(ctx context.Context, id string) (*kobo.Institution, error) {
	return one(ctx, t, "institution", scanInstitution, `SELECT `+instCols+` FROM institutions WHERE id = $1`, id)
}

func (t *tx) Institutions(ctx context.Context) ([]*kobo.Institution, error) {
	return many(ctx, t, scanInstitution, `SELECT `+instCols+` FROM institutions ORDER BY name, type`)
}
