package dashboard

import (
	"context"
	"encoding/json"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// uploadRow is one statement upload on an account page: what the file
// was, what kobo read from it and whether it adds up.
type uploadRow struct {
	Upload *kobo.StatementUpload
	Report app.UploadReport
	Failed []kobo.StatementCheck
}

// uploadRows loads the upload report of an account built from statements.
func (d *Dashboard) uploadRows(ctx context.Context, a *kobo.Account) []uploadRow {
	if a.AuthMethod != kobo.AuthStatementUpload {
		return nil
	}
	list, err := d.app.AccountUploads(ctx, a.ID)
	if err != nil {
		d.log.WarnContext(ctx, "upload report", "account_id", a.ID, "err", err)
		return nil
	}
	rows := make([]uploadRow, 0, len(list))
	for _, u := range list {
		r := uploadRow{Upload: u}
		if len(u.Report) > 0 {
			_ = json.Unmarshal(u.Report, &r.Report)
		}
		for _, c := range r.Report.Checks {
			if !c.Passed {
				r.Failed = append(r.Failed, c)
			}
		}
		rows = append(rows, r)
	}
	return rows
}
