package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// baseURL is the absolute origin links are built on: the configured public
// URL, or the request's own scheme and host.
func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// pageLink is the absolute URL of another page of the same query: the
// partner's filters are kept, page is set and the keyset cursor rides
// along so deep pages stay cheap. Clients that parse page= out of the link
// (as Mono's sample apps do) and drop the cursor still get the right page.
// It is "" (JSON null) when there is no such page.
func (s *Server) pageLink(r *http.Request, page int, cursor string) string {
	if cursor == "" {
		return ""
	}
	q := url.Values{}
	for k, v := range r.URL.Query() {
		if k != "page" && k != "cursor" {
			q[k] = v
		}
	}
	q.Set("page", strconv.Itoa(page))
	q.Set("cursor", cursor)
	return s.baseURL(r) + r.URL.Path + "?" + q.Encode()
}

// txnIDKey is the name of a transaction's id: "_id" in v1 (and webhook)
// bodies, "id" in v2.
func txnIDKey(v2 bool) string {
	if v2 {
		return "id"
	}
	return "_id"
}

// transactions serves both generations: v1 {paging, data} and v2's
// envelope with meta. paginate=false streams every row.
func (s *Server) transactions(v2 bool) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := app.ParseTxnQuery(r.URL.Query())
		if err != nil {
			return err
		}
		c := callerFrom(r.Context())
		id := r.PathValue("id")
		if !q.Paginate {
			return s.streamTransactions(w, r, c, id, q, v2)
		}
		p, err := s.app.Transactions(r.Context(), c, id, q)
		if err != nil {
			return err
		}
		bp := s.bodies.Get().(*[]byte)
		b := (*bp)[:0]
		if v2 {
			b = appendV2Head(b, "Transaction retrieved successfully", s.clock.Now())
		} else {
			b = append(b, `{"data":`...)
		}
		b = append(b, '[')
		key := txnIDKey(v2)
		for i := range p.Transactions {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendTxn(b, &p.Transactions[i], key)
		}
		if v2 {
			b = append(b, `],"meta":`...)
		} else {
			b = append(b, `],"paging":`...)
		}
		b = appendPaging(b, p.Total, p.Page, s.pageLink(r, p.Page-1, p.Prev), s.pageLink(r, p.Page+1, p.Next))
		b = append(b, "}\n"...)
		writeRaw(w, http.StatusOK, b)
		if cap(b) <= 1<<20 { // keep the grown buffer for the next page, unless a huge one
			*bp = b
		}
		s.bodies.Put(bp)
		return nil
	}
}

// streamTransactions writes paginate=false responses row by row, so a
// five-year history costs a chunk of memory, not the whole list. The
// total is not known before the rows are read, so it is written last (JSON
// key order is free) and errors after the first byte end the body early,
// which the client sees as invalid JSON rather than as silent truncation.
func (s *Server) streamTransactions(w http.ResponseWriter, r *http.Request, c *kobo.Caller, id string, q app.TxnQuery, v2 bool) error {
	var b []byte // one chunk of rows at a time
	started := false
	n := 0
	key := txnIDKey(v2)
	head := func() {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		if v2 {
			b = appendV2Head(b, "Transaction retrieved successfully", s.clock.Now())
			b = append(b, '[')
		} else {
			b = append(b, `{"data":[`...)
		}
		started = true
	}
	_, err := s.app.EachTransaction(r.Context(), c, id, q, func(rows []kobo.Transaction) error {
		if !started {
			head()
		}
		for i := range rows {
			if n > 0 {
				b = append(b, ',')
			}
			b = appendTxn(b, &rows[i], key)
			n++
		}
		_, err := w.Write(b)
		b = b[:0]
		return err
	})
	if err != nil {
		if !started {
			return err
		}
		s.log.ErrorContext(r.Context(), "transaction stream failed", "err", err, "request_id", requestID(r.Context()))
		panic(http.ErrAbortHandler) // cut the connection: the body must not look complete
	}
	if !started {
		head()
	}
	if v2 {
		b = append(b, `],"meta":`...)
	} else {
		b = append(b, `],"paging":`...)
	}
	b = appendPaging(b, n, 1, "", "")
	b = append(b, "}\n"...)
	_, err = w.Write(b)
	return err
}

