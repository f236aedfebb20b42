package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Statement uploads in the Connect widget follow the login flow: the
// widget opens a connect session (counted against the public key's
// hourly cap, as a login's is), the file is read inside that session and
// staged with it, the customer confirms the summary, and only the
// partner's code exchange, with the secret key, makes the account. A
// public key alone therefore cannot create accounts, and what a customer
// abandons (a staged file with no exchange) is pruned once its session
// and code can no longer be used.

// MaxUploadTries is how many files one connect session may read
// (refusals, wrong passwords and re-uploads included): reading is the
// expensive step a public key can ask for.
const MaxUploadTries = 5

// stagedUploadTTL is how long a staged upload can still be exchanged: its
// session's lifetime and then the code's, with a margin.
const stagedUploadTTL = SessionTTL + CodeTTL + 5*time.Minute

// uploadForm is what a statement-upload session asks the customer for.
var uploadForm = kobo.UIForm{Title: "Upload a statement", Form: []kobo.FormField{
	{Type: "elements.file", Name: "file", Hint: "Your bank statement: PDF, CSV, Excel, camt.053, OFX, MT940 or MyBankStatement JSON"}}}

// uploadMethod is the statement upload offered beside every bank's logins.
func uploadMethod() kobo.AuthMethod {
	return kobo.AuthMethod{Type: kobo.AuthStatementUpload, Name: "Upload a statement", UI: uploadForm}
}

// StageStatementUpload is the widget's POST /connect/api/statement: it
// reads the file inside the upload session and stages it with its parse
// summary. Nothing outside the session is written: no account, no job.
// Uploading again in the same session replaces the staged file.
func (s *Service) StageStatementUpload(ctx context.Context, c *kobo.Caller, sessionID string, in UploadInput) (*kobo.StatementUpload, error) {
	cs, err := s.uploadSession(ctx, c, sessionID)
	if err != nil {
		return nil, err
	}
	in.BankCode, in.CustomerID, in.CustomerName, in.CustomerEmail, in.Reference = "", "", "", "", ""
	if err := s.checkUpload(&in); err != nil {
		return nil, err
	}
	inst, err := s.Institution(ctx, cs.InstitutionID)
	if err != nil {
		return nil, err
	}
	if inst.Provider != kobo.StatementProvider {
		in.BankCode = inst.BankCode // the bank the customer chose is the hint
	}
	// submitted: the statement stands in for the login
	if err := s.holdAt(ctx, cs, kobo.StageSubmitted); err != nil {
		return nil, err
	}
	cs.Attempts++
	refuse := func(err error) (*kobo.StatementUpload, error) {
		if cs.Attempts >= MaxUploadTries {
			_ = s.failSession(ctx, cs, "too many uploads")
			return nil, &kobo.Error{Code: kobo.EINVALID, Message: kobo.ErrorMessage(err) + ". Too many uploads in this session: it is closed; start again", Closed: "attempts"}
		}
		_ = s.save(ctx, cs)
		if e := (*kobo.Error)(nil); errors.As(err, &e) && e.Code == kobo.EINVALID {
			e.AttemptsLeft = MaxUploadTries - cs.Attempts
		}
		return nil, err
	}
	parsed, totals, err := s.readUpload(ctx, in)
	var unreadable *kobo.StatementUnreadable
	switch {
	case errors.As(err, &unreadable):
		return refuse(&kobo.Error{Code: kobo.EINVALID, Message: unreadable.Error(), Fields: map[string]string{"file": "holds no statement"}})
	case err != nil:
		return refuse(err)
	case parsed.RowCount == 0:
		return refuse(&kobo.Error{Code: kobo.EINVALID, Message: "the file holds no transaction rows", Fields: map[string]string{"file": "holds no transactions"}})
	}
	number := uploadNumber(parsed, in.AccountNumber)
	if number == "" {
		return refuse(&kobo.Error{Code: kobo.EINVALID, Message: "the statement prints no account number; enter it and upload again",
			Fields: map[string]string{"account_number": "is required for this statement"}})
	}
	if err := s.clearDuplicateStage(ctx, cs, in.Hash); err != nil {
		return refuse(err)
	}
	bankInst, err := s.uploadInstitution(ctx, parsed.BankCode)
	if err != nil {
		_ = s.save(ctx, cs)
		return nil, err
	}
	now := s.now()
	report := reportOf(parsed, bankInst, totals)
	report.AccountNumber = number
	u := &kobo.StatementUpload{ID: kobo.NewID(now), AppID: cs.AppID, Live: cs.Live, SessionID: cs.ID, CustomerID: cs.CustomerID,
		FileName: clipName(in.Name), FileHash: in.Hash, Size: in.Size, Format: parsed.Format, BankCode: in.BankCode,
		Reference: cs.Reference, Status: kobo.UploadStaged, CreatedAt: now, UpdatedAt: now}
	u.Report, _ = json.Marshal(report)
	if in.Password != "" {
		if u.Password, err = s.seal(in.Password.Reveal(), "upload:"+u.ID); err != nil {
			_ = s.save(ctx, cs)
			return nil, err
		}
	}
	cs.Form, cs.UpdatedAt = kobo.UIForm{Title: "Confirm your statement"}, now
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		if prev, err := tx.StagedUpload(ctx, cs.ID); err == nil {
			if err := tx.DeleteStatementUpload(ctx, prev.ID); err != nil {
				return err
			}
		} else if kobo.ErrorCode(err) != kobo.ENOTFOUND {
			return err
		}
		if err := tx.CreateStatementUpload(ctx, u); err != nil {
			if kobo.ErrorCode(err) == kobo.ECONFLICT {
				return kobo.Errorf(kobo.ECONFLICT, "this file is being uploaded in another session; upload a different statement")
			}
			return err
		}
		if err := putUploadFile(ctx, tx, u.ID, in.File, in.Size); err != nil {
			return err
		}
		return tx.UpdateConnectSession(ctx, cs) // releases the hold
	})
	if err != nil {
		_ = s.save(ctx, cs)
		return nil, err
	}
	return u, nil
}

