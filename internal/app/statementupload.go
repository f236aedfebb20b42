package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Statement uploads: an account built from the customer's own statement
// files instead of a bank login. The upload request reads the file once
// (so a locked PDF, a file that is no statement, or a bomb is a 4xx at
// once, and nothing is written), then stores the file and the account in
// one transaction and queues a job that reads the stored file again and
// merges its rows into the account. A later upload for the same account
// number at the same bank extends the same account, so monthly uploads
// build a history; the rest of kobo reads it like any other account.

// JobIngestStatement merges an uploaded statement into its account.
const JobIngestStatement = "statement.ingest"

// UploadChunkSize is how much of an uploaded file one stored chunk holds.
const UploadChunkSize = 1 << 20

// UploadInput is one statement upload. File is positioned reads over Size
// bytes (the HTTP layer's temp file); Hash is the SHA-256 of the bytes,
// hex, computed while the body was streamed.
type UploadInput struct {
	File          io.ReaderAt
	Size          int64
	Name          string
	Hash          string
	Password      kobo.Secret
	BankCode      string
	AccountNumber string // a hint for exports that print no account number
	CustomerID    string
	CustomerName  string
	CustomerEmail string
	Reference     string
}

// UploadReport is the parse summary of an upload (amounts in minor units).
type UploadReport struct {
	Format         string                `json:"format"`
	Layout         string                `json:"layout,omitempty"`
	Bank           UploadBank            `json:"bank"`
	AccountNumber  string                `json:"account_number"`
	AccountName    string                `json:"account_name"`
	Currency       string                `json:"currency"`
	Period         UploadPeriod          `json:"period"`
	OpeningBalance *int64                `json:"opening_balance"`
	ClosingBalance *int64                `json:"closing_balance"`
	Transactions   int                   `json:"transactions"`
	Totals         UploadTotals          `json:"totals"`
	Checks         []kobo.StatementCheck `json:"checks"`
	Authenticity   UploadAuthenticity    `json:"authenticity"`
	Merge          *UploadMerge          `json:"merge,omitempty"`
}

// UploadBank is the bank a statement is from.
type UploadBank struct {
	Name     string `json:"name"`
	BankCode string `json:"bank_code"`
}

// UploadPeriod is the statement's period, as dates (YYYY-MM-DD).
type UploadPeriod struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// UploadTotals sums the statement's rows.
type UploadTotals struct {
	Debits  int64 `json:"debits"`
	Credits int64 `json:"credits"`
}

// UploadAuthenticity is the checks' verdict.
type UploadAuthenticity struct {
	Verdict string   `json:"verdict"`
	Reasons []string `json:"reasons"`
}

// UploadMerge says what the upload added to the account's history.
type UploadMerge struct {
	Added      int `json:"added"`
	Duplicates int `json:"already_on_record"`
}

var (
	reBankCode = regexp.MustCompile(`^[0-9]{3,6}$`)
	reNUBAN    = regexp.MustCompile(`^[0-9]{10}$`)
)

