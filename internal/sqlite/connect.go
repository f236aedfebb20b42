package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

const sessionCols = `id, app_id, live, institution_id, auth_method, scope, state, customer_id, customer_name, customer_email,
	reference, account_id, form, challenge, bank_session, accounts, attempts, failure, code_hash, code_expires_at, busy_until,
	expires_at, created_at, updated_at, via_link`

func scanSession(s scanner) (*kobo.ConnectSession, error) {
	var cs kobo.ConnectSession
	var live, viaLink int
	var state, form, challenge, bankSession, accounts string
	var codeHash sql.NullString
	var codeExp, busy sql.NullInt64
	var expires, created, updated int64
	if err := s.Scan(&cs.ID, &cs.AppID, &live, &cs.InstitutionID, &cs.AuthMethod, &cs.Scope, &state, &cs.CustomerID, &cs.CustomerName,
		&cs.CustomerEmail, &cs.Reference, &cs.AccountID, &form, &challenge, &bankSession, &accounts, &cs.Attempts, &cs.Failure,
		&codeHash, &codeExp, &busy, &expires, &created, &updated, &viaLink); err != nil {
		return nil, err
	}
	cs.Live, cs.ViaLink = live != 0, viaLink != 0
	cs.State = kobo.SessionState(state)
	if err := json.Unmarshal([]byte(form), &cs.Form); err != nil {
		return nil, err
	}
	cs.Challenge, cs.BankSession, cs.Accounts = kobo.Sealed(challenge), kobo.Sealed(bankSession), kobo.Sealed(accounts)
	cs.CodeHash = codeHash.String
	cs.CodeExpiresAt, cs.BusyUntil = fromNullTS(codeExp), fromNullTS(busy)
	cs.ExpiresAt, cs.CreatedAt, cs.UpdatedAt = fromTS(expires), fromTS(created), fromTS(updated)
	return &cs, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (t *tx) CreateConnectSession(ctx context.Context, cs *kobo.ConnectSession) error {
	form, err := json.Marshal(cs.Form)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO connect_sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		cs.ID, cs.AppID, boolInt(cs.Live), cs.InstitutionID, cs.AuthMethod, cs.Scope, string(cs.State), cs.CustomerID, cs.CustomerName,
		cs.CustomerEmail, cs.Reference, cs.AccountID, string(form), string(cs.Challenge), string(cs.BankSession), string(cs.Accounts),
		cs.Attempts, cs.Failure, nullString(cs.CodeHash), tsPtr(cs.CodeExpiresAt), tsPtr(cs.BusyUntil), ts(cs.ExpiresAt), ts(cs.CreatedAt), ts(cs.UpdatedAt), boolInt(cs.ViaLink))
	return err
}

func (t *tx) ConnectSession(ctx context.Context, id string) (*kobo.ConnectSession, error) {
	return one(ctx, t, "session", scanSession, `SELECT `+sessionCols+` FROM connect_sessions WHERE id = ?`, id)
}

func (t *tx) ConnectSessionByCode(ctx context.Context, codeHash string) (*kobo.ConnectSession, error) {
	return one(ctx, t, "code", scanSession, `SELECT `+sessionCols+` FROM connect_sessions WHERE code_hash = ?`, codeHash)
}

func (t *tx) UpdateConnectSession(ctx context.Context, cs *kobo.ConnectSession) error {
	form, err := json.Marshal(cs.Form)
	if err != nil {
		return err
	}
	return t.execOne(ctx, "session", `UPDATE connect_sessions SET state = ?, customer_id = ?, account_id = ?, form = ?, challenge = ?,
		bank_session = ?, accounts = ?, attempts = ?, failure = ?, code_hash = ?, code_expires_at = ?, busy_until = NULL, updated_at = ?
		WHERE id = ?`,
		string(cs.State), cs.CustomerID, cs.AccountID, string(form), string(cs.Challenge), string(cs.BankSession), string(cs.Accounts),
		cs.Attempts, cs.Failure, nullString(cs.CodeHash), tsPtr(cs.CodeExpiresAt), ts(cs.UpdatedAt), cs.ID)
}

func (t *tx) ClaimConnectSession(ctx context.Context, id string, now, until time.Time) error {
	res, err := t.exec(ctx, `UPDATE connect_sessions SET busy_until = ? WHERE id = ? AND (busy_until IS NULL OR busy_until <= ?)`, ts(until), id, ts(now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
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
	var live int
	var created, updated int64
	if err := s.Scan(&c.ID, &c.AppID, &live, &c.Name, &c.Email, &c.Phone, &c.IDType, &c.IDNumber, &created, &updated, &c.Address, &c.Kind); err != nil {
		return nil, err
	}
	c.Live = live != 0
	c.CreatedAt, c.UpdatedAt = fromTS(created), fromTS(updated)
	return &c, nil
}

func (t *tx) CreateCustomer(ctx context.Context, c *kobo.Customer) error {
	_, err := t.exec(ctx, `INSERT INTO customers (`+customerCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.AppID, boolInt(c.Live), c.Name, strings.ToLower(c.Email), c.Phone, c.IDType, c.IDNumber, ts(c.CreatedAt), ts(c.UpdatedAt), c.Address, customerKind(c))
	return err
}

func (t *tx) Customer(ctx context.Context, id string) (*kobo.Customer, error) {
	return one(ctx, t, "customer", scanCustomer, `SELECT `+customerCols+` FROM customers WHERE id = ?`, id)
}

func (t *tx) CustomerByEmail(ctx context.Context, appID string, live bool, email string) (*kobo.Customer, error) {
	return one(ctx, t, "customer", scanCustomer, `SELECT `+customerCols+` FROM customers WHERE app_id = ? AND live = ? AND email = ? ORDER BY created_at LIMIT 1`,
		appID, boolInt(live), strings.ToLower(email))
}

// customerKind is a customer's kind, individual unless said otherwise.
func customerKind(c *kobo.Customer) string {
	if c.Kind == "" {
		return "individual"
	}
	return c.Kind
}