// clearDuplicateStage refuses a file the app already has, except one
// staged in a session nobody can finish any more (abandoned, failed or
// expired, or this very session), which is dropped so the customer can
// start again with the same file.
func (s *Service) clearDuplicateStage(ctx context.Context, cs *kobo.ConnectSession, hash string) error {
	prev, err := s.uploadByHash(ctx, cs.AppID, cs.Live, hash)
	if err != nil || prev == nil {
		return err
	}
	if prev.Status != kobo.UploadStaged {
		return duplicateUpload(prev)
	}
	if prev.SessionID == cs.ID {
		return nil // replaced when the new one is staged
	}
	return s.store.Update(ctx, func(tx kobo.Tx) error {
		other, err := tx.ConnectSession(ctx, prev.SessionID)
		switch {
		case kobo.ErrorCode(err) == kobo.ENOTFOUND:
		case err != nil:
			return err
		case other.State == kobo.SessionLinked && other.CodeExpiresAt != nil && s.clock.Now().Before(*other.CodeExpiresAt):
			return kobo.Errorf(kobo.ECONFLICT, "this file was just uploaded and confirmed in another session; upload a different statement")
		}
		// abandoned, failed or expired, or another widget still open with
		// the same file: the newer upload wins, and the older session's
		// confirm finds nothing staged
		err = tx.DeleteStatementUpload(ctx, prev.ID)
		if kobo.ErrorCode(err) == kobo.ENOTFOUND {
			return nil
		}
		return err
	})
}

// ConfirmStatementUpload is the widget's POST /connect/api/statement/confirm:
// the customer accepted the summary, and the session answers the code the
// widget hands to onSuccess, as a finished login does.
func (s *Service) ConfirmStatementUpload(ctx context.Context, c *kobo.Caller, sessionID string) (*ConnectStep, error) {
	cs, err := s.uploadSession(ctx, c, sessionID)
	if err != nil {
		return nil, err
	}
	if err := s.hold(ctx, cs); err != nil {
		return nil, err
	}
	var staged *kobo.StatementUpload
	err = s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		staged, err = tx.StagedUpload(ctx, cs.ID)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		_ = s.save(ctx, cs)
		return nil, &kobo.Error{Code: kobo.EINVALID, Message: "upload the statement before confirming it", Fields: map[string]string{"file": "is required"}}
	}
	if err != nil {
		_ = s.save(ctx, cs)
		return nil, err
	}
	if err := moveTo(cs, kobo.SessionLinked); err != nil {
		return nil, err
	}
	code := "code_" + kobo.RandomToken(24)
	exp := s.now().Add(CodeTTL)
	cs.CodeHash, cs.CodeExpiresAt, cs.Form = hashToken(code), &exp, kobo.UIForm{Title: "Linked"}
	if err := s.save(ctx, cs); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "statement upload confirmed", "session", cs.ID, "upload_id", staged.ID, "format", staged.Format)
	return &ConnectStep{ResponseCode: CodeLinked, Message: "Statement confirmed", Code: code, Session: cs}, nil
}

