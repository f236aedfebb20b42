package app_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// TestLoginLockoutFromElsewhere (audit finding 9): a stranger guessing a
// partner's password from their own address is throttled there, and the
// partner still logs in from theirs.
func TestLoginLockoutFromElsewhere(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	signup(t, b, "victim@ada.ng")
	limited := false
	for i := 0; i < 30 && !limited; i++ {
		_, err := b.svc.Login(ctx, "victim@ada.ng", kobo.Secret(fmt.Sprintf("guess %d of many", i)), "203.0.113.66", "api")
		limited = kobo.ErrorCode(err) == kobo.ERATELIMIT
	}
	if !limited {
		t.Fatal("30 wrong passwords from one address were never throttled")
	}
	if _, err := b.svc.Login(ctx, "victim@ada.ng", "correct horse battery", "198.51.100.7", "dashboard"); err != nil {
		t.Fatalf("the partner, from their own address, after a stranger's guesses: %v", err)
	}
}

// TestLoginEmailBackstop: guesses spread over many addresses still meet a
// per-email limit.
func TestLoginEmailBackstop(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	signup(t, b, "spread@ada.ng")
	n := 0
	for ; n < 500; n++ {
		_, err := b.svc.Login(ctx, "spread@ada.ng", "wrong password!!", fmt.Sprintf("10.0.%d.%d", n/250, n%250), "api")
		if kobo.ErrorCode(err) == kobo.ERATELIMIT {
			break
		}
		code(t, err, kobo.EUNAUTHORIZED)
	}
	if n == 500 || n < 50 {
		t.Fatalf("the per-email backstop came after %d failures from distinct addresses", n)
	}
}