// UploadStatement is POST /v2/statements/upload.
func (s *Service) UploadStatement(ctx context.Context, c *kobo.Caller, in UploadInput) (*kobo.StatementUpload, error) {
	if err := s.checkUpload(&in); err != nil {
		return nil, err
	}
	live := c.Mode.IsLive()
	if prev, err := s.uploadByHash(ctx, c.App.ID, live, in.Hash); err != nil {
		return nil, err
	} else if prev != nil {
		return nil, duplicateUpload(prev)
	}
	parsed, totals, err := s.readUpload(ctx, in)
	now := s.now()
	u := &kobo.StatementUpload{ID: kobo.NewID(now), AppID: c.App.ID, Live: live, FileName: clipName(in.Name), FileHash: in.Hash,
		Size: in.Size, BankCode: in.BankCode, Reference: in.Reference, Status: kobo.UploadProcessing, CreatedAt: now, UpdatedAt: now}
	var unreadable *kobo.StatementUnreadable
	switch {
	case errors.As(err, &unreadable):
		// a known format with no statement in it: the upload is recorded
		// FAILED with what was found, and nothing else is written
		u.Format, u.Status, u.Error = unreadable.Format, kobo.UploadFailed, unreadable.Error()
		return u, s.store.Update(ctx, func(tx kobo.Tx) error { return tx.CreateStatementUpload(ctx, u) })
	case err != nil:
		return nil, err
	}
	number := uploadNumber(parsed, in.AccountNumber)
	u.Format = parsed.Format
	if number == "" {
		u.Status, u.Error = kobo.UploadFailed, "the statement prints no account number; send account_number with the upload"
		return u, s.store.Update(ctx, func(tx kobo.Tx) error { return tx.CreateStatementUpload(ctx, u) })
	}
	inst, err := s.uploadInstitution(ctx, parsed.BankCode)
	if err != nil {
		return nil, err
	}
	report := reportOf(parsed, inst, totals)
	report.AccountNumber = number
	u.Report, _ = json.Marshal(report)
	if in.Password != "" {
		if u.Password, err = s.seal(in.Password.Reveal(), "upload:"+u.ID); err != nil {
			return nil, err
		}
	}
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		app, err := tx.App(ctx, c.App.ID)
		if err != nil {
			return err
		}
		if u.CustomerID, _, err = resolveCustomer(ctx, tx, app.ID, live, in.CustomerID, in.CustomerName, in.CustomerEmail, now); err != nil {
			return err
		}
		acct, err := s.uploadAccount(ctx, tx, app, live, inst, number, parsed.AccountName, parsed.Currency, u.CustomerID, in.Reference, u.ID, now)
		if err != nil {
			return err
		}
		u.AccountID = acct.ID
		if err := tx.CreateStatementUpload(ctx, u); err != nil {
			if kobo.ErrorCode(err) == kobo.ECONFLICT { // the same file raced in
				if prev, perr := tx.StatementUploadByHash(ctx, app.ID, live, in.Hash); perr == nil {
					return duplicateUpload(prev)
				}
			}
			return err
		}
		if err := putUploadFile(ctx, tx, u.ID, in.File, in.Size); err != nil {
			return err
		}
		return enqueueIngest(ctx, tx, acct.ID, u.ID, now)
	})
	if err != nil {
		return nil, err
	}
	s.notify()
	s.log.InfoContext(ctx, "statement uploaded", "upload_id", u.ID, "account_id", u.AccountID, "format", u.Format, "rows", parsed.RowCount)
	return u, nil
}

// checkUpload tidies and validates an upload's fields.
func (s *Service) checkUpload(in *UploadInput) error {
	in.BankCode, in.AccountNumber = strings.TrimSpace(in.BankCode), strings.TrimSpace(in.AccountNumber)
	in.CustomerName, in.CustomerEmail = strings.TrimSpace(in.CustomerName), strings.ToLower(strings.TrimSpace(in.CustomerEmail))
	switch {
	case in.File == nil || in.Size == 0:
		return &kobo.Error{Code: kobo.EINVALID, Message: "file is required: send the statement as the multipart field \"file\"", Fields: map[string]string{"file": "is required"}}
	case in.BankCode != "" && !reBankCode.MatchString(in.BankCode):
		return &kobo.Error{Code: kobo.EINVALID, Message: "bank_code must be a CBN or NIP bank code (3 to 6 digits)", Fields: map[string]string{"bank_code": "is invalid"}}
	case in.AccountNumber != "" && !reNUBAN.MatchString(in.AccountNumber):
		return &kobo.Error{Code: kobo.EINVALID, Message: "account_number must be a 10-digit NUBAN", Fields: map[string]string{"account_number": "is invalid"}}
	case in.CustomerEmail != "" && !strings.Contains(in.CustomerEmail, "@"):
		return &kobo.Error{Code: kobo.EINVALID, Message: "customer[email] is not an email address", Fields: map[string]string{"customer.email": "is invalid"}}
	case len(in.Reference) > 100:
		return &kobo.Error{Code: kobo.EINVALID, Message: "ref must be at most 100 characters", Fields: map[string]string{"ref": "is too long"}}
	case s.statements == nil:
		return kobo.Errorf(kobo.EUNAVAILABLE, "statement uploads are not configured on this server")
	}
	return nil
}

