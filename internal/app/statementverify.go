package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// A statement PDF carries a verification block: its id and a URL (also
// as a QR code) that opens kobo's verification page, where a loan officer
// sees what kobo issued (period, bank, masked account, issue time and the
// SHA-256 of the PDF) and can check a file against it. The URL carries a
// token, an HMAC of the statement id under the key that signs statement
// downloads (kept in the database, so every replica agrees): statement
// ids cannot be walked to learn who banks where, and nothing extra is
// stored.

// StatementVerifyPath is where the verification page is served.
const StatementVerifyPath = "/verify/statements/"

func (s *Service) statementToken(id string) string {
	m := hmac.New(sha256.New, s.urlKey) // the statement-links key, shared by every replica
	m.Write([]byte("statement-verify:" + id))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// StatementVerifyURL is the statement's verification address.
func (s *Service) StatementVerifyURL(id string) string {
	return strings.TrimRight(s.publicURL, "/") + StatementVerifyPath + url.PathEscape(id) + "?t=" + s.statementToken(id)
}

// StatementCheck is what the verification page shows.
type StatementCheck struct {
	ID            string
	Status        string // BUILT (valid), or BUILDING / FAILED
	Live          bool
	From, To      time.Time
	IssuedAt      *time.Time
	Institution   string
	AccountMasked string
	Holder        string
	Requester     string // the partner's business name as its customers see it
	SHA256        string // of the PDF kobo issued
}

// VerifyStatement answers the verification page. A wrong token and an
// unknown (or deleted, with its unlinked account) statement are the same
// ENOTFOUND, so the page tells a forger nothing.
func (s *Service) VerifyStatement(ctx context.Context, id, token string) (*StatementCheck, error) {
	notFound := kobo.Errorf(kobo.ENOTFOUND, "no statement matches this verification link")
	if !hmac.Equal([]byte(token), []byte(s.statementToken(id))) {
		return nil, notFound
	}
	var out *StatementCheck
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		st, err := tx.Statement(ctx, id, true)
		if err != nil {
			return err
		}
		acct, err := tx.Account(ctx, st.AccountID)
		if err != nil {
			return err
		}
		a, err := tx.App(ctx, st.AppID)
		if err != nil {
			return err
		}
		out = &StatementCheck{ID: st.ID, Status: st.Status, Live: st.Live, From: st.From, To: st.To, IssuedAt: st.BuiltAt,
			AccountMasked: maskNumber(string(acct.AccountNumber)), Holder: acct.Name, Requester: cmpStr(a.DisplayName, a.Name)}
		if len(st.PDF) > 0 {
			sum := sha256.Sum256(st.PDF)
			out.SHA256 = hex.EncodeToString(sum[:])
		}
		out.Institution = acct.InstitutionID
		return nil
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	if in, err := s.Institution(ctx, out.Institution); err == nil {
		out.Institution = in.Name
	}
	return out, nil
}

// maskNumber keeps the last four digits: the page is open to anyone with
// the link, which travels with the PDF.
func maskNumber(n string) string {
	if len(n) <= 4 {
		return strings.Repeat("•", len(n))
	}
	return strings.Repeat("•", len(n)-4) + n[len(n)-4:]
}
