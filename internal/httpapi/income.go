package httpapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// incomeV2 is GET /v2/accounts/{id}/income[?period=N]: it starts an
// analysis and answers at once, as Mono does, with status "successful",
// data null and a message naming the holder
// (https://docs.mono.co/docs/quickstart); the report arrives as
// mono.events.account_income and in /income-records.
func (s *Server) incomeV2(w http.ResponseWriter, r *http.Request) error {
	months, err := app.ParseIncomePeriod(r.URL.Query().Get("period"))
	if err != nil {
		return err
	}
	_, a, err := s.app.StartIncome(r.Context(), callerFrom(r.Context()), r.PathValue("id"), months)
	if err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "The income of "+a.Name+" is currently being processed, and the data will be sent to you through your webhook", nil, nil)
	return nil
}

// incomeRecordsPage is the page size of /income-records.
const incomeRecordsPage = 20

// incomeRecords is GET /v2/accounts/{id}/income-records (and kobo's older
// /income/records): every finished report, newest first, each as
// {income{…}, app, created_at, updated_at} with meta{total, pages,
// previous, next} (https://docs.mono.co/api/bank-data/accounts/income-records).
func (s *Server) incomeRecords(w http.ResponseWriter, r *http.Request) error {
	page := 1
	if p := r.URL.Query().Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return &kobo.Error{Code: kobo.EINVALID, Message: "page must be a whole number from 1", Fields: map[string]string{"page": "must be a whole number from 1"}}
		}
		page = n
	}
	recs, err := s.app.IncomeRecords(r.Context(), callerFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	c := callerFrom(r.Context())
	all := make([]map[string]any, 0, len(recs))
	for _, rec := range recs {
		if rec.Status != "COMPLETED" {
			continue // Mono lists the reports that have been generated
		}
		inc, ok := app.StoredIncome(rec.AccountID, rec.Months, rec.Result)
		if !ok {
			continue
		}
		done := rec.CreatedAt
		if rec.DoneAt != nil {
			done = *rec.DoneAt
		}
		all = append(all, map[string]any{"income": inc, "app": c.App.ID, "created_at": monoTime(done), "updated_at": monoTime(done)})
	}
	pages := (len(all) + incomeRecordsPage - 1) / incomeRecordsPage
	lo := min((page-1)*incomeRecordsPage, len(all))
	hi := min(lo+incomeRecordsPage, len(all))
	link := func(p int) any {
		if p < 1 || p > pages {
			return nil
		}
		q := url.Values{"page": {strconv.Itoa(p)}}
		return s.baseURL(r) + r.URL.Path + "?" + q.Encode()
	}
	s.writeV2(w, http.StatusOK, "Data retrieved successfully", all[lo:hi], map[string]any{
		"total": len(all), "pages": pages, "previous": link(min(page-1, pages)), "next": link(page + 1)})
	return nil
}
