package httpapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// v1AuthMethod is an auth method in /v1/institutions.
type v1AuthMethod struct {
	Type string      `json:"type"`
	Name string      `json:"name"`
	ID   string      `json:"_id"`
	UI   kobo.UIForm `json:"ui"`
}

// v1Institution is Mono's /v1/institutions item (reference §3.10).
type v1Institution struct {
	ID           string         `json:"_id"`
	Name         string         `json:"name"`
	Type         string         `json:"type"`
	AuthMethods  []v1AuthMethod `json:"auth_methods"`
	Icon         string         `json:"icon"`
	Identifier   string         `json:"identifier"`
	PrimaryColor string         `json:"primaryColor"`
	Country      string         `json:"country"`
	BankCode     string         `json:"bank_code"`
	UI           *kobo.UIForm   `json:"ui"`
	// Providers is kobo's (Mono has no such field): the connectors that
	// reach the institution, the default first. Appended after Mono's
	// fields, so a Mono client's decoding is unchanged.
	Providers []string `json:"providers"`
	// Status and StatusNote are kobo's too, appended alike: how kobo's
	// own calls to the bank have been going (app/health.go), live calls
	// here since v1 takes no key. The note is there when the bank is not
	// up or the operator wrote one.
	Status     string `json:"status"`
	StatusNote string `json:"status_note,omitempty"`
}

type scopeView struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type v3AuthMethod struct {
	Type string      `json:"type"`
	UI   kobo.UIForm `json:"ui"`
}

// v3Institution is Mono's /v3/institutions item (reference §5.3).
type v3Institution struct {
	ID           string         `json:"_id"`
	Name         string         `json:"name"`
	Type         string         `json:"type"`
	Icon         string         `json:"icon"`
	Identifier   string         `json:"identifier"`
	NIPCode      string         `json:"nip_code"`
	BankCode     string         `json:"bank_code"`
	Country      string         `json:"country"`
	PrimaryColor string         `json:"primary_color"`
	Scope        []scopeView    `json:"scope"`
	AuthMethods  []v3AuthMethod `json:"auth_methods"`
	// Providers is kobo's, as in v1: the connectors that reach the
	// institution for this key's mode, the default first.
	Providers []string `json:"providers"`
	// Status and StatusNote are kobo's, as in v1, for this key's mode:
	// live calls of every app for a live key, this app's own sandbox
	// calls for a sandbox key.
	Status     string `json:"status"`
	StatusNote string `json:"status_note,omitempty"`
}

type coverageItem struct {
	Name     string        `json:"name"`
	Icon     string        `json:"icon"`
	Coverage coverageFlags `json:"coverage"`
	Products []string      `json:"products"`
	Website  *string       `json:"website"`
}

type coverageFlags struct {
	Countries []string `json:"countries"`
	Business  bool     `json:"business"`
	Personal  bool     `json:"personal"`
}

var scopeNames = map[string]string{"financial_data": "Financial Data", "payments": "Payments"}

func (s *Server) iconURL(in *kobo.Institution) string {
	if strings.HasPrefix(in.Icon, "http://") || strings.HasPrefix(in.Icon, "https://") {
		return in.Icon
	}
	return s.publicURL + in.Icon
}

// cachedCatalog serves an encoded catalog response, rebuilding it only when
// the catalog snapshot changes. The catalog is read on every widget open
// and by every headless client, and encoding its forms is the expensive
// part of the request.
func (s *Server) cachedCatalog(w http.ResponseWriter, r *http.Request, key string, build func(all []*kobo.Institution) (any, error)) error {
	e, err := s.catalogBody(r, key, build)
	if err != nil {
		return err
	}
	e.serve(w, r)
	return nil
}

// catalogBody returns the encoded response for key, building it when the
// catalog changed since it was last built.
func (s *Server) catalogBody(r *http.Request, key string, build func(all []*kobo.Institution) (any, error)) (*encoded, error) {
	cat, err := s.app.Catalog(r.Context())
	if err != nil {
		return nil, err
	}
	s.catMu.Lock()
	if s.catVer != cat.Version {
		s.catCache, s.catVer = map[string]*encoded{}, cat.Version
	}
	e, ok := s.catCache[key]
	s.catMu.Unlock()
	if !ok {
		v, err := build(cat.All)
		if err != nil {
			return nil, err
		}
		if e, err = encode(v); err != nil {
			return nil, err
		}
		s.catMu.Lock()
		if s.catVer == cat.Version && len(s.catCache) >= 256 && strings.Contains(key, "|health=") && !strings.HasSuffix(key, "|health=") {
			// full, and health changes leave entries of old statuses
			// behind: start afresh rather than stop caching new statuses
			s.catCache = map[string]*encoded{}
		}
		if s.catVer == cat.Version && len(s.catCache) < 256 { // bounded: filters are few, hostile queries are not cached
			s.catCache[key] = e
		}
		s.catMu.Unlock()
	}
	return e, nil
}

