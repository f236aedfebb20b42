package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// Enrichment (docs.mono.co/docs/financial-data/enrichment/*) and
// credit-worthiness (docs.mono.co/docs/financial-data/credit-worthiness):
// each call queues a job that works on the account's stored transactions
// and answers at once; the result arrives by webhook and as a record.
func (s *Server) enrichmentRoutes() {
	m := s.mux
	// v2
	m.Handle("GET /v2/accounts/{id}/statement/insights", s.v2(s.secret(s.startEnrichmentV2(kobo.EnrichInsights,
		"Statement insights is currently being processed, you will receive a webhook when insight is ready"))))
	m.Handle("POST /v2/accounts/{id}/transactions/categorise", s.v2(s.secret(s.startEnrichmentV2(kobo.EnrichCategorisation,
		"Transaction categorisation is currently being processed, you will receive a webhook when all transactions are ready"))))
	m.Handle("POST /v2/accounts/{id}/transactions/metadata", s.v2(s.secret(s.startEnrichmentV2(kobo.EnrichMetadata,
		"Transaction metadata is currently being processed, you will receive a webhook when all transactions are ready"))))
	m.Handle("GET /v2/enrichments/record/{job}", s.v2(s.secret(s.enrichmentRecordV2)))
	m.Handle("POST /v2/accounts/{id}/creditworthiness", s.v2(s.secret(s.idempotent(flavourV2, s.creditworthiness))))
	// v1 (https://api.withmono.com/v1/enrichments/…): still served by Mono, backward compatible (changelog 2025-01)
	m.Handle("GET /v1/enrichments/{id}/statement-insights", s.v1(s.secret(s.startEnrichmentV1(kobo.EnrichInsights,
		"Statement insights are currently being processed, and the data will be sent to you through your webhook"))))
	m.Handle("GET /v1/enrichments/{id}/transaction-categorisation", s.v1(s.secret(s.startEnrichmentV1(kobo.EnrichCategorisation,
		"Transaction categorisation are currently being processed, and the data will be sent to you through your webhook"))))
	m.Handle("GET /v1/enrichments/{id}/transaction-metadata", s.v1(s.secret(s.startEnrichmentV1(kobo.EnrichMetadata,
		"Transaction metadata are currently being processed, and the data will be sent to you through your webhook"))))
	m.Handle("GET /v1/enrichments/{id}/statement-insights/records", s.v1(s.secret(s.enrichmentRecordsV1(kobo.EnrichInsights))))
	m.Handle("GET /v1/enrichments/{id}/transaction-categorisation/records", s.v1(s.secret(s.enrichmentRecordsV1(kobo.EnrichCategorisation))))
	m.Handle("GET /v1/enrichments/{id}/transaction-metadata/records", s.v1(s.secret(s.enrichmentRecordsV1(kobo.EnrichMetadata))))
}

// enrichMonths reads insights' optional period (whole months), as income's.
func enrichMonths(r *http.Request) (int, error) {
	return app.ParseIncomePeriod(r.URL.Query().Get("period"))
}

// startEnrichmentV2 answers Mono's v2 initiation: top-level status
// "processing" and data {jobId, jobStatus} (camelCase, as Mono writes it).
func (s *Server) startEnrichmentV2(kind, message string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		months, err := enrichMonths(r)
		if err != nil {
			return err
		}
		e, _, err := s.app.StartEnrichment(r.Context(), callerFrom(r.Context()), r.PathValue("id"), kind, 2, months, nil)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, envelope{Status: "processing", Message: message, Timestamp: s.timestamp(),
			Data: map[string]string{"jobId": e.ID, "jobStatus": e.Status}})
		return nil
	}
}

// startEnrichmentV1 answers v1's initiation: successful, data null.
func (s *Server) startEnrichmentV1(kind, message string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		months, err := enrichMonths(r)
		if err != nil {
			return err
		}
		if _, _, err := s.app.StartEnrichment(r.Context(), callerFrom(r.Context()), r.PathValue("id"), kind, 1, months, nil); err != nil {
			return err
		}
		s.writeV2(w, http.StatusOK, message, nil, nil)
		return nil
	}
}

// enrichmentRecord is a job as its record endpoints show it: for
// insights the report's own groups (insights, transaction_details,
// inflow, outflow, recurring_transactions) with app and the times; for the
// others the job and what it found.
func enrichmentRecord(c *kobo.Caller, e *kobo.Enrichment) map[string]any {
	rec := map[string]any{}
	if e.Kind == kobo.EnrichInsights && len(e.Result) > 0 {
		_ = json.Unmarshal(e.Result, &rec)
	} else if len(e.Result) > 0 {
		rec["data"] = json.RawMessage(e.Result)
	}
	done := e.CreatedAt
	if e.DoneAt != nil {
		done = *e.DoneAt
	}
	rec["id"], rec["jobId"], rec["jobStatus"], rec["type"] = e.ID, e.ID, e.Status, e.Kind
	rec["account"], rec["app"], rec["created_at"], rec["updated_at"] = e.AccountID, c.App.ID, monoTime(e.CreatedAt), monoTime(done)
	return rec
}

func (s *Server) enrichmentRecordV2(w http.ResponseWriter, r *http.Request) error {
	c := callerFrom(r.Context())
	e, err := s.app.EnrichmentRecord(r.Context(), c, r.PathValue("job"))
	if err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "Data retrieved successfully", enrichmentRecord(c, e), nil)
	return nil
}

func (s *Server) enrichmentRecordsV1(kind string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		page, limit, err := parsePaging(r.URL.Query())
		if err != nil {
			return err
		}
		c := callerFrom(r.Context())
		list, err := s.app.EnrichmentRecords(r.Context(), c, r.PathValue("id"), kind)
		if err != nil {
			return err
		}
		var done []map[string]any
		for _, e := range list {
			if e.Status == app.EnrichFinished {
				done = append(done, enrichmentRecord(c, e))
			}
		}
		lo := min((page-1)*limit, len(done))
		hi := min(lo+limit, len(done))
		items := done[lo:hi]
		if items == nil {
			items = []map[string]any{}
		}
		s.writeV2(w, http.StatusOK, "Data retrieved successfully", items, s.listMeta(r, page, limit, len(done)))
		return nil
	}
}

// creditworthiness is POST /v2/accounts/{id}/creditworthiness.
func (s *Server) creditworthiness(w http.ResponseWriter, r *http.Request) error {
	var req app.CreditRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	_, a, err := s.app.StartEnrichment(r.Context(), callerFrom(r.Context()), r.PathValue("id"), kobo.EnrichCreditworthy, 2, 0, &req)
	if err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "The creditworthiness of "+a.Name+" is currently being processed. Once completed, the data will be sent to your webhook.", nil, nil)
	return nil
}
