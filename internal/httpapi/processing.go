package httpapi

import (
	"net/http"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// While an account's first fetch runs (data_status PROCESSING), Mono's data
// endpoints "won't return any data" (https://docs.mono.co/docs/quickstart)
// and give an empty payload (https://docs.mono.co/docs/financial-data/connect-link):
// a 200, never a 4xx, for an account the caller owns. kobo answers every
// data endpoint the same way, so a client that reads too early sees an
// empty result rather than an error it has to special-case.

// emptyKind is what a data endpoint's payload is when there is none yet.
type emptyKind int

const (
	emptyObject emptyKind = iota // data: null
	emptyList                    // data: [] (v2 with meta: null)
	emptyPaged                   // v1 {paging, data: []}
	emptyMeta                    // v1 {meta: {count: 0}, data: []}
	emptyTotals                  // {total: 0, transactions_count: 0, history: []}
)

const processingMessage = "This account's data is still being processed; it will be available when mono.events.account_updated reports it."

// untilReady wraps a data read: when the account is still PROCESSING it
// answers 200 with the empty payload of kind instead of the error.
func (s *Server) untilReady(v2 bool, kind emptyKind, h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := h(w, r)
		if kobo.ErrorCode(err) != kobo.EPROCESSING {
			return err
		}
		var data any
		switch kind {
		case emptyList, emptyPaged, emptyMeta:
			data = []any{}
		case emptyTotals:
			data = map[string]any{"total": 0, "transactions_count": 0, "history": []any{}}
		}
		if v2 {
			writeJSON(w, http.StatusOK, map[string]any{"status": "successful", "message": processingMessage, "timestamp": s.timestamp(), "data": data, "meta": nil})
			return nil
		}
		switch kind {
		case emptyPaged:
			writeJSON(w, http.StatusOK, map[string]any{"paging": map[string]any{"total": 0, "page": 1, "previous": nil, "next": nil}, "data": data})
		case emptyMeta:
			writeJSON(w, http.StatusOK, map[string]any{"meta": map[string]any{"count": 0}, "data": data})
		case emptyTotals:
			writeJSON(w, http.StatusOK, data)
		default:
			writeJSON(w, http.StatusOK, map[string]any{"message": processingMessage, "data": nil})
		}
		return nil
	}
}