// uploadAccount is the account an upload of number at inst extends: the
// app's account built from uploads of that number at that bank, or a new
// one (PROCESSING, announced with account_connected), in tx.
func (s *Service) uploadAccount(ctx context.Context, tx kobo.Tx, app *kobo.App, live bool, inst *kobo.Institution, number, name, currency, customerID, ref, uploadID string, now time.Time) (*kobo.Account, error) {
	fp := s.fingerprint(inst, number, kobo.AuthStatementUpload)
	list, err := tx.AccountsByFingerprint(ctx, app.ID, live, fp)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		if a.AuthMethod == kobo.AuthStatementUpload {
			return a, nil
		}
	}
	acct := &kobo.Account{ID: kobo.NewID(now), AppID: app.ID, Live: live, CustomerID: customerID, InstitutionID: inst.ID,
		AuthMethod: kobo.AuthStatementUpload, ProviderRef: "statement:" + number, Name: name,
		AccountNumber: kobo.AccountNumber(number), Fingerprint: fp, Currency: cmpStr(currency, "NGN"),
		DataStatus: kobo.DataProcessing, Reference: ref, SessionID: uploadID, CreatedAt: now, UpdatedAt: now}
	if err := tx.CreateAccount(ctx, acct); err != nil {
		return nil, err
	}
	if err := s.recordEvent(ctx, tx, app, acct, kobo.EventFacts{Type: kobo.EventAccountConnected, DataStatus: acct.DataStatus}); err != nil {
		return nil, err
	}
	return acct, nil
}

// putUploadFile stores the file a chunk at a time: never more than one
// chunk in memory.
func putUploadFile(ctx context.Context, tx kobo.Tx, uploadID string, file io.ReaderAt, size int64) error {
	buf := make([]byte, min(UploadChunkSize, max(size, 1)))
	for seq, off := 0, int64(0); off < size; seq++ {
		n, err := file.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if err != nil && !(errors.Is(err, io.EOF) && n > 0) {
			return fmt.Errorf("read upload: %w", err)
		}
		if err := tx.PutUploadChunk(ctx, uploadID, seq, buf[:n]); err != nil {
			return err
		}
		off += int64(n)
	}
	return nil
}

// enqueueIngest queues the job that merges an upload into its account.
func enqueueIngest(ctx context.Context, tx kobo.Tx, accountID, uploadID string, now time.Time) error {
	args, _ := json.Marshal(ingestArgs{UploadID: uploadID})
	j := &kobo.Job{ID: kobo.NewID(now) + kobo.RandomToken(6), Kind: JobIngestStatement, Args: args, AccountID: accountID,
		UniqueKey: "fetch:" + accountID + ":" + uploadID, MaxAttempts: 5, RunAt: now, CreatedAt: now, UpdatedAt: now}
	_, err := tx.EnqueueJob(ctx, j)
	return err
}

func duplicateUpload(prev *kobo.StatementUpload) error {
	return kobo.Errorf(kobo.ECONFLICT, "this file was already uploaded as %s (status %s, account %s); upload a different statement", prev.ID, prev.Status, cmpStr(prev.AccountID, "none"))
}

func (s *Service) uploadByHash(ctx context.Context, appID string, live bool, hash string) (*kobo.StatementUpload, error) {
	if hash == "" {
		return nil, nil
	}
	var prev *kobo.StatementUpload
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		prev, err = tx.StatementUploadByHash(ctx, appID, live, hash)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil, nil
	}
	return prev, err
}

// uploadInstitution is the catalog entry an uploaded account belongs to:
// the bank's personal banking entry when the bank is known, else the
// statement provider's "any bank" entry.
func (s *Service) uploadInstitution(ctx context.Context, bankCode string) (*kobo.Institution, error) {
	cat, err := s.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	var anyBank, business *kobo.Institution
	for _, in := range cat.All {
		switch {
		case in.Provider == kobo.StatementProvider:
			anyBank = in
		case bankCode != "" && in.BankCode == bankCode && in.Type == kobo.PersonalBanking:
			return in, nil
		case bankCode != "" && in.BankCode == bankCode:
			business = in
		}
	}
	if business != nil {
		return business, nil
	}
	if anyBank == nil {
		return nil, kobo.Errorf(kobo.EUNAVAILABLE, "the catalog has no entry for uploaded statements; restart kobo to seed it")
	}
	return anyBank, nil
}

// readUpload reads an uploaded file through once, summing its rows as
// they stream by: the request keeps no row, only the totals and what the
// checks need (a 20 MB export's rows held whole, with the job's read of
// the same file starting beside them, took the process past 160 MB).
// Nothing is written until it returns, so a bad row anywhere refuses the
// whole upload.
func (s *Service) readUpload(ctx context.Context, in UploadInput) (*kobo.ParsedStatement, UploadTotals, error) {
	var t UploadTotals
	p, err := s.statements.Read(ctx, in.File, in.Size, in.Name, kobo.StatementReadOptions{Password: in.Password, BankCode: in.BankCode,
		Stream: func(r kobo.StatementRow) error {
			if r.Type == kobo.Debit {
				t.Debits += r.Amount
			} else {
				t.Credits += r.Amount
			}
			return nil
		}})
	return p, t, err
}

