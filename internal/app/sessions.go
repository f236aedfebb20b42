package app

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Sessions and password resets of dashboard and Partner API logins.

// Audit actions of sessions and password resets.
const (
	AuditPasswordResetRequested = "password.reset_requested"
	AuditPasswordReset          = "password.reset"
	AuditSessionEnded           = "session.ended"
	AuditSessionsOthersEnded    = "sessions.others_ended"
)

// resetTTL is how long a "forgot password" link works.
const resetTTL = 30 * time.Minute

// touchEvery bounds how often a session's last use is written: a page
// view is not worth a write each.
const touchEvery = time.Minute

// Client is where a request came from, kept with the sessions it makes.
type Client struct {
	IP        string
	UserAgent string
}

type clientKey struct{}

// WithClient returns ctx carrying c.
func WithClient(ctx context.Context, c Client) context.Context {
	if n := 300; len(c.UserAgent) > n {
		c.UserAgent = c.UserAgent[:n]
		for !utf8.ValidString(c.UserAgent) {
			c.UserAgent = c.UserAgent[:len(c.UserAgent)-1]
		}
	}
	return context.WithValue(ctx, clientKey{}, c)
}

func clientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// Session is one of a login's sessions as its Sessions page shows it.
type Session struct {
	*kobo.PartnerToken
	Current bool // the one the request came with
}

// Sessions lists the login's sessions that have not expired, newest
// first, marking the current one.
func (s *Service) Sessions(ctx context.Context, partnerID, bearer string) ([]Session, error) {
	var list []*kobo.PartnerToken
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		list, err = tx.PartnerTokens(ctx, partnerID, s.now())
		return err
	})
	cur := hashToken(bearer)
	out := make([]Session, 0, len(list))
	for _, t := range list {
		out = append(out, Session{PartnerToken: t, Current: t.Hash == cur})
	}
	return out, err
}

// EndSession signs one of the login's other sessions out; the current one
// ends by logging out.
func (s *Service) EndSession(ctx context.Context, partnerID, bearer, hash string) error {
	if hash == hashToken(bearer) {
		return kobo.Errorf(kobo.EINVALID, "That is this session: use Log out to end it.")
	}
	return s.store.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.DeletePartnerTokenOf(ctx, partnerID, hash); err != nil {
			if kobo.ErrorCode(err) == kobo.ENOTFOUND {
				return kobo.Errorf(kobo.ENOTFOUND, "That session has ended already.")
			}
			return err
		}
		return s.audit(ctx, tx, partnerID, "", AuditSessionEnded, "session "+shortHash(hash), "signed out from the Sessions page", nil)
	})
}

// EndOtherSessions signs out every session of the login but the current
// one and says how many ended.
func (s *Service) EndOtherSessions(ctx context.Context, partnerID, bearer string) (int, error) {
	var n int
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		var err error
		if n, err = tx.DeletePartnerTokensExcept(ctx, partnerID, hashToken(bearer)); err != nil || n == 0 {
			return err
		}
		return s.audit(ctx, tx, partnerID, "", AuditSessionsOthersEnded, "", strconv.Itoa(n)+" other sessions signed out", nil)
	})
	return n, err
}

func shortHash(h string) string {
	if len(h) > 8 {
		return h[:8]
	}
	return h
}

// touchSession records a session's use, at most once per touchEvery.
func (s *Service) touchSession(ctx context.Context, t *kobo.PartnerToken) {
	now := s.now()
	if t.LastSeenAt != nil && now.Sub(*t.LastSeenAt) < touchEvery {
		return
	}
	if err := s.store.Update(ctx, func(tx kobo.Tx) error { return tx.TouchPartnerToken(ctx, t.Hash, now) }); err != nil {
		// the page still works; only its "last seen" is stale
		s.log.WarnContext(ctx, "record session use", "err", err)
	}
}

// ResetLink is a new password reset and its token, which exists only
// here: the link is built on it and sent (or logged) once.
type ResetLink struct {
	Partner   *kobo.Partner
	Token     kobo.Secret
	ExpiresAt time.Time
}

