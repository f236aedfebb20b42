package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// SignupInput is a new partner's details.
type SignupInput struct {
	Name     string
	Email    string
	Password kobo.Secret
	ClientIP string // feeds the per-address signup throttle
}

// commonPasswords are refused whatever their length (NIST SP 800-63B asks
// for a blocklist instead of composition rules).
var commonPasswords = map[string]bool{
	"password123": true, "password1234": true, "1234567890": true, "12345678910": true, "qwertyuiop": true,
	"iloveyou123": true, "0123456789": true, "passw0rd123": true, "letmein1234": true, "administrator": true,
	"welcome1234": true, "abcdefghij": true, "1111111111": true, "0000000000": true, "changeme123": true,
}

func validEmail(email string) bool {
	if len(email) > 254 || strings.ContainsAny(email, " \t\r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(email, '@')
	return at > 0 && strings.Contains(email[at+1:], ".") && !strings.HasSuffix(email, ".")
}

func checkPassword(v kobo.Invalid, field, pw, email string) {
	n := utf8.RuneCountInString(pw)
	switch {
	case pw == "":
		v.Add(field, "is required")
	case n < 10:
		v.Add(field, "must be at least 10 characters")
	case len(pw) > 128:
		v.Add(field, "must be at most 128 bytes")
	case commonPasswords[strings.ToLower(pw)] || strings.Count(pw, pw[:1]) == len(pw):
		v.Add(field, "is too common; choose a passphrase only you would use")
	case email != "" && strings.EqualFold(pw, email):
		v.Add(field, "must not be your email address")
	}
}

// Signup creates a partner. Errors: EINVALID naming each bad field,
// ECONFLICT when the email is taken, ERATELIMIT when the address has
// signed up too often (checked before anything is hashed or written),
// EUNAVAILABLE when too many passwords are being hashed at once.
func (s *Service) Signup(ctx context.Context, in SignupInput) (*kobo.Partner, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	v := kobo.Invalid{}
	switch {
	case in.Name == "":
		v.Add("name", "is required")
	case utf8.RuneCountInString(in.Name) > 100:
		v.Add("name", "must be at most 100 characters")
	}
	checkText(v, "name", in.Name)
	checkText(v, "email", in.Email)
	switch {
	case in.Email == "":
		v.Add("email", "is required")
	case !validEmail(in.Email):
		v.Add("email", "must be a valid email address like you@company.com")
	}
	checkPassword(v, "password", in.Password.Reveal(), in.Email)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := s.takeThrottle(ctx, s.throttles.signup(), in.ClientIP, "too many signups from this address; try again later"); err != nil {
		return nil, err
	}
	hash, err := s.hash(ctx, in.Password.Reveal())
	if err != nil {
		return nil, err
	}
	now := s.now()
	p := &kobo.Partner{ID: kobo.NewID(now), Name: in.Name, Email: in.Email, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	err = s.store.Update(ctx, func(tx kobo.Tx) error { return tx.CreatePartner(ctx, p) })
	if kobo.ErrorCode(err) == kobo.ECONFLICT {
		return nil, &kobo.Error{Code: kobo.ECONFLICT, Message: "email is already registered; log in instead", Fields: map[string]string{"email": "is already registered"}, Err: err}
	}
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "partner signed up", "partner_id", p.ID)
	return p, nil
}

// SignupSession signs a partner up and issues them a token of the given
// kind at once: the dashboard's signup, which must not half-succeed (an
// account made, then a login refused by a throttle).
func (s *Service) SignupSession(ctx context.Context, in SignupInput, kind string) (*Token, error) {
	p, err := s.Signup(ctx, in)
	if err != nil {
		return nil, err
	}
	return s.issueToken(ctx, p, kind)
}

// Token is a freshly issued bearer token; Value is shown once.
type Token struct {
	Value     kobo.Secret
	ExpiresAt time.Time
	Partner   *kobo.Partner
}

// Login checks an email and password and issues a bearer token of the
// given kind ("api" or "dashboard"). Failed attempts are counted per
// (email, clientIP), per email from every address (a high backstop) and
// per address; successful ones are not, so a guesser elsewhere cannot
// lock a partner out of their own address. Errors: EINVALID,
// EUNAUTHORIZED (same message for unknown email and wrong password),
// ERATELIMIT, EUNAVAILABLE (too many password checks at once).
func (s *Service) Login(ctx context.Context, email string, password kobo.Secret, clientIP, kind string) (*Token, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	v := kobo.Invalid{}
	if email == "" {
		v.Add("email", "is required")
	}
	if password == "" {
		v.Add("password", "is required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if ok, wait := s.ipLimiter.Allow("ip:" + clientIP); !ok {
		return nil, &kobo.Error{Code: kobo.ERATELIMIT, Message: "too many login attempts from this address; try again later", RetryAfter: wait}
	}
	counters := s.throttles.login(email, clientIP)
	if err := s.throttled(ctx, "too many failed logins; try again later", counters...); err != nil {
		return nil, err
	}
	var p *kobo.Partner
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		p, err = tx.PartnerByEmail(ctx, email)
		return err
	})
	hash := ""
	switch kobo.ErrorCode(err) {
	case "":
		hash = p.PasswordHash
	case kobo.ENOTFOUND:
		hash = s.dummyPW() // same work as a real check, so timing does not tell
	default:
		return nil, err
	}
	ok, err := s.verify(ctx, password.Reveal(), hash)
	if err != nil {
		return nil, err
	}
	if ok && p != nil {
		// only the right password learns of a hold: a suspension is no
		// oracle for which emails have accounts
		if err := s.store.View(ctx, func(tx kobo.Tx) error { return memberHeld(ctx, tx, p.ID) }); err != nil {
			return nil, err
		}
		return s.issueToken(ctx, p, kind)
	}
	if p != nil {
		s.log.InfoContext(ctx, "partner login failed", "partner_id", p.ID)
	}
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		for _, c := range counters {
			if _, _, err := s.countThrottle(ctx, tx, c.th, c.key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return nil, kobo.Errorf(kobo.EUNAUTHORIZED, "invalid email or password")
}

func (s *Service) issueToken(ctx context.Context, p *kobo.Partner, kind string) (*Token, error) {
	raw := "kobo_pat_" + kobo.RandomToken(40)
	now := s.now()
	c := clientFrom(ctx)
	t := &kobo.PartnerToken{Hash: hashToken(raw), PartnerID: p.ID, Kind: kind, CreatedAt: now, ExpiresAt: now.Add(s.tokenTTL), UserAgent: c.UserAgent, IP: c.IP}
	if err := s.store.Update(ctx, func(tx kobo.Tx) error { return tx.CreatePartnerToken(ctx, t) }); err != nil {
		return nil, err
	}
	return &Token{Value: kobo.Secret(raw), ExpiresAt: t.ExpiresAt, Partner: p}, nil
}

func hashToken(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// AuthenticatePartner resolves a bearer token. Errors: EUNAUTHORIZED for a
// missing, unknown or expired token.
func (s *Service) AuthenticatePartner(ctx context.Context, bearer string) (*kobo.Partner, error) {
	if bearer == "" {
		return nil, kobo.Errorf(kobo.EUNAUTHORIZED, "missing bearer token: send Authorization: Bearer <token> from POST /v1/auth/login")
	}
	var p *kobo.Partner
	var t *kobo.PartnerToken
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		t, err = tx.PartnerTokenByHash(ctx, hashToken(bearer))
		if err != nil {
			return err
		}
		if !s.clock.Now().Before(t.ExpiresAt) {
			return kobo.Errorf(kobo.EUNAUTHORIZED, "token expired: log in again")
		}
		p, err = tx.PartnerByID(ctx, t.PartnerID)
		if err != nil {
			return err
		}
		return memberHeld(ctx, tx, p.ID)
	})
	if kobo.ErrorCode(err) == kobo.ENOTFOUND {
		return nil, kobo.Errorf(kobo.EUNAUTHORIZED, "invalid bearer token")
	}
	if err == nil {
		s.touchSession(ctx, t)
	}
	return p, err
}

// Logout revokes a bearer token.
func (s *Service) Logout(ctx context.Context, bearer string) error {
	return s.store.Update(ctx, func(tx kobo.Tx) error { return tx.DeletePartnerToken(ctx, hashToken(bearer)) })
}

// ChangePassword checks the current password, sets a new one and signs out
// every session; it returns a fresh token of the given kind. bearer is the
// token the request came with: wrong current passwords are counted per
// token, so a stolen session cannot guess its way to the password.
func (s *Service) ChangePassword(ctx context.Context, partnerID, bearer string, current, next kobo.Secret, kind string) (*Token, error) {
	th := s.throttles.password()
	tooMany := "too many wrong current passwords; try again later"
	if err := s.throttled(ctx, tooMany, counter{th, hashToken(bearer)}); err != nil {
		return nil, err
	}
	var p *kobo.Partner
	if err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		p, err = tx.PartnerByID(ctx, partnerID)
		return err
	}); err != nil {
		return nil, err
	}
	v := kobo.Invalid{}
	checkPassword(v, "new_password", next.Reveal(), p.Email)
	ok, err := s.verify(ctx, current.Reveal(), p.PasswordHash)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := s.takeThrottle(ctx, th, hashToken(bearer), tooMany); err != nil {
			return nil, err
		}
		v.Add("current_password", "is not your current password")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hash(ctx, next.Reveal())
	if err != nil {
		return nil, err
	}
	now := s.now()
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.UpdatePartnerPassword(ctx, p.ID, hash, now); err != nil {
			return err
		}
		return tx.DeletePartnerTokens(ctx, p.ID)
	})
	if err != nil {
		return nil, err
	}
	return s.issueToken(ctx, p, kind)
}