func reportOf(p *kobo.ParsedStatement, inst *kobo.Institution, totals UploadTotals) UploadReport {
	r := UploadReport{Format: p.Format, Layout: p.Layout, Bank: UploadBank{Name: p.BankName, BankCode: p.BankCode}, AccountNumber: p.AccountNumber,
		AccountName: p.AccountName, Currency: cmpStr(p.Currency, "NGN"), OpeningBalance: p.Opening, ClosingBalance: p.Closing,
		Transactions: p.RowCount, Checks: p.Checks, Authenticity: UploadAuthenticity{Verdict: p.Verdict, Reasons: p.Reasons}}
	if r.Bank.Name == "" && inst.Provider != kobo.StatementProvider {
		r.Bank.Name = inst.Name
	}
	if r.Checks == nil {
		r.Checks = []kobo.StatementCheck{}
	}
	if r.Authenticity.Reasons == nil {
		r.Authenticity.Reasons = []string{}
	}
	start, end := p.PeriodStart, p.PeriodEnd
	if start.IsZero() && p.RowCount > 0 { // no stated period: the rows' span
		start, end = p.First.Date, p.Last.Date
	}
	if !start.IsZero() {
		r.Period = UploadPeriod{Start: start.Format("2006-01-02"), End: end.Format("2006-01-02")}
	}
	r.Totals = totals
	return r
}

// StatementUpload is GET /v2/statements/uploads/{id}.
func (s *Service) StatementUpload(ctx context.Context, c *kobo.Caller, id string) (*kobo.StatementUpload, error) {
	var u *kobo.StatementUpload
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		u, err = tx.StatementUpload(ctx, id)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND || (err == nil && (u.AppID != c.App.ID || u.Live != c.Mode.IsLive())) {
		return nil, kobo.Errorf(kobo.ENOTFOUND, "statement upload not found")
	}
	return u, err
}

// AccountUploads lists the statement uploads behind an account (the
// dashboard's upload report).
func (s *Service) AccountUploads(ctx context.Context, accountID string) ([]*kobo.StatementUpload, error) {
	var list []*kobo.StatementUpload
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		list, err = tx.StatementUploadsByAccount(ctx, accountID)
		return err
	})
	return list, err
}

// ingestChunk is how many rows of a statement one transaction merges:
// bigger than a bank fetch's chunk (a statement job has nothing to wait
// on between chunks), small enough to keep the write lock brief.
const ingestChunk = 1000

type ingestArgs struct {
	UploadID string `json:"upload_id"`
}

// statementRef is a row's identity within an account's history: its date,
// direction, amount, narration and balance, so the same row in two
// overlapping statements merges into one. The n-th identical row of one
// statement (two equal purchases on a day, no balance printed) gets its
// own ref, the same n in every statement that holds it.
func statementRef(r kobo.StatementRow, n int) string { return refOf(rowSum(r), n) }

// rowSum is the hash a row's ref is made of.
func rowSum(r kobo.StatementRow) [12]byte {
	bal := "-"
	if r.Balance != nil {
		bal = strconv.FormatInt(*r.Balance, 10)
	}
	sum := sha256.Sum256([]byte(r.Date.UTC().Format(time.RFC3339) + "|" + string(r.Type) + "|" + strconv.FormatInt(r.Amount, 10) + "|" +
		strings.ToLower(strings.Join(strings.Fields(r.Narration), " ")) + "|" + bal))
	return [12]byte(sum[:12])
}

func refOf(sum [12]byte, n int) string {
	ref := "stmt_" + hex.EncodeToString(sum[:])
	if n > 0 {
		ref += "_" + strconv.Itoa(n)
	}
	return ref
}

