package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func (t *tx) MarkConnectStage(ctx context.Context, id string, stage kobo.FunnelStage, at time.Time) (bool, error) {
	col, counter, ok := stage.Columns()
	if !ok {
		return false, kobo.Errorf(kobo.EINVALID, "unknown funnel stage %q", stage)
	}
	reason := ""
	if col == "ended_at" {
		reason = string(stage)
	}
	// the column test and the write are one statement on the single
	// writer, so a second mark of the same stage changes nothing
	var appID, inst, scope string
	var live int
	err := t.q.QueryRowContext(ctx, `UPDATE connect_sessions SET `+col+` = ?, end_reason = CASE WHEN ? = '' THEN end_reason ELSE ? END
		WHERE id = ? AND `+col+` IS NULL RETURNING app_id, live, institution_id, scope`,
		ts(at), reason, reason, id).Scan(&appID, &live, &inst, &scope)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := t.ConnectSession(ctx, id); err != nil {
			return false, err
		}
		return false, nil
	}
	if err != nil {
		return false, classify(err)
	}
	_, err = t.exec(ctx, `INSERT INTO connect_funnel (app_id, live, day, institution_id, reauth, `+counter+`) VALUES (?, ?, ?, ?, ?, 1)
		ON CONFLICT (app_id, live, day, institution_id, reauth) DO UPDATE SET `+counter+` = `+counter+` + 1`,
		appID, live, at.UTC().Format(time.DateOnly), inst, boolInt(scope == kobo.ScopeReauth))
	if err != nil {
		return false, fmt.Errorf("count %s: %w", stage, err)
	}
	return true, nil
}

func (t *tx) ConnectFunnel(ctx context.Context, f kobo.FunnelFilter) ([]kobo.FunnelRow, error) {
	where := []string{"app_id = ?", "day >= ?", "day < ?"}
	args := []any{f.AppID, f.From.UTC().Format(time.DateOnly), f.To.UTC().Format(time.DateOnly)}
	if f.Live != nil {
		where, args = append(where, "live = ?"), append(args, boolInt(*f.Live))
	}
	if f.Reauth != nil {
		where, args = append(where, "reauth = ?"), append(args, boolInt(*f.Reauth))
	}
	rows, err := many(ctx, t, scanFunnelRow, `SELECT institution_id, SUM(started), SUM(chosen), SUM(submitted), SUM(linked), SUM(exited), SUM(failed)
		FROM connect_funnel WHERE `+strings.Join(where, " AND ")+` GROUP BY institution_id ORDER BY SUM(started) DESC, institution_id`, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func scanFunnelRow(s scanner) (kobo.FunnelRow, error) {
	var r kobo.FunnelRow
	err := s.Scan(&r.InstitutionID, &r.Started, &r.Chosen, &r.Submitted, &r.Linked, &r.Exited, &r.Failed)
	return r, err
}
