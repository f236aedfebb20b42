package dashboard

import (
	"net/http"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// The statement verification page: public (a loan officer has no kobo
// login), reached from the URL and QR code printed on every statement.
// It shows what kobo issued and lets the reader check a file against the
// issued PDF's SHA-256 in the browser: the file is never uploaded.

func (d *Dashboard) verifyStatement(q *request) error {
	q.v.Title = "Verify a statement"
	q.w.Header().Set("Referrer-Policy", "no-referrer") // the URL carries the token
	q.w.Header().Set("X-Robots-Tag", "noindex")
	c, err := d.app.VerifyStatement(q.r.Context(), q.r.PathValue("id"), q.r.URL.Query().Get("t"))
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		q.w.WriteHeader(http.StatusNotFound)
		q.v.Data["Unknown"] = true
		d.render(q, "verify")
		return nil
	}
	if err != nil {
		return err
	}
	q.v.Data["Check"] = c
	q.v.Data["Valid"] = c.Status == "BUILT" && c.SHA256 != ""
	d.render(q, "verify")
	return nil
}