// encoded is a response body prepared once: its JSON, its gzip, and an
// ETag, so repeated reads cost a map lookup and a write.
type encoded struct {
	body, gz []byte
	etag     string
}

func encode(v any) (*encoded, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = zw.Write(buf.Bytes())
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	return &encoded{body: buf.Bytes(), gz: gz.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}, nil
}

func (e *encoded) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("ETag", e.etag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("Cache-Control", "private, max-age=60")
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, e.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		writeRaw(w, http.StatusOK, e.gz)
		return
	}
	writeRaw(w, http.StatusOK, e.body)
}

func filterFromQuery(q url.Values) kobo.InstitutionFilter {
	return kobo.InstitutionFilter{
		Country:    strings.TrimSpace(q.Get("country")),
		Scope:      strings.TrimSpace(q.Get("scope")),
		BankCode:   strings.TrimSpace(q.Get("bank_code")),
		AuthMethod: strings.TrimSpace(q.Get("auth_method")),
		Type:       kobo.InstitutionType(strings.ToUpper(strings.TrimSpace(q.Get("type")))),
	}
}

func filterKey(prefix string, f kobo.InstitutionFilter) string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s", prefix, strings.ToLower(f.Country), f.Scope, f.BankCode, f.AuthMethod, f.Type)
}

// institutionsV1 is GET /v1/institutions: a bare array, key optional. v1
// predates the split of products into scopes: the Partners v1 guide
// (https://docs.mono.co/docs/connect-api-integration-guide) asks for the
// scope "as data", and community code lists banks with scope=payments, so
// every v1 scope lists the same banks.
func (s *Server) institutionsV1(w http.ResponseWriter, r *http.Request) error {
	f := filterFromQuery(r.URL.Query())
	if f.Scope == "data" {
		f.Scope = ""
	}
	if err := app.ValidateInstitutionFilter(f); err != nil {
		return err
	}
	f.Scope = ""
	health, err := s.app.Health(r.Context(), true, "")
	if err != nil {
		return err
	}
	return s.cachedCatalog(w, r, filterKey("v1", f)+"|health="+health.Tag, func(all []*kobo.Institution) (any, error) {
		list := app.FilterInstitutions(all, f)
		out := make([]v1Institution, 0, len(list))
		for _, in := range list {
			v := v1Institution{ID: in.ID, Name: in.Name, Type: string(in.Type), Icon: s.iconURL(in), Identifier: in.Identifier,
				PrimaryColor: in.PrimaryColor, Country: in.Country, BankCode: in.BankCode, AuthMethods: []v1AuthMethod{}, Providers: s.app.InstitutionConnectors(in, nil)}
			h := health.Of(in)
			v.Status, v.StatusNote = h.Status, h.Note
			for _, m := range in.AuthMethods {
				v.AuthMethods = append(v.AuthMethods, v1AuthMethod{Type: m.Type, Name: m.Name, ID: m.ID, UI: m.UI})
			}
			if len(in.AuthMethods) > 0 {
				ui := in.AuthMethods[0].UI
				v.UI = &ui
			}
			out = append(out, v)
		}
		return out, nil
	})
}

