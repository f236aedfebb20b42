package app

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// AccountQuery is an account search: the dashboard's, and the filters of
// GET /v2/accounts.
type AccountQuery struct {
	Text          string
	Status        string // a DataStatus, any case; "" for all
	InstitutionID string
	CustomerID    string
	Limit, Offset int
}

// SearchAccounts finds the caller's accounts by name, reference, account
// id or customer, filtered by data status and bank.
func (s *Service) SearchAccounts(ctx context.Context, c *kobo.Caller, q AccountQuery) (*AccountList, error) {
	st := kobo.DataStatus(strings.ToUpper(strings.TrimSpace(q.Status)))
	switch st {
	case "", kobo.DataProcessing, kobo.DataAvailable, kobo.DataPartial, kobo.DataUnavailable, kobo.DataFailed:
	default:
		return nil, &kobo.Error{Code: kobo.EINVALID, Message: "status must be one of AVAILABLE, PROCESSING, PARTIAL, UNAVAILABLE, FAILED", Fields: map[string]string{"status": "is not a data status"}}
	}
	if len(q.Text) > 200 {
		q.Text = q.Text[:200]
	}
	out := &AccountList{}
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		out.Accounts, out.Total, err = tx.SearchAccounts(ctx, kobo.AccountSearch{AppID: c.App.ID, Live: c.Mode.IsLive(), Text: q.Text, Status: st,
			InstitutionID: q.InstitutionID, CustomerID: q.CustomerID, Limit: q.Limit, Offset: q.Offset})
		return err
	})
	for _, a := range out.Accounts {
		if in, err := s.Institution(ctx, a.InstitutionID); err == nil {
			a.Institution = *in
		}
	}
	return out, err
}

// MaxAccountExport bounds one CSV export.
const MaxAccountExport = 50_000

// WriteAccountsCSV writes accounts as CSV: the number masked to its last
// four digits, as the dashboard shows it (an export is a file that
// travels). Cells a spreadsheet would run as formulas are defused.
func WriteAccountsCSV(w io.Writer, list []*kobo.Account) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "name", "institution", "account_number_last4", "type", "currency", "balance", "data_status", "reauth_required", "reference", "customer_id", "last_synced_at", "created_at"})
	for _, a := range list {
		num := string(a.AccountNumber)
		if len(num) > 4 {
			num = num[len(num)-4:]
		}
		last := ""
		if a.LastSyncedAt != nil {
			last = a.LastSyncedAt.UTC().Format(time.RFC3339)
		}
		inst := a.Institution.Name
		if inst == "" {
			inst = a.InstitutionID
		}
		_ = cw.Write([]string{a.ID, cell(a.Name), cell(inst), num, a.Type, a.Currency, strconv.FormatInt(a.Balance, 10), string(a.DataStatus),
			strconv.FormatBool(a.ReauthRequired), cell(a.Reference), a.CustomerID, last, a.CreatedAt.UTC().Format(time.RFC3339)})
	}
	cw.Flush()
	return cw.Error()
}
