package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"sort"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// Statement uploads (POST /v2/statements/upload, GET
// /v2/statements/uploads/{id}). The multipart body is streamed: the file
// part goes to a temp file as it arrives, hashed on the way, and only the
// small text fields are held in memory.

// UploadPath is the upload route; its body limit is MaxUploadBytes.
const UploadPath = "/v2/statements/upload"

// MaxUploadBytes caps a statement file; the request may carry a little
// more for the multipart framing and the text fields.
const MaxUploadBytes = 20 << 20

const uploadBodyLimit = MaxUploadBytes + 64<<10

// uploadFields are the text fields the upload takes.
var uploadFields = map[string]bool{"password": true, "bank_code": true, "customer[name]": true, "customer[email]": true,
	"customer[id]": true, "ref": true, "account_number": true}

func (s *Server) statementRoutes() {
	s.mux.Handle("POST "+UploadPath, s.v2(s.secret(s.uploadStatement)))
	s.mux.Handle("GET /v2/statements/uploads/{id}", s.v2(s.secret(s.statementUploadStatus)))
	s.mux.Handle("POST "+WidgetUploadPath, s.v1(s.widgetKey(s.widgetUpload)))
	s.mux.Handle("POST "+WidgetUploadPath+"/confirm", s.v1(s.widgetKey(s.widgetUploadConfirm)))
}

// WidgetUploadPath is the Connect widget's upload; its body limit is the
// API upload's.
const WidgetUploadPath = "/connect/api/statement"

// the customer comes from the session; only the file's own fields here
var widgetUploadFields = map[string]bool{"password": true, "account_number": true}

// widgetUpload is POST /connect/api/statement (x-session-id: a session
// opened with auth_method statement_upload): the file is read in the
// session and staged, and the answer is its parse summary for the
// customer to confirm. A locked PDF is a 400 naming the password field,
// which the widget turns into a password prompt. No account exists until
// the partner exchanges the code the confirmation gives.
func (s *Server) widgetUpload(w http.ResponseWriter, r *http.Request) error {
	sp, fields, err := readUpload(r, widgetUploadFields)
	if err != nil {
		return s.widgetError(w, r, err)
	}
	defer sp.close()
	in := app.UploadInput{File: sp.f, Size: sp.size, Name: sp.name, Hash: sp.hash, Password: kobo.Secret(fields["password"]), AccountNumber: fields["account_number"]}
	u, err := s.app.StageStatementUpload(r.Context(), callerFrom(r.Context()), r.Header.Get("x-session-id"), in)
	if err != nil {
		return s.widgetError(w, r, err)
	}
	summary := uploadData(u)
	delete(summary, "account") // there is none yet
	writeJSON(w, http.StatusOK, map[string]any{"responseCode": app.CodeMoreInput, "message": "Confirm the statement", "upload": summary})
	return nil
}

// widgetUploadConfirm is POST /connect/api/statement/confirm: the
// customer accepted the summary; the answer is the code for onSuccess.
func (s *Server) widgetUploadConfirm(w http.ResponseWriter, r *http.Request) error {
	step, err := s.app.ConfirmStatementUpload(r.Context(), callerFrom(r.Context()), r.Header.Get("x-session-id"))
	if err != nil {
		return s.widgetError(w, r, err)
	}
	writeJSON(w, http.StatusOK, widgetStep(step))
	return nil
}

// spooled is an uploaded file on disk.
type spooled struct {
	f    *os.File
	size int64
	hash string
	name string
}

func (sp *spooled) close() {
	if sp != nil && sp.f != nil {
		sp.f.Close()
		os.Remove(sp.f.Name())
	}
}

