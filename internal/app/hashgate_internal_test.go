package app

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/sqlite"
)

// TestPasswordHashesBounded (audit finding 4): argon2id memory is bounded.
// With a budget of one hash and no queue, a signup that arrives while
// another is hashing is answered 503 with Retry-After at once, instead of
// allocating another argon2 buffer; and no more hashes run at once than
// the budget allows even when many arrive together.
func TestPasswordHashesBounded(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kobo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx, kobo.SystemClock{}); err != nil {
		t.Fatal(err)
	}
	p := PasswordParams{Memory: 64, Time: 1, Threads: 1}
	s := New(Config{Store: st, PasswordParams: p, PasswordMemoryBudget: 64 << 10, PasswordQueue: -1})

	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.gate.held = func(hash func()) {
		once.Do(func() { close(entered); <-release })
		hash()
	}
	first := make(chan error, 1)
	go func() {
		_, err := s.Signup(ctx, SignupInput{Name: "One", Email: "one@ada.ng", Password: "correct horse battery", ClientIP: "a"})
		first <- err
	}()
	<-entered // the first signup holds the whole budget
	_, err = s.Signup(ctx, SignupInput{Name: "Two", Email: "two@ada.ng", Password: "correct horse battery", ClientIP: "b"})
	var e *kobo.Error
	if !errors.As(err, &e) || e.Code != kobo.EUNAVAILABLE || e.RetryAfter <= 0 {
		t.Fatalf("a signup while the budget is spent = %v, want EUNAVAILABLE with RetryAfter", err)
	}
	if err := s.store.View(ctx, func(tx kobo.Tx) error { _, err := tx.PartnerByEmail(ctx, "two@ada.ng"); return err }); kobo.ErrorCode(err) != kobo.ENOTFOUND {
		t.Fatalf("the refused signup was written: %v", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}

	// 32 at once through a budget of 3 hashes with a long enough line:
	// every one succeeds, never more than 3 at a time.
	s = New(Config{Store: st, PasswordParams: p, PasswordMemoryBudget: 3 * 64 << 10, PasswordCPUs: 8, PasswordQueue: 64, PasswordWait: time.Hour})
	var mu sync.Mutex
	cur, peak := 0, 0
	s.gate.held = func(hash func()) {
		mu.Lock()
		cur++
		peak = max(peak, cur)
		mu.Unlock()
		hash()
		mu.Lock()
		cur--
		mu.Unlock()
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.hash(ctx, "correct horse battery")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if peak > 3 {
		t.Fatalf("%d hashes ran at once with a budget of 3", peak)
	}

	// A budget of 100 hashes on one CPU still runs only two at a time.
	s = New(Config{Store: st, PasswordParams: p, PasswordMemoryBudget: 100 * 64 << 10, PasswordCPUs: 1, PasswordQueue: 64, PasswordWait: time.Hour})
	if got := s.gate.budget / int64(p.Memory); got != 2 {
		t.Fatalf("one CPU gets %d hashes at once, want 2", got)
	}
}

// FuzzParseHash: a stored hash is read back from the database; whatever a
// tampered row holds, parsing never panics and never accepts a cost that
// would let one login take the process's memory.
func FuzzParseHash(f *testing.F) {
	f.Add(hashPassword("correct horse battery", PasswordParams{Memory: 64, Time: 1, Threads: 1}))
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	f.Add("$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdA$aGFzaA")
	f.Add("$argon2id$v=19$m=64,t=1,p=0$$")
	f.Add("")
	f.Fuzz(func(t *testing.T, encoded string) {
		h, ok := parseHash(encoded)
		if !ok {
			return
		}
		if h.p.Memory > 1<<21 || h.p.Time > 16 || h.p.Threads == 0 || len(h.want) == 0 {
			t.Fatalf("accepted %q with params %+v", encoded, h.p)
		}
	})
}

// FuzzCheckText: what checkText accepts is valid UTF-8 with no control
// character and none of Unicode's bidi or join controls (the oracle is the
// standard library's property tables, not kobo's list).
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{"Acme Lending", "Ada\u202eObi", "a\nb", "Zoë Ọládiméjì", "\xff", "x\u200dy", "شركة", "\u2067x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := kobo.Invalid{}
		checkText(v, "name", s)
		if v["name"] != "" {
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("accepted invalid UTF-8 %q", s)
		}
		for _, r := range s {
			if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || unicode.Is(unicode.Join_Control, r) {
				t.Fatalf("accepted %q with %U", s, r)
			}
		}
	})
}