// uploadSession loads a statement-upload session that is still waiting
// for its file or its confirmation.
func (s *Service) uploadSession(ctx context.Context, c *kobo.Caller, sessionID string) (*kobo.ConnectSession, error) {
	cs, err := s.liveSession(ctx, c, sessionID)
	if err != nil {
		return nil, err
	}
	switch {
	case cs.AuthMethod != kobo.AuthStatementUpload:
		return nil, kobo.Errorf(kobo.EINVALID, "this session is for a bank login (%s); open a session with auth_method statement_upload to upload a statement", cs.AuthMethod)
	case cs.State != kobo.SessionCreated:
		return nil, kobo.Errorf(kobo.EINVALID, "this statement is already confirmed (state %s); exchange the code", cs.State)
	}
	return cs, nil
}

// finishUploadLink is the exchange of a statement-upload session's code:
// the staged upload gets its account (a new one, or the one earlier
// uploads of the same number built), the ingest job is queued, and the
// session is closed, in one transaction.
func (s *Service) finishUploadLink(ctx context.Context, cs *kobo.ConnectSession) (*kobo.Account, error) {
	var staged *kobo.StatementUpload
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		staged, err = tx.StagedUpload(ctx, cs.ID)
		return err
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil, kobo.Errorf(kobo.EGONE, "the statement behind this code is no longer kept; the customer must upload it again")
	}
	if err != nil {
		return nil, err
	}
	var rep UploadReport
	if err := json.Unmarshal(staged.Report, &rep); err != nil {
		return nil, fmt.Errorf("staged upload %s: report: %w", staged.ID, err)
	}
	inst, err := s.uploadInstitution(ctx, rep.Bank.BankCode)
	if err != nil {
		return nil, err
	}
	var acct *kobo.Account
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		u, err := tx.StagedUpload(ctx, cs.ID) // again: pruning may have run
		if kobo.ErrorCode(err) == kobo.ENOTFOUND {
			return kobo.Errorf(kobo.EGONE, "the statement behind this code is no longer kept; the customer must upload it again")
		}
		if err != nil {
			return err
		}
		app, err := tx.App(ctx, cs.AppID)
		if err != nil {
			return err
		}
		now := s.now()
		if acct, err = s.uploadAccount(ctx, tx, app, cs.Live, inst, rep.AccountNumber, rep.AccountName, rep.Currency, cs.CustomerID, cs.Reference, u.ID, now); err != nil {
			return err
		}
		u.AccountID, u.Status, u.UpdatedAt = acct.ID, kobo.UploadProcessing, now
		if err := tx.UpdateStatementUpload(ctx, u); err != nil {
			return err
		}
		if err := enqueueIngest(ctx, tx, acct.ID, u.ID, now); err != nil {
			return err
		}
		if err := moveTo(cs, kobo.SessionExchanged); err != nil {
			return err
		}
		cs.AccountID, cs.Accounts, cs.BankSession, cs.Challenge, cs.UpdatedAt = acct.ID, "", "", "", now
		return tx.UpdateConnectSession(ctx, cs)
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "statement upload exchanged", "upload_id", staged.ID, "account_id", acct.ID)
	return acct, nil
}

// PruneStagedUploads deletes the widget uploads nobody exchanged, with
// their files, once their code can no longer be used.
func (s *Service) PruneStagedUploads(ctx context.Context) (int, error) {
	before := s.clock.Now().Add(-stagedUploadTTL)
	total := 0
	for {
		var n int
		if err := s.store.Update(ctx, func(tx kobo.Tx) error {
			var err error
			n, err = tx.PruneStagedUploads(ctx, before, pruneBatch)
			return err
		}); err != nil {
			return total, err
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