// readUpload streams the multipart body: the file to a temp file, the
// fields into a map. Every failure is a 4xx naming the problem.
func readUpload(r *http.Request, allowed map[string]bool) (*spooled, map[string]string, error) {
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" || params["boundary"] == "" {
		return nil, nil, kobo.Errorf(kobo.EINVALID, "send the statement as multipart/form-data with the file in the field \"file\"")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, kobo.Errorf(kobo.EINVALID, "the multipart body cannot be read: %v", err)
	}
	fields := map[string]string{}
	var sp *spooled
	fail := func(err error) (*spooled, map[string]string, error) {
		sp.close()
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, kobo.Errorf(kobo.ETOOLARGE, "the upload is larger than %d MB; statements up to %d MB are accepted", MaxUploadBytes>>20, MaxUploadBytes>>20)
		}
		return nil, nil, err
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(kobo.Errorf(kobo.EINVALID, "the multipart body cannot be read: %v", err))
		}
		name := p.FormName()
		switch {
		case name == "file":
			if sp != nil {
				return fail(kobo.Errorf(kobo.EINVALID, "send one file per upload"))
			}
			f, err := os.CreateTemp("", "kobo-statement-*")
			if err != nil {
				return fail(kobo.Wrap(kobo.EINTERNAL, err, "could not stage the upload"))
			}
			sp = &spooled{f: f, name: p.FileName()}
			h := sha256.New()
			n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(p, MaxUploadBytes+1))
			if err != nil {
				return fail(err)
			}
			if n > MaxUploadBytes {
				return fail(kobo.Errorf(kobo.ETOOLARGE, "the file is larger than %d MB; statements up to %d MB are accepted", MaxUploadBytes>>20, MaxUploadBytes>>20))
			}
			sp.size, sp.hash = n, hex.EncodeToString(h.Sum(nil))
		case allowed[name]:
			b, err := io.ReadAll(io.LimitReader(p, 4097))
			if err != nil {
				return fail(err)
			}
			if len(b) > 4096 {
				return fail(&kobo.Error{Code: kobo.EINVALID, Message: name + " is too long", Fields: map[string]string{name: "is too long"}})
			}
			fields[name] = string(b)
		default:
			// unknown fields are refused, as the JSON endpoints refuse them
			return fail(&kobo.Error{Code: kobo.EINVALID, Message: fmt.Sprintf("unknown field %q", name), Fields: map[string]string{name: "is not a known field"}})
		}
	}
	if sp == nil || sp.size == 0 {
		return fail(&kobo.Error{Code: kobo.EINVALID, Message: "file is required: send the statement as the multipart field \"file\"", Fields: map[string]string{"file": "is required"}})
	}
	return sp, fields, nil
}

func (s *Server) uploadStatement(w http.ResponseWriter, r *http.Request) error {
	c := callerFrom(r.Context())
	sp, fields, err := readUpload(r, uploadFields)
	if err != nil {
		return err
	}
	defer sp.close()
	run := func(w http.ResponseWriter) error {
		u, err := s.app.UploadStatement(r.Context(), c, app.UploadInput{File: sp.f, Size: sp.size, Name: sp.name, Hash: sp.hash,
			Password: kobo.Secret(fields["password"]), BankCode: fields["bank_code"], AccountNumber: fields["account_number"],
			CustomerID: fields["customer[id]"], CustomerName: fields["customer[name]"], CustomerEmail: fields["customer[email]"], Reference: fields["ref"]})
		if err != nil {
			return err
		}
		data := map[string]any{"id": u.ID, "account": nullable(u.AccountID), "status": u.Status}
		msg := "Statement received; it is being processed. Poll GET /v2/statements/uploads/{id}, or wait for mono.events.account_updated."
		if u.Status == kobo.UploadFailed {
			data["error"] = u.Error
			msg = "The statement could not be read: " + u.Error
		}
		s.writeV2(w, http.StatusAccepted, msg, data, nil)
		return nil
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return run(w)
	}
	// The request's identity is its fields and the file's hash: the body
	// is never read into memory to hash it whole.
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	sum := sha256.New()
	fmt.Fprintf(sum, "%s %s\nfile=%s\n", r.Method, r.URL.Path, sp.hash)
	for _, k := range names {
		fmt.Fprintf(sum, "%s=%q\n", k, fields[k])
	}
	return s.onceForKey(w, r, flavourV2, key, hex.EncodeToString(sum.Sum(nil)), run)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// statementUploadStatus is GET /v2/statements/uploads/{id}.
func (s *Server) statementUploadStatus(w http.ResponseWriter, r *http.Request) error {
	u, err := s.app.StatementUpload(r.Context(), callerFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeV2(w, http.StatusOK, "Request was succesfully completed", uploadData(u), nil)
	return nil
}

// uploadData renders an upload with its parse report (amounts in kobo).
func uploadData(u *kobo.StatementUpload) map[string]any {
	var rep app.UploadReport
	hasReport := len(u.Report) > 0 && json.Unmarshal(u.Report, &rep) == nil
	d := map[string]any{
		"id": u.ID, "account": nullable(u.AccountID), "status": u.Status, "format": nullable(u.Format),
		"file": map[string]any{"name": u.FileName, "size": u.Size, "sha256": u.FileHash},
		"bank": nil, "account_number": nil, "account_name": nil, "currency": nil, "period": nil, "opening_balance": nil,
		"closing_balance": nil, "transactions": nil, "totals": nil, "checks": []kobo.StatementCheck{}, "authenticity": nil,
		"error": nullable(u.Error), "created_at": monoTime(u.CreatedAt), "updated_at": monoTime(u.UpdatedAt),
	}
	if hasReport {
		d["bank"] = rep.Bank
		d["account_number"], d["account_name"], d["currency"] = rep.AccountNumber, nullable(rep.AccountName), rep.Currency
		if rep.Period.Start != "" {
			d["period"] = rep.Period
		}
		d["opening_balance"], d["closing_balance"] = rep.OpeningBalance, rep.ClosingBalance
		d["transactions"], d["totals"], d["checks"], d["authenticity"] = rep.Transactions, rep.Totals, rep.Checks, rep.Authenticity
		if rep.Merge != nil {
			d["merge"] = rep.Merge
		}
	}
	return d
}