// institutionsV3 is GET /v3/institutions: secret key, v2 envelope. The
// list is encoded once per catalog version and query (as v1's is) and
// carries its ETag; the envelope around it is written per request so its
// timestamp is the response's own.
func (s *Server) institutionsV3(w http.ResponseWriter, r *http.Request) error {
	f := filterFromQuery(r.URL.Query())
	if err := app.ValidateInstitutionFilter(f); err != nil {
		return err
	}
	c := callerFrom(r.Context())
	live := c.Mode.IsLive()
	health, err := s.app.Health(r.Context(), live, c.App.ID)
	if err != nil {
		return err
	}
	// the health tag is in the key, so a change of status is a new body
	// and a new ETag
	e, err := s.catalogBody(r, filterKey("v3", f)+"|live="+strconv.FormatBool(live)+"|health="+health.Tag, func(all []*kobo.Institution) (any, error) {
		// live keys list only what a real provider reaches
		list := app.FilterInstitutions(s.app.ReachableInstitutions(all, live), f)
		out := make([]v3Institution, 0, len(list))
		for _, in := range list {
			v := v3Institution{ID: in.ID, Name: in.Name, Type: string(in.Type), Icon: s.iconURL(in), Identifier: in.Identifier,
				NIPCode: in.NIPCode, BankCode: in.BankCode, Country: in.Country, PrimaryColor: in.PrimaryColor,
				Scope: []scopeView{}, AuthMethods: []v3AuthMethod{}, Providers: s.app.InstitutionConnectors(in, &live)}
			h := health.Of(in)
			v.Status, v.StatusNote = h.Status, h.Note
			for _, sc := range in.Scopes {
				v.Scope = append(v.Scope, scopeView{Name: scopeNames[sc], Type: sc})
			}
			for _, m := range in.AuthMethods {
				v.AuthMethods = append(v.AuthMethods, v3AuthMethod{Type: m.Type, UI: m.UI})
			}
			out = append(out, v)
		}
		return out, nil
	})
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", e.etag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("Cache-Control", "private, max-age=60")
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, e.etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	var body bytes.Buffer
	body.WriteString(`{"status":"successful","message":"Request completed successfully","timestamp":"` + s.timestamp() + `","data":`)
	body.Write(bytes.TrimSuffix(e.body, []byte("\n")))
	body.WriteString("}\n")
	if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		writeRaw(w, http.StatusOK, body.Bytes())
		return nil
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	_, _ = zw.Write(body.Bytes())
	if err := zw.Close(); err != nil {
		return err
	}
	h.Set("Content-Encoding", "gzip")
	writeRaw(w, http.StatusOK, gz.Bytes())
	return nil
}

// brand is an institution's bank, shared by its personal and business
// entries.
func brand(in *kobo.Institution) string { return strings.TrimSuffix(in.Identifier, ".business") }

// coverage is GET /coverage: one item per bank, no key needed.
func (s *Server) coverage(w http.ResponseWriter, r *http.Request) error {
	return s.cachedCatalog(w, r, "coverage", func(all []*kobo.Institution) (any, error) {
		var out []*coverageItem
		byBrand := map[string]*coverageItem{}
		for _, in := range all {
			c, ok := byBrand[brand(in)]
			if !ok {
				c = &coverageItem{Name: strings.TrimSuffix(in.Name, " Business"), Icon: s.iconURL(in),
					Coverage: coverageFlags{Countries: []string{strings.ToUpper(in.Country)}}, Products: in.Products}
				if in.Website != "" {
					site := in.Website
					c.Website = &site
				}
				byBrand[brand(in)] = c
				out = append(out, c)
			}
			switch in.Type {
			case kobo.BusinessBanking:
				c.Coverage.Business = true
			default:
				c.Coverage.Personal = true
			}
		}
		slices.SortFunc(out, func(a, b *coverageItem) int { return strings.Compare(a.Name, b.Name) })
		return out, nil
	})
}

// institutionIcon serves a generated logo: the bank's initials on its
// primary colour. Bundling real logos would need licences; generating them
// keeps the widget free of remote fetches.
func (s *Server) institutionIcon(w http.ResponseWriter, r *http.Request) {
	cat, err := s.app.Catalog(r.Context())
	if err != nil {
		s.fail(w, r, flavourV1, err)
		return
	}
	path := "/static/institutions/" + r.PathValue("file")
	for _, in := range cat.All {
		if in.Icon != path {
			continue
		}
		var initials []rune
		for _, word := range strings.Fields(strings.TrimSuffix(in.Name, " Business")) {
			r := []rune(word)[0]
			if unicode.IsUpper(r) || unicode.IsDigit(r) {
				initials = append(initials, r)
			}
		}
		if len(initials) > 3 {
			initials = initials[:3]
		}
		if len(initials) == 0 {
			initials = []rune(in.Name)[:1]
		}
		svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" role="img" aria-label="%s"><rect width="64" height="64" rx="14" fill="%s"/><text x="32" y="32" dy=".35em" text-anchor="middle" font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif" font-size="%d" font-weight="700" fill="#fff">%s</text></svg>`,
			html.EscapeString(in.Name), html.EscapeString(in.PrimaryColor), 30-4*len(initials), html.EscapeString(string(initials)))
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		_, _ = w.Write([]byte(svg))
		return
	}
	s.writeError(w, r, flavourV1, kobo.Errorf(kobo.ENOTFOUND, "no such icon"))
}