// IngestStatement is the statement.ingest job: it reads the stored file,
// merges its rows into the account (repeats from earlier uploads are
// dropped), sets balance, name and identity from the newest statement,
// and announces the account AVAILABLE with account_updated. Re-running it
// is safe: rows merge by their ref.
func (s *Service) IngestStatement(ctx context.Context, j *kobo.Job) error {
	var args ingestArgs
	if err := json.Unmarshal(j.Args, &args); err != nil {
		return fmt.Errorf("bad job args: %w", err)
	}
	var u *kobo.StatementUpload
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		u, err = tx.StatementUpload(ctx, args.UploadID)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil // unlinked meanwhile
	}
	if err != nil || u.Status != kobo.UploadProcessing {
		return err
	}
	acct, err := s.accountByID(ctx, u.AccountID)
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.now()
	var newest *time.Time
	if newest, err = s.newestTxnDate(ctx, acct.ID); err != nil {
		return err
	}
	var report UploadReport
	_ = json.Unmarshal(u.Report, &report)
	// The rows stream from the stored file into the account a chunk of
	// transactions at a time: a 20 MB export is 300,000 rows, and holding
	// them all (and then all of them as transactions) took the process
	// past 190 MB. The upload request read the same bytes whole before
	// anything was written, so no row here can be one it refused.
	seen := make(map[[12]byte]int32, min(max(report.Transactions, 0), 1_000_000))
	merge := UploadMerge{}
	batch := make([]kobo.Transaction, 0, ingestChunk)
	var writeErr error // a failed write, told apart from a failed read
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.store.Update(ctx, func(tx kobo.Tx) error {
			m, err := tx.InsertTransactions(ctx, acct.ID, batch)
			merge.Added += m.Added + m.Modified
			return err
		})
		clear(batch) // drop the strings before the next chunk fills it
		batch = batch[:0]
		writeErr = err
		return err
	}
	currency := ""
	add := func(r kobo.StatementRow) error {
		sum := rowSum(r)
		n := seen[sum]
		seen[sum]++
		ref := refOf(sum, int(n))
		date := r.Date.UTC().Truncate(time.Microsecond)
		batch = append(batch, kobo.Transaction{ID: txnID(acct.ID, ref, date), AccountID: acct.ID, ProviderRef: ref, Type: r.Type, Amount: r.Amount,
			Narration: r.Narration, Date: date, Balance: r.Balance, Currency: cmpStr(currency, acct.Currency),
			Category: s.categorize(r.Narration, r.Type, r.Amount), CreatedAt: now, UpdatedAt: now})
		if len(batch) == ingestChunk {
			return flush()
		}
		return nil
	}
	if report.Currency != "" {
		currency = report.Currency
	}
	parsed, err := s.readStoredUpload(ctx, u, add)
	if writeErr != nil {
		return writeErr
	}
	if err != nil {
		if kobo.ErrorCode(err) == kobo.EINTERNAL && j.Attempt < j.MaxAttempts {
			return err // retry
		}
		return s.failUpload(ctx, u, acct, err)
	}
	if err := flush(); err != nil {
		return err
	}
	merge.Duplicates = parsed.RowCount - merge.Added
	report.Merge = &merge
	// the newest statement sets the balance: a January statement uploaded
	// after February's does not wind it back
	last := parsed.Last
	isNewest := newest == nil || !last.Date.Before(*newest)
	return s.store.Update(ctx, func(tx kobo.Tx) error {
		cur, err := tx.Account(ctx, acct.ID)
		if kobo.ErrorCode(err) == kobo.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		app, err := tx.App(ctx, cur.AppID)
		if err != nil {
			return err
		}
		if isNewest {
			if parsed.Closing != nil {
				cur.Balance = *parsed.Closing
			} else if last.Balance != nil {
				cur.Balance = *last.Balance
			}
			if parsed.AccountName != "" {
				cur.Name = parsed.AccountName
			}
		}
		if name := cmpStr(cur.Name, parsed.AccountName); name != "" {
			if err := tx.UpsertIdentity(ctx, &kobo.Identity{AccountID: cur.ID, FullName: name, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		cur.Institution = acct.Institution
		cur.RetrievedData = []string{"identity", "balance", "transactions"}
		wasAvailable := cur.DataStatus == kobo.DataAvailable
		cur.DataStatus = kobo.DataAvailable
		cur.LastSyncedAt, cur.NextSyncAt, cur.UpdatedAt = &now, nil, now
		if err := tx.UpdateAccount(ctx, cur); err != nil {
			return err
		}
		u.Status, u.Password, u.UpdatedAt = kobo.UploadAvailable, "", now
		u.Report, _ = json.Marshal(report)
		if err := tx.UpdateStatementUpload(ctx, u); err != nil {
			return err
		}
		f := kobo.EventFacts{Type: kobo.EventAccountUpdated, DataStatus: cur.DataStatus, RetrievedData: cur.RetrievedData, JobID: j.ID}
		if wasAvailable {
			hasNew := merge.Added > 0
			f.SyncStatus, f.HasNewData = "SUCCESSFUL", &hasNew
		}
		return s.recordEvent(ctx, tx, app, cur, f)
	})
}

// readStoredUpload copies the stored file to a temp file (a chunk at a
// time) and streams its rows to rows.
func (s *Service) readStoredUpload(ctx context.Context, u *kobo.StatementUpload, rows func(kobo.StatementRow) error) (*kobo.ParsedStatement, error) {
	if s.statements == nil {
		return nil, kobo.Errorf(kobo.EUNAVAILABLE, "statement uploads are not configured on this server")
	}
	f, err := os.CreateTemp("", "kobo-upload-*")
	if err != nil {
		return nil, kobo.Wrap(kobo.EINTERNAL, err, "could not stage the upload")
	}
	defer os.Remove(f.Name())
	defer f.Close()
	var size int64
	if err := s.store.View(ctx, func(tx kobo.Tx) error {
		return tx.UploadChunks(ctx, u.ID, func(b []byte) error {
			n, err := f.Write(b)
			size += int64(n)
			return err
		})
	}); err != nil {
		return nil, kobo.Wrap(kobo.EINTERNAL, err, "could not read the stored upload")
	}
	var password kobo.Secret
	if u.Password != "" {
		var pw string
		if err := s.unseal(u.Password, "upload:"+u.ID, &pw); err != nil {
			return nil, kobo.Wrap(kobo.EINTERNAL, err, "could not open the stored password")
		}
		password = kobo.Secret(pw)
	}
	p, err := s.statements.Read(ctx, f, size, u.FileName, kobo.StatementReadOptions{Password: password, BankCode: u.BankCode, Stream: rows, NoChecks: true})
	if err == nil && p.RowCount == 0 {
		err = &kobo.StatementUnreadable{Format: p.Format, Found: "no transaction rows"}
	}
	return p, err
}

// failUpload records why a stored upload could not be merged. The
// account keeps what earlier uploads gave it; a new one that never got
// data is FAILED, as Mono marks accounts kobo itself could not fill.
func (s *Service) failUpload(ctx context.Context, u *kobo.StatementUpload, acct *kobo.Account, cause error) error {
	now := s.now()
	return s.store.Update(ctx, func(tx kobo.Tx) error {
		u.Status, u.Error, u.Password, u.UpdatedAt = kobo.UploadFailed, kobo.ErrorMessage(cause), "", now
		var unreadable *kobo.StatementUnreadable
		if errors.As(cause, &unreadable) {
			u.Error = unreadable.Error()
		}
		if err := tx.UpdateStatementUpload(ctx, u); err != nil {
			return err
		}
		cur, err := tx.Account(ctx, acct.ID)
		if err != nil {
			return err
		}
		app, err := tx.App(ctx, cur.AppID)
		if err != nil {
			return err
		}
		cur.DataStatus, cur.UpdatedAt = kobo.NextDataStatus(cur.DataStatus, false, false, true), now
		if err := tx.UpdateAccount(ctx, cur); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, app, cur, kobo.EventFacts{Type: kobo.EventAccountUpdated, DataStatus: cur.DataStatus, RetrievedData: cur.RetrievedData})
	})
}

// statementSyncOutcome is what a sync of an uploaded account answers:
// there is no bank to call.
func statementSyncOutcome() *SyncOutcome {
	return &SyncOutcome{Status: "successful", Code: SyncSuccessful, HasNewData: false,
		Message: "This account is built from uploaded statements; there is no bank to sync with. Upload a newer statement to extend it."}
}

// uploadNumber is the account number a statement is for: the one it
// prints, else the customer's hint.
func uploadNumber(parsed *kobo.ParsedStatement, hint string) string {
	number := cmpStr(digitsOnly(parsed.AccountNumber), hint)
	if !reNUBAN.MatchString(number) && parsed.AccountNumber != "" {
		number = parsed.AccountNumber // an IBAN or another bank's own scheme
	}
	return number
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() != len(strings.TrimSpace(s)) && b.Len() != 10 {
		return s
	}
	return b.String()
}

func clipName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