// monthTotals is GET /accounts/{id}/credits and /debits, and their v2
// twins (in the v2 envelope): the total, the number of transactions, and a
// month-by-month history over the last 12 months with each month's count
// (https://docs.mono.co/docs/changelog, 2022-07-18 and 2025-07-23). Amounts
// are in kobo, periods MM-YYYY.
func (s *Server) monthTotals(credits, v2 bool) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		months, err := s.app.MonthlyTotals(r.Context(), callerFrom(r.Context()), r.PathValue("id"))
		if err != nil {
			return err
		}
		var total int64
		count := 0
		history := []map[string]any{}
		for _, m := range months {
			amt, n := m.Debits, m.DebitCount
			if credits {
				amt, n = m.Credits, m.CreditCount
			}
			if amt == 0 && n == 0 {
				continue
			}
			total += amt
			count += n
			period := m.Month
			if len(period) == 7 { // YYYY-MM → MM-YYYY
				period = period[5:] + "-" + period[:4]
			}
			history = append(history, map[string]any{"amount": amt, "period": period, "transactions_count": n})
		}
		body := map[string]any{"total": total, "transactions_count": count, "history": history}
		if v2 {
			s.writeV2(w, http.StatusOK, "Request was successfully completed", body, nil)
			return nil
		}
		writeJSON(w, http.StatusOK, body)
		return nil
	}
}

// balanceV2 is GET /v2/accounts/{id}/balance.
func (s *Server) balanceV2(w http.ResponseWriter, r *http.Request) error {
	a, err := s.app.Balance(r.Context(), callerFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "Request was successfully completed", map[string]any{
		"id": a.ID, "name": a.Name, "account_number": string(a.AccountNumber), "balance": a.Balance, "currency": a.Currency,
	}, nil)
	return nil
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// identityV1 is GET /accounts/{id}/identity: camelCase, full BVN, dob as
// DD-MM-YYYY like Mono's example.
func (s *Server) identityV1(w http.ResponseWriter, r *http.Request) error {
	idt, err := s.app.Identity(r.Context(), callerFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	dob := idt.DOB
	if t, err := time.Parse("2006-01-02", dob); err == nil {
		dob = t.Format("02-01-2006")
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"fullName": idt.FullName, "email": orNil(idt.Email), "phone": orNil(idt.Phone), "gender": orNil(idt.Gender), "dob": orNil(dob),
		"bvn": orNil(string(idt.BVN)), "maritalStatus": orNil(idt.MaritalStatus), "addressLine1": orNil(idt.AddressLine1), "addressLine2": orNil(idt.AddressLine2),
	})
	return nil
}

// identityV2 is GET /v2/accounts/{id}/identity.
func (s *Server) identityV2(w http.ResponseWriter, r *http.Request) error {
	idt, err := s.app.Identity(r.Context(), callerFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "Request was successfully completed", map[string]any{
		"full_name": idt.FullName, "bvn": orNil(string(idt.BVN)), "email": orNil(idt.Email), "phone": orNil(idt.Phone), "gender": orNil(idt.Gender),
		"dob": orNil(idt.DOB), "address_line1": orNil(idt.AddressLine1), "address_line2": orNil(idt.AddressLine2),
		"state_of_origin": orNil(idt.StateOfOrigin), "lga_of_origin": orNil(idt.LGAOfOrigin), "marital_status": orNil(idt.MaritalStatus),
		"created_at": monoTime(idt.CreatedAt), "updated_at": monoTime(idt.UpdatedAt),
	}, nil)
	return nil
}

// statementOutput reads output=json|pdf (any case: SDKs send "Json").
func statementOutput(r *http.Request) (string, error) {
	switch o := strings.ToLower(r.URL.Query().Get("output")); o {
	case "", "json":
		return "json", nil
	case "pdf":
		return "pdf", nil
	default:
		return "", &kobo.Error{Code: kobo.EINVALID, Message: `output must be "json" or "pdf"`, Fields: map[string]string{"output": "must be json or pdf"}}
	}
}

// statementJobBody is the {id, status, path} of a PDF statement job.
func (s *Server) statementJobBody(r *http.Request, st *kobo.Statement) map[string]any {
	var path any
	if st.Status == "BUILT" {
		path = s.app.StatementURL(s.baseURL(r), st.ID)
	}
	return map[string]any{"id": st.ID, "status": st.Status, "path": path}
}

// statement serves GET /accounts/{id}/statement and its v2 twin.
func (s *Server) statement(v2 bool) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		out, err := statementOutput(r)
		if err != nil {
			return err
		}
		p, err := s.app.ParsePeriod(r.URL.Query().Get("period"))
		if err != nil {
			return err
		}
		if out == "pdf" && v2 && r.URL.Query().Get("format") != "" {
			return &kobo.Error{Code: kobo.EINVALID, Message: "format applies to JSON statements only", Fields: map[string]string{"format": "is for output=json only"}}
		}
		c := callerFrom(r.Context())
		if out == "pdf" {
			st, err := s.app.StartStatementPDF(r.Context(), c, r.PathValue("id"), p)
			if err != nil {
				return err
			}
			if v2 {
				s.writeV2(w, http.StatusOK, "Statement is being generated", s.statementJobBody(r, st), nil)
			} else {
				writeJSON(w, http.StatusOK, s.statementJobBody(r, st))
			}
			return nil
		}
		st, err := s.app.Statement(r.Context(), c, r.PathValue("id"), p)
		if err != nil {
			return err
		}
		rows := make([]map[string]any, len(st.Transactions))
		for i := range st.Transactions {
			t := &st.Transactions[i]
			if v2 {
				rows[i] = map[string]any{"id": t.ID, "type": t.Type, "amount": t.Amount, "balance": t.Balance, "date": monoTime(t.Date), "narration": t.Narration, "currency": t.Currency}
			} else {
				rows[i] = map[string]any{"_id": t.ID, "type": t.Type, "amount": t.Amount, "narration": t.Narration, "date": monoTime(t.Date), "balance": t.Balance, "currency": t.Currency}
			}
		}
		if v2 {
			s.writeV2(w, http.StatusOK, "Successfully fetched statement", map[string]any{
				"count": len(rows), "requested_length": st.RequestedDays, "available_length": st.AvailableDays, "statement": rows,
			}, nil)
			return nil
		}
		writeJSON(w, http.StatusOK, map[string]any{"meta": map[string]any{"count": len(rows)}, "data": rows})
		return nil
	}
}

