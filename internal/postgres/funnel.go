package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
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
	// Under READ COMMITTED a second replica's UPDATE waits on the row
	// lock the first holds, then re-checks "IS NULL" against the committed
	// row: it changes nothing and returns no row, so it counts nothing.
	var appID, inst, scope string
	var live bool
	err := t.q.QueryRow(ctx, `UPDATE connect_sessions SET `+col+` = $1, end_reason = CASE WHEN $2 = '' THEN end_reason ELSE $2 END
		WHERE id = $3 AND `+col+` IS NULL RETURNING app_id, live, institution_id, scope`,
		utc(at), reason, id).Scan(&appID, &live, &inst, &scope)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := t.ConnectSession(ctx, id); err != nil {
			return false, err
		}
		return false, nil
	}
	if err != nil {
		return false, classify(err)
	}
	_, err = t.exec(ctx, `INSERT INTO connect_funnel (app_id, live, day, institution_id, reauth, `+counter+`) VALUES ($1, $2, $3::date, $4, $5, 1)
		ON CONFLICT (app_id, live, day, institution_id, reauth) DO UPDATE SET `+counter+` = connect_funnel.`+counter+` + 1`,
		appID, live, at.UTC().Format(time.DateOnly), inst, scope == kobo.ScopeReauth)
	if err != nil {
		return false, fmt.Errorf("count %s: %w", stage, err)
	}
	return true, nil
}

func (t *tx) ConnectFunnel(ctx context.Context, f kobo.FunnelFilter) ([]kobo.FunnelRow, error) {
	where := []string{"app_id = $1", "day >= $2::date", "day < $3::date"}
	args := []any{f.AppID, f.From.UTC().Format(time.DateOnly), f.To.UTC().Format(time.DateOnly)}
	if f.Live != nil {
		args = append(args, *f.Live)
		where = append(where, "live = $"+strconv.Itoa(len(args)))
	}
	if f.Reauth != nil {
		args = append(args, *f.Reauth)
		where = append(where, "reauth = $"+strconv.Itoa(len(args)))
	}
	return many(ctx, t, scanFunnelRow, `SELECT institution_id, SUM(started)::bigint, SUM(chosen)::bigint, SUM(submitted)::bigint, SUM(linked)::bigint,
		SUM(exited)::bigint, SUM(failed)::bigint
		FROM connect_funnel WHERE `+strings.Join(where, " AND ")+` GROUP BY institution_id ORDER BY SUM(started) DESC, institution_id`, args...)
}

func scanFunnelRow(s scanner) (kobo.FunnelRow, error) {
	var r kobo.FunnelRow
	err := s.Scan(&r.InstitutionID, &r.Started, &r.Chosen, &r.Submitted, &r.Linked, &r.Exited, &r.Failed)
	return r, err
}
