package kobo

import (
	"log/slog"
	"strings"
)

// Secret holds a credential (a key, a password, a token, a bank answer).
// Its String, GoString and LogValue print "[redacted]", so a stray log or
// fmt call cannot leak it; call Reveal where the raw value is needed.
type Secret string

func (Secret) String() string                 { return "[redacted]" }
func (Secret) GoString() string               { return "[redacted]" }
func (Secret) LogValue() slog.Value           { return slog.StringValue("[redacted]") }
func (s Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Reveal returns the raw secret.
func (s Secret) Reveal() string { return string(s) }

// AccountNumber is a bank account number; logs see only its last four digits.
type AccountNumber string

func (a AccountNumber) String() string       { return maskTail(string(a), 4) }
func (a AccountNumber) LogValue() slog.Value { return slog.StringValue(maskTail(string(a), 4)) }

// BVN is a Bank Verification Number; logs see only its last four digits.
type BVN string

func (b BVN) String() string       { return maskTail(string(b), 4) }
func (b BVN) LogValue() slog.Value { return slog.StringValue(maskTail(string(b), 4)) }

// Last4 returns the last four characters of s (or all of s if shorter),
// which is what Mono shows of a BVN on account objects.
func Last4(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[len(s)-4:]
}

func maskTail(s string, keep int) string {
	if len(s) <= keep {
		return strings.Repeat("*", len(s))
	}
	return strings.Repeat("*", len(s)-keep) + s[len(s)-keep:]
}
