package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// ---- flashes -------------------------------------------------------------

func (t *tx) PutFlash(ctx context.Context, f *kobo.Flash) error {
	_, err := t.exec(ctx, `INSERT INTO dashboard_flashes (id, partner_id, kind, message, payload, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.PartnerID, f.Kind, f.Message, string(f.Payload), ts(f.CreatedAt), ts(f.ExpiresAt))
	return err
}

func (t *tx) TakeFlash(ctx context.Context, id, partnerID string, now time.Time) (*kobo.Flash, error) {
	if _, err := t.exec(ctx, `DELETE FROM dashboard_flashes WHERE expires_at <= ?`, ts(now)); err != nil {
		return nil, err
	}
	return one(ctx, t, "flash", func(s scanner) (*kobo.Flash, error) {
		var f kobo.Flash
		var payload string
		var created, expires int64
		if err := s.Scan(&f.ID, &f.PartnerID, &f.Kind, &f.Message, &payload, &created, &expires); err != nil {
			return nil, err
		}
		f.Payload, f.CreatedAt, f.ExpiresAt = []byte(payload), fromTS(created), fromTS(expires)
		return &f, nil
	}, `DELETE FROM dashboard_flashes WHERE id = ? AND partner_id = ? RETURNING id, partner_id, kind, message, payload, created_at, expires_at`, id, partnerID)
}

// ---- key expiry ----------------------------------------------------------

func (t *tx) ExpireAPIKeys(ctx context.Context, appID string, mode kobo.Mode, kind kobo.KeyKind, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE api_keys SET expires_at = min(coalesce(expires_at, ?), ?)
		WHERE app_id = ? AND mode = ? AND kind = ? AND revoked_at IS NULL`, ts(at), ts(at), appID, string(mode), string(kind))
	return err
}

