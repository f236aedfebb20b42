package app

import (
	"math"
	"sync"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// keyedLimiter is a token bucket per key (an email, an IP, an account),
// driven by the injected clock so tests can move time. Idle buckets are
// swept so memory stays bounded under a spray of distinct keys.
type keyedLimiter struct {
	clock kobo.Clock
	rate  float64 // tokens per second
	burst float64

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newKeyedLimiter(clock kobo.Clock, perSecond float64, burst int) *keyedLimiter {
	return &keyedLimiter{clock: clock, rate: perSecond, burst: float64(burst), buckets: map[string]*bucket{}}
}

// Allow takes a token for key. When none is left it returns false and how
// long until one is.
func (l *keyedLimiter) Allow(key string) (bool, time.Duration) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+el*l.rate)
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait.Round(time.Second) + time.Second
}

// sweep drops buckets that have refilled completely (they carry no state).
func (l *keyedLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute && len(l.buckets) < 100_000 {
		return
	}
	l.lastSweep = now
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.at) > full {
			delete(l.buckets, k)
		}
	}
}

// AllowKey takes a token from an API key's bucket: ERATELIMIT, with when
// to retry, once the key has spent its burst.
func (s *Service) AllowKey(c *kobo.Caller) error {
	if s.keyLimiter == nil {
		return nil
	}
	if ok, wait := s.keyLimiter.Allow(c.Key.ID); !ok {
		return &kobo.Error{Code: kobo.ERATELIMIT, RetryAfter: wait,
			Message: "Too many requests with this API key; slow down and retry after the number of seconds in Retry-After (use exponential backoff)."}
	}
	return nil
}

// AllowIP takes a token from a client address's bucket.
func (s *Service) AllowIP(ip string) error {
	if s.apiIPLimiter == nil {
		return nil
	}
	if ok, wait := s.apiIPLimiter.Allow(ip); !ok {
		return &kobo.Error{Code: kobo.ERATELIMIT, RetryAfter: wait,
			Message: "Too many requests from this address; slow down and retry after the number of seconds in Retry-After."}
	}
	return nil
}
