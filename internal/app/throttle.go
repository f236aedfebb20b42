package app

import (
	"context"
	"fmt"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// A throttle allows Limit events per Period for each key of one kind,
// counted in the database so every replica enforces the same limit. It
// guards what an attacker can repeat cheaply and kobo pays for dearly: a
// password guess (argon2id), a signup, a connect session or a customer
// created with a public key.
type throttle struct {
	Name   string // key prefix, and what the 429 message says
	Limit  int
	Period time.Duration
}

// Throttles are the abuse limits; zero fields take the defaults below.
type Throttles struct {
	// LoginPair: failed logins per (email, address). It is what stops a
	// password guesser, and it cannot lock the partner out from their own
	// address.
	LoginPair int
	// LoginEmail: failed logins per email from every address together, the
	// backstop against guessing spread over many addresses. Ten times the
	// pair limit, so locking a partner out takes a botnet, and only for
	// the rest of the hour.
	LoginEmail int
	// LoginAddress: failed logins per address across every email
	// (credential stuffing).
	LoginAddress int
	// SignupsPerAddress per hour.
	SignupsPerAddress int
	// PasswordChecks: wrong current passwords per bearer token per 15
	// minutes (a stolen token must not become a password oracle).
	PasswordChecks int
	// SessionsPerPublicKey and CustomersPerPublicKey cap what the widget's
	// public key (or a Connect Link) creates per hour: the key is public,
	// so without a cap anyone can fill an app's customer list and session
	// table.
	SessionsPerPublicKey  int
	CustomersPerPublicKey int
}

func (t Throttles) withDefaults() Throttles {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&t.LoginPair, 10)
	def(&t.LoginEmail, 100)
	def(&t.LoginAddress, 100)
	def(&t.SignupsPerAddress, 10)
	def(&t.PasswordChecks, 5)
	def(&t.SessionsPerPublicKey, 1000)
	def(&t.CustomersPerPublicKey, 300)
	return t
}

// counter is one throttle's count for one key.
type counter struct {
	th  throttle
	key string
}

// login is what counts a failed login.
func (t Throttles) login(email, address string) []counter {
	return []counter{
		{throttle{"login", t.LoginPair, 15 * time.Minute}, email + "\x00" + address},
		{throttle{"login-email", t.LoginEmail, time.Hour}, email},
		{throttle{"login-address", t.LoginAddress, 15 * time.Minute}, address},
	}
}
func (t Throttles) signup() throttle { return throttle{"signup", t.SignupsPerAddress, time.Hour} }
func (t Throttles) password() throttle {
	return throttle{"password", t.PasswordChecks, 15 * time.Minute}
}
func (t Throttles) sessions() throttle {
	return throttle{"sessions", t.SessionsPerPublicKey, time.Hour}
}
func (t Throttles) customers() throttle {
	return throttle{"customers", t.CustomersPerPublicKey, time.Hour}
}

// throttleKey names a counter. Keys are hashed: the table then holds no
// email address or client address in the clear.
func throttleKey(th throttle, key string) string {
	return th.Name + ":" + hashToken(th.Name + "\x00" + key)[:32]
}

func (s *Service) window(th throttle) (start, end time.Time) {
	start = s.now().Truncate(th.Period)
	return start, start.Add(th.Period)
}

func (s *Service) limited(end time.Time, message string) error {
	wait := end.Sub(s.clock.Now())
	if wait < time.Second {
		wait = time.Second
	}
	return &kobo.Error{Code: kobo.ERATELIMIT, RetryAfter: wait, Message: message}
}

// throttled reports ERATELIMIT when any of counters has used up its
// throttle in this window, without counting anything (a check before work
// whose failure alone is counted, like a login).
func (s *Service) throttled(ctx context.Context, message string, counters ...counter) error {
	var over *time.Time
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		for _, c := range counters {
			start, end := s.window(c.th)
			n, err := tx.ThrottleHits(ctx, throttleKey(c.th, c.key), start)
			if err != nil {
				return err
			}
			if n >= c.th.Limit && (over == nil || end.After(*over)) {
				over = &end
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if over != nil {
		return s.limited(*over, message)
	}
	return nil
}

// countThrottle counts one event for key.
func (s *Service) countThrottle(ctx context.Context, tx kobo.Tx, th throttle, key string) (int, time.Time, error) {
	start, end := s.window(th)
	n, err := tx.HitThrottle(ctx, throttleKey(th, key), start, end)
	return n, end, err
}

// takeThrottle counts one event for key and reports ERATELIMIT when it is
// over th (the event is refused, and nothing else is written).
func (s *Service) takeThrottle(ctx context.Context, th throttle, key, message string) error {
	var n int
	var end time.Time
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		var err error
		n, end, err = s.countThrottle(ctx, tx, th, key)
		return err
	})
	if err != nil {
		return err
	}
	if n > th.Limit {
		return s.limited(end, message)
	}
	return nil
}

// PruneThrottles deletes expired throttle counters.
func (s *Service) PruneThrottles(ctx context.Context) (int, error) {
	var n int
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		var err error
		n, err = tx.PruneThrottles(ctx, s.now())
		return err
	})
	return n, err
}

// capPublicKey counts one creation of what against the caller's public key
// (the widget's, or the one a Connect Link stands in for), in tx: over the
// cap it returns ERATELIMIT and the transaction, count included, rolls
// back, so nothing is written. Secret-key callers are the partner's own
// servers, bounded by the per-key rate limit instead.
func (s *Service) capPublicKey(ctx context.Context, tx kobo.Tx, c *kobo.Caller, th throttle, what string) error {
	if c.Key.Kind != kobo.PublicKey {
		return nil
	}
	n, end, err := s.countThrottle(ctx, tx, th, c.Key.ID)
	if err != nil {
		return err
	}
	if n > th.Limit {
		return s.limited(end, fmt.Sprintf("This app's public key has made too many %s this hour (the limit is %d); try again later.", what, th.Limit))
	}
	return nil
}