// statementJob is GET /accounts/{id}/statement/jobs/{job} (and v2).
func (s *Server) statementJob(v2 bool) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, err := s.app.StatementJob(r.Context(), callerFrom(r.Context()), r.PathValue("id"), r.PathValue("job"))
		if err != nil {
			return err
		}
		if v2 {
			s.writeV2(w, http.StatusOK, "Request was successfully completed", s.statementJobBody(r, st), nil)
		} else {
			writeJSON(w, http.StatusOK, s.statementJobBody(r, st))
		}
		return nil
	}
}

// statementPDF is GET /statements/{file}: a signed, expiring link, no key.
func (s *Server) statementPDF(w http.ResponseWriter, r *http.Request) error {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".pdf")
	if !ok {
		return kobo.Errorf(kobo.ENOTFOUND, "statement not found")
	}
	q := r.URL.Query()
	st, err := s.app.StatementPDF(r.Context(), id, q.Get("expires"), q.Get("signature"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Length", strconv.Itoa(len(st.PDF)))
	h.Set("Content-Disposition", `inline; filename="statement-`+st.ID+`.pdf"`)
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(st.PDF)
	return nil
}

// incomeV1 is GET /accounts/{id}/income: both documented v1 shapes in one
// object (the 2020 {type, amount, employer, confidence} and the later
// {average_income, monthly_income, yearly_income, income_sources}).
func (s *Server) incomeV1(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.app.Income(r.Context(), callerFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"type": rep.Type, "amount": rep.Amount, "employer": rep.Employer, "confidence": rep.Confidence,
		"average_income": rep.AverageIncome, "monthly_income": rep.MonthlyIncome, "yearly_income": rep.YearlyIncome, "income_sources": rep.IncomeSources,
	})
	return nil
}

// transactionsSync is GET /v2/accounts/{id}/transactions/sync: added,
// modified and removed rows since a cursor (kobo's addition, after
// Plaid's /transactions/sync).
func (s *Server) transactionsSync(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	count := 0
	if c := q.Get("count"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil {
			return &kobo.Error{Code: kobo.EINVALID, Message: "count must be a whole number", Fields: map[string]string{"count": "must be a whole number"}}
		}
		if n == 0 {
			n = -1 // explicit zero is out of range, not "default"
		}
		count = n
	}
	p, err := s.app.TransactionsSince(r.Context(), callerFrom(r.Context()), r.PathValue("id"), q.Get("cursor"), count)
	if err != nil {
		return err
	}
	conv := func(ts []kobo.Transaction) []json.RawMessage {
		out := make([]json.RawMessage, len(ts))
		for i := range ts {
			out[i] = appendTxn(nil, &ts[i], "id")
		}
		return out
	}
	s.writeV2(w, http.StatusOK, "Request was successfully completed", map[string]any{
		"added": conv(p.Added), "modified": conv(p.Modified), "removed": p.Removed, "next_cursor": p.NextCursor, "has_more": p.HasMore,
	}, nil)
	return nil
}
