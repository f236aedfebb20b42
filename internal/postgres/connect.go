package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const sessionCols = `id, app_id, live, institution_id, auth_method, scope, state, customer_id, customer_name, customer_email,
	reference, account_id, form, challenge, bank_session, accounts, attempts, failure, code_hash, code_expires_at, busy_until,
	expires_at, created_at, updated_at, via_link`

func scanSession(s scanner) (*kobo.ConnectSession, error) {
	var cs kobo.ConnectSession
	var state, challenge, bankSession, accounts string
	var codeHash *string
	if err := s.Scan(&cs.ID, &cs.AppID, &cs.Live, &cs.InstitutionID, &cs.AuthMethod, &cs.Scope, &state, &cs.CustomerID, &cs.CustomerName,
		&cs.CustomerEmail, &cs.Reference, &cs.AccountID, &cs.Form, &challenge, &bankSession, &accounts, &cs.Attempts, &cs.Failure,
		&codeHash, &cs.CodeExpiresAt, &cs.BusyUntil, &cs.ExpiresAt, &cs.CreatedAt, &cs.UpdatedAt, &cs.ViaLink); err != nil {
		return nil, err
	}
	cs.State = kobo.SessionState(state)
	cs.Challenge, cs.BankSession, cs.Accounts = kobo.Sealed(challenge), kobo.Sealed(bankSession), kobo.Sealed(accounts)
	if codeHash != nil {
		cs.CodeHash = *codeHash
	}
	cs.CodeExpiresAt, cs.BusyUntil = fromPtr(cs.CodeExpiresAt), fromPtr(cs.BusyUntil)
	cs.ExpiresAt, cs.CreatedAt, cs.UpdatedAt = cs.ExpiresAt.UTC(), cs.CreatedAt.UTC(), cs.UpdatedAt.UTC()
	return &cs, nil
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (t *tx) CreateConnectSession(ctx context.Context, cs *kobo.ConnectSession) error {
	_, err := t.exec(ctx, `INSERT INTO connect_sessions (`+sessionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)`,
		cs.ID, cs.AppID, cs.Live, cs.InstitutionID, cs.AuthMethod, cs.Scope, string(cs.State), cs.CustomerID, cs.CustomerName,
		cs.CustomerEmail, cs.Reference, cs.AccountID, cs.Form, string(cs.Challenge), string(cs.BankSession), string(cs.Accounts),
		cs.Attempts, cs.Failure, nullString(cs.CodeHash), utcPtr(cs.CodeExpiresAt), utcPtr(cs.BusyUntil), utc(cs.ExpiresAt), utc(cs.CreatedAt), utc(cs.UpdatedAt), cs.ViaLink)
	return err
}

func (t *tx) ConnectSession(ctx context.Context, id string) (*kobo.ConnectSession, error) {
	return one(ctx, t, "session", scanSession, `SELECT `+sessionCols+` FROM connect_sessions WHERE id = $1`, id)
}

func (t *tx) ConnectSessionByCode(ctx context.Context, codeHash string) (*kobo.ConnectSession, error) {
	return one(ctx, t, "code", scanSession, `SELECT `+sessionCols+` FROM connect_sessions WHERE code_hash = $1`, codeHash)
}

func (t *tx) UpdateConnectSession(ctx context.Context, cs *kobo.ConnectSession) error {
	return t.execOne(ctx, "session", `UPDATE connect_sessions SET state = $1, customer_id = $2, account_id = $3, form = $4, challenge = $5,
		bank_session = $6, accounts = $7, attempts = $8, failure = $9, code_hash = $10, code_expires_at = $11, busy_until = NULL, updated_at = $12
		WHERE id = $13`,
		string(cs.State), cs.CustomerID, cs.AccountID, cs.Form, string(cs.Challenge), string(cs.BankSession), string(cs.Accounts),
		cs.Attempts, cs.Failure, nullString(cs.CodeHash), utcPtr(cs.CodeExpiresAt), utc(cs.UpdatedAt), cs.ID)
}

func (t *tx) ClaimConnectSession(ctx context.Context, id string, now, until time.Time) error {
	tag, err := t.exec(ctx, `UPDATE connect_sessions SET busy_until = $1 WHERE id = $2 AND (busy_until IS NULL OR busy_until <= $3)`, utc(until), id, utc(now))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		if _, err := t.ConnectSession(ctx, id); err != nil {
			return err
		}
		return kobo.Errorf(kobo.ECONFLICT, "another request is already in progress for this session; wait for it to finish")
	}
	return nil
}

const customerCols = `id, app_id, live, name, email, phone, id_type, id_number, created_at, updated_at, address, kind`

func scanCustomer(s scanner) (*kobo.Customer, error) {
	var c kobo.Customer
	if err := s.Scan(&c.ID, &c.AppID, &c.Live, &c.Name, &c.Email, &c.Phone, &c.IDType, &c.IDNumber, &c.CreatedAt, &c.UpdatedAt, &c.Address, &c.Kind); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return &c, nil
}

func (t *tx) CreateCustomer(ctx context.Context, c *kobo.Customer) error {
	_, err := t.exec(ctx, `INSERT INTO customers (`+customerCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.ID, c.AppID, c.Live, c.Name, strings.ToLower(c.Email), c.Phone, c.IDType, c.IDNumber, utc(c.CreatedAt), utc(c.UpdatedAt), c.Address, customerKind(c))
	return err
}

func (t *tx) Customer(ctx context.Context, id string) (*kobo.Customer, error) {
	return one(ctx, t, "customer", scanCustomer, `SELECT `+customerCols+` FROM customers WHERE id = $1`, id)
}

func (t *tx) CustomerByEmail(ctx context.Context, appID string, live bool, email string) (*kobo.Customer, error) {
	return one(ctx, t, "customer", scanCustomer, `SELECT `+customerCols+` FROM customers WHERE app_id = $1 AND live = $2 AND email = $3 ORDER BY created_at LIMIT 1`,
		appID, live, strings.ToLower(email))
}

// customerKind is a customer's kind, individual unless said otherwise.
func customerKind(c *kobo.Customer) string {
	if c.Kind == "" {
		return "individual"
	}
	return c.Kind
}