func (t *tx) RevokeAPIKeysOfKind(ctx context.Context, appID string, mode kobo.Mode, kind kobo.KeyKind, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE api_keys SET revoked_at = ? WHERE app_id = ? AND mode = ? AND kind = ? AND revoked_at IS NULL`,
		ts(at), appID, string(mode), string(kind))
	return err
}

func (t *tx) APIKeyExpiries(ctx context.Context, appID string) (map[string]time.Time, error) {
	type row struct {
		id string
		at time.Time
	}
	rows, err := many(ctx, t, func(s scanner) (row, error) {
		var r row
		var at int64
		err := s.Scan(&r.id, &at)
		r.at = fromTS(at)
		return r, err
	}, `SELECT id, expires_at FROM api_keys WHERE app_id = ? AND revoked_at IS NULL AND expires_at IS NOT NULL`, appID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(rows))
	for _, r := range rows {
		out[r.id] = r.at
	}
	return out, nil
}

// ---- teams ---------------------------------------------------------------

const memberCols = `m.org_id, m.member_id, m.role, p.email, p.name, o.name, m.created_at`
const memberJoin = ` FROM team_members m JOIN partners p ON p.id = m.member_id JOIN partners o ON o.id = m.org_id`

func scanMember(s scanner) (*kobo.TeamMember, error) {
	var m kobo.TeamMember
	var role string
	var created int64
	if err := s.Scan(&m.OrgID, &m.MemberID, &role, &m.Email, &m.Name, &m.OrgName, &created); err != nil {
		return nil, err
	}
	m.Role, m.CreatedAt = kobo.Role(role), fromTS(created)
	return &m, nil
}

func (t *tx) PutTeamMember(ctx context.Context, m *kobo.TeamMember) error {
	_, err := t.exec(ctx, `INSERT INTO team_members (org_id, member_id, role, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (org_id, member_id) DO UPDATE SET role = excluded.role`, m.OrgID, m.MemberID, string(m.Role), ts(m.CreatedAt))
	return err
}

func (t *tx) TeamMember(ctx context.Context, orgID, memberID string) (*kobo.TeamMember, error) {
	return one(ctx, t, "team member", scanMember, `SELECT `+memberCols+memberJoin+` WHERE m.org_id = ? AND m.member_id = ?`, orgID, memberID)
}

func (t *tx) TeamMembers(ctx context.Context, orgID string) ([]*kobo.TeamMember, error) {
	return many(ctx, t, scanMember, `SELECT `+memberCols+memberJoin+` WHERE m.org_id = ? ORDER BY m.created_at, m.member_id`, orgID)
}

func (t *tx) MemberOrgs(ctx context.Context, memberID string) ([]*kobo.TeamMember, error) {
	return many(ctx, t, scanMember, `SELECT `+memberCols+memberJoin+` WHERE m.member_id = ? ORDER BY m.created_at, m.org_id`, memberID)
}

func (t *tx) DeleteTeamMember(ctx context.Context, orgID, memberID string) error {
	return t.execOne(ctx, "team member", `DELETE FROM team_members WHERE org_id = ? AND member_id = ?`, orgID, memberID)
}

const inviteCols = `id, org_id, email, role, token_hash, invited_by, created_at, expires_at, accepted_at`

func scanInvite(s scanner) (*kobo.TeamInvite, error) {
	var i kobo.TeamInvite
	var role string
	var created, expires int64
	var accepted sql.NullInt64
	if err := s.Scan(&i.ID, &i.OrgID, &i.Email, &role, &i.TokenHash, &i.InvitedBy, &created, &expires, &accepted); err != nil {
		return nil, err
	}
	i.Role, i.CreatedAt, i.ExpiresAt, i.AcceptedAt = kobo.Role(role), fromTS(created), fromTS(expires), fromNullTS(accepted)
	return &i, nil
}

func (t *tx) CreateTeamInvite(ctx context.Context, i *kobo.TeamInvite) error {
	_, err := t.exec(ctx, `INSERT INTO team_invites (`+inviteCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		i.ID, i.OrgID, i.Email, string(i.Role), i.TokenHash, i.InvitedBy, ts(i.CreatedAt), ts(i.ExpiresAt), tsPtr(i.AcceptedAt))
	return err
}

func (t *tx) TeamInviteByToken(ctx context.Context, tokenHash string) (*kobo.TeamInvite, error) {
	return one(ctx, t, "invitation", scanInvite, `SELECT `+inviteCols+` FROM team_invites WHERE token_hash = ?`, tokenHash)
}

func (t *tx) PendingTeamInvites(ctx context.Context, orgID string, now time.Time) ([]*kobo.TeamInvite, error) {
	return many(ctx, t, scanInvite, `SELECT `+inviteCols+` FROM team_invites WHERE org_id = ? AND accepted_at IS NULL AND expires_at > ? ORDER BY created_at, id`, orgID, ts(now))
}

func (t *tx) AcceptTeamInvite(ctx context.Context, id string, at time.Time) error {
	return t.execOne(ctx, "invitation", `UPDATE team_invites SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL`, ts(at), id)
}

func (t *tx) DeleteTeamInvite(ctx context.Context, orgID, id string) error {
	return t.execOne(ctx, "invitation", `DELETE FROM team_invites WHERE org_id = ? AND id = ? AND accepted_at IS NULL`, orgID, id)
}

// ---- audit log -----------------------------------------------------------

const auditCols = `id, org_id, app_id, actor_id, actor_email, action, target, detail, source, created_at`

func (t *tx) AppendAudit(ctx context.Context, e *kobo.AuditEntry) error {
	_, err := t.exec(ctx, `INSERT INTO audit_log (`+auditCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.OrgID, e.AppID, e.ActorID, e.ActorEmail, e.Action, e.Target, e.Detail, e.Source, ts(e.CreatedAt))
	return err
}

func (t *tx) AuditEntries(ctx context.Context, f kobo.AuditFilter) ([]*kobo.AuditEntry, error) {
	var b strings.Builder
	b.WriteString(`SELECT ` + auditCols + ` FROM audit_log WHERE org_id = ?`)
	args := []any{f.OrgID}
	if f.AppID != "" {
		b.WriteString(` AND app_id = ?`)
		args = append(args, f.AppID)
	}
	if f.ActorID != "" {
		b.WriteString(` AND actor_id = ?`)
		args = append(args, f.ActorID)
	}
	if strings.HasSuffix(f.Action, ".") {
		b.WriteString(` AND substr(action, 1, ?) = ?`)
		args = append(args, len(f.Action), f.Action)
	} else if f.Action != "" {
		b.WriteString(` AND action = ?`)
		args = append(args, f.Action)
	}
	if f.Since != nil {
		b.WriteString(` AND created_at >= ?`)
		args = append(args, ts(*f.Since))
	}
	if f.Before != nil {
		b.WriteString(` AND created_at < ?`)
		args = append(args, ts(*f.Before))
	}
	b.WriteString(` ORDER BY created_at DESC, id DESC`)
	if f.Limit > 0 {
		b.WriteString(` LIMIT (? + 0)`) // opaque to the planner (texts.go)
		args = append(args, f.Limit)
	}
	return many(ctx, t, func(s scanner) (*kobo.AuditEntry, error) {
		var e kobo.AuditEntry
		var created int64
		if err := s.Scan(&e.ID, &e.OrgID, &e.AppID, &e.ActorID, &e.ActorEmail, &e.Action, &e.Target, &e.Detail, &e.Source, &created); err != nil {
			return nil, err
		}
		e.CreatedAt = fromTS(created)
		return &e, nil
	}, b.String(), args...)
}

// ---- live webhook URL ----------------------------------------------------

func (t *tx) LiveWebhookURL(ctx context.Context, appID string) (string, error) {
	u, err := one(ctx, t, "live webhook", func(s scanner) (string, error) {
		var u string
		return u, s.Scan(&u)
	}, `SELECT url FROM app_live_webhooks WHERE app_id = ?`, appID)
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return "", nil
	}
	return u, err
}

func (t *tx) SetLiveWebhookURL(ctx context.Context, appID, url string, at time.Time) error {
	if url == "" {
		_, err := t.exec(ctx, `DELETE FROM app_live_webhooks WHERE app_id = ?`, appID)
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO app_live_webhooks (app_id, url, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (app_id) DO UPDATE SET url = excluded.url, updated_at = excluded.updated_at`, appID, url, ts(at))
	return err
}
