package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

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
	var typ, products, scopes, auths, providers, aliases string
	var updated int64
	if err := s.Scan(&in.ID, &in.Name, &typ, &in.BankCode, &in.NIPCode, &in.Country, &in.Identifier, &in.Icon,
		&in.PrimaryColor, &in.Website, &products, &scopes, &auths, &in.Provider, &updated, &providers, &aliases, &in.Popularity); err != nil {
		return nil, err
	}
	in.Type = kobo.InstitutionType(typ)
	in.UpdatedAt = fromTS(updated)
	var am []authMethodJSON
	if err := json.Unmarshal([]byte(products), &in.Products); err != nil {
		return nil, fmt.Errorf("institution %s products: %w", in.ID, err)
	}
	if err := json.Unmarshal([]byte(scopes), &in.Scopes); err != nil {
		return nil, fmt.Errorf("institution %s scopes: %w", in.ID, err)
	}
	if err := json.Unmarshal([]byte(auths), &am); err != nil {
		return nil, fmt.Errorf("institution %s auth methods: %w", in.ID, err)
	}
	if err := json.Unmarshal([]byte(providers), &in.Providers); err != nil {
		return nil, fmt.Errorf("institution %s providers: %w", in.ID, err)
	}
	if err := json.Unmarshal([]byte(aliases), &in.Aliases); err != nil {
		return nil, fmt.Errorf("institution %s aliases: %w", in.ID, err)
	}
	if len(in.Aliases) == 0 {
		in.Aliases = nil
	}
	if len(in.Providers) == 0 {
		in.Providers = nil // rows seeded before providers were listed
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
	products, _ := json.Marshal(nonNil(in.Products))
	scopes, _ := json.Marshal(nonNil(in.Scopes))
	providers, _ := json.Marshal(nonNil(in.Providers))
	aliases, _ := json.Marshal(nonNil(in.Aliases))
	auths, err := json.Marshal(am)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO institutions (`+instCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, type = excluded.type, bank_code = excluded.bank_code,
		nip_code = excluded.nip_code, country = excluded.country, identifier = excluded.identifier, icon = excluded.icon,
		primary_color = excluded.primary_color, website = excluded.website, products = excluded.products,
		scopes = excluded.scopes, auth_methods = excluded.auth_methods, provider = excluded.provider,
		updated_at = excluded.updated_at, providers = excluded.providers, aliases = excluded.aliases, popularity = excluded.popularity`,
		in.ID, in.Name, string(in.Type), in.BankCode, in.NIPCode, in.Country, in.Identifier, in.Icon, in.PrimaryColor,
		in.Website, string(products), string(scopes), string(auths), in.Provider, ts(in.UpdatedAt), string(providers), string(aliases), in.Popularity)
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (t *tx) Institution(ctx context.Context, id string) (*kobo.Institution, error) {
	return one(ctx, t, "institution", scanInstitution, `SELECT `+instCols+` FROM institutions WHERE id = ?`, id)
}

func (t *tx) Institutions(ctx context.Context) ([]*kobo.Institution, error) {
	return many(ctx, t, scanInstitution, `SELECT `+instCols+` FROM institutions ORDER BY name, type`)
}
