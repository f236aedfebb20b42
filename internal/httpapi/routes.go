package httpapi

import (
	"net/http"
	"slices"

	"github.com/kobo-oss/kobo/internal/apidoc"
)

// routeMux is the stdlib ServeMux that remembers the patterns the API
// registers itself, so the OpenAPI document can be checked against what is
// really served (openapi_test.go) without a second, hand-kept route list.
// Every s.mux.Handle in this package is recorded; Server.Handle (the
// widget's, dashboard's and banksim's mounts from cli) bypasses the record,
// as those are pages and assets, not the API.
type routeMux struct {
	*http.ServeMux
	// first holds the routes ServeMux cannot rank against the others: Mono's
	// GET /v2/accounts/jobs/{job} and GET /v2/accounts/{id}/transactions both
	// match /v2/accounts/jobs/transactions, each more specific in one segment,
	// so registering both on one mux panics. first is consulted before the
	// main mux; account ids are kobo.NewID values, never "jobs", so nothing
	// served today is shadowed.
	first    *http.ServeMux
	patterns []string
}

func newRouteMux() *routeMux {
	return &routeMux{ServeMux: http.NewServeMux(), first: http.NewServeMux()}
}

// HandleFirst registers and records a pattern that must win over the main
// mux's overlapping ones (see first).
func (m *routeMux) HandleFirst(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.first.Handle(pattern, h)
}

// Handle registers and records pattern.
func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc registers and records pattern.
func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// Routes are the API's own mux patterns ("METHOD /path/{param}"), in
// registration order: the contract that internal/apidoc's OpenAPI document
// must describe.
func (s *Server) Routes() []string { return slices.Clone(s.mux.patterns) }

// docRoutes serves the published contract (internal/apidoc): the OpenAPI
// document and the page that renders it. They are routes of the API
// itself, so they are in the document too.
func (s *Server) docRoutes() {
	d := apidoc.Load() // parsed on the first request; apidoc's tests keep it loadable
	s.mux.HandleFunc("GET /openapi.json", d.ServeJSON)
	s.mux.HandleFunc("GET /docs", d.ServeDocs)
	s.mux.HandleFunc("GET /docs/{file}", d.ServeDocs)
}