func (t Throttles) resets(email, address string) []counter {
	return []counter{
		{throttle{"reset-email", 3, time.Hour}, email},
		{throttle{"reset-address", 10, time.Hour}, address},
	}
}

// RequestPasswordReset makes a reset link for email. It returns nil, and
// no error, when no login has that email: the page says the same either
// way, so it tells nobody which emails have accounts. Every request
// counts against the email and the client address (ERATELIMIT beyond).
func (s *Service) RequestPasswordReset(ctx context.Context, email, clientIP string) (*ResetLink, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !validEmail(email) {
		return nil, kobo.Invalid{"email": "must be an email address"}.Err()
	}
	for _, c := range s.throttles.resets(email, clientIP) {
		if err := s.takeThrottle(ctx, c.th, c.key, "too many password reset requests; try again later"); err != nil {
			return nil, err
		}
	}
	tok := kobo.RandomToken(40)
	now := s.now()
	var out *ResetLink
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		p, err := tx.PartnerByEmail(ctx, email)
		if kobo.ErrorCode(err) == kobo.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		r := &kobo.PasswordReset{TokenHash: hashToken(tok), PartnerID: p.ID, CreatedAt: now, ExpiresAt: now.Add(resetTTL)}
		if err := tx.CreatePasswordReset(ctx, r); err != nil {
			return err
		}
		out = &ResetLink{Partner: p, Token: kobo.Secret(tok), ExpiresAt: r.ExpiresAt}
		ctx := WithActor(ctx, Actor{ID: p.ID, Email: p.Email, Source: "dashboard"})
		return s.audit(ctx, tx, p.ID, "", AuditPasswordResetRequested, p.Email, "reset link requested from "+cmpOrStr(clientIP, "an unknown address"), nil)
	})
	return out, err
}

func resetGone(err error) error {
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return kobo.Errorf(kobo.EGONE, "This password reset link is not valid any more: it was used, it expired (links work for 30 minutes), or a newer one replaced it. Ask for a new one.")
	}
	return err
}

// CheckPasswordReset says whether a reset link still works (EGONE if not).
func (s *Service) CheckPasswordReset(ctx context.Context, token string) error {
	return s.store.View(ctx, func(tx kobo.Tx) error {
		r, err := tx.PasswordReset(ctx, hashToken(token))
		if err != nil {
			return resetGone(err)
		}
		if r.UsedAt != nil || !s.now().Before(r.ExpiresAt) {
			return resetGone(kobo.Errorf(kobo.ENOTFOUND, "used or expired"))
		}
		return nil
	})
}

// ResetPassword sets a new password with a reset link, once, and ends
// every session of the login (whoever knew the old password is out).
func (s *Service) ResetPassword(ctx context.Context, token string, next kobo.Secret) error {
	if err := s.CheckPasswordReset(ctx, token); err != nil {
		return err
	}
	var p *kobo.Partner
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		r, err := tx.PasswordReset(ctx, hashToken(token))
		if err != nil {
			return resetGone(err)
		}
		p, err = tx.PartnerByID(ctx, r.PartnerID)
		return err
	})
	if err != nil {
		return err
	}
	v := kobo.Invalid{}
	checkPassword(v, "password", next.Reveal(), p.Email)
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := s.hash(ctx, next.Reveal())
	if err != nil {
		return err
	}
	ctx = WithActor(ctx, Actor{ID: p.ID, Email: p.Email, Source: "dashboard"})
	return s.store.Update(ctx, func(tx kobo.Tx) error {
		now := s.now()
		if _, err := tx.UsePasswordReset(ctx, hashToken(token), now); err != nil {
			return resetGone(err) // used meanwhile: single use holds under a race too
		}
		if err := tx.UpdatePartnerPassword(ctx, p.ID, hash, now); err != nil {
			return err
		}
		if err := tx.DeletePartnerTokens(ctx, p.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.ID, "", AuditPasswordReset, p.Email, "password set with a reset link; every session signed out", nil)
	})
}
