package kobo

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// Clock tells the time. Everything that reads the time takes one, so tests
// and the sandbox can control it.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock, in UTC.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// NewID returns a 24-hex-digit identifier shaped like a Mongo ObjectId (as
// Mono's ids are): 4 bytes of seconds since the epoch, then 8 random bytes.
// The time prefix keeps ids roughly ordered, which keeps B-tree inserts
// local; the random part makes them unguessable.
func NewID(now time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(now.Unix()))
	if _, err := rand.Read(b[4:]); err != nil {
		panic("kobo: crypto/rand failed: " + err.Error()) // the OS RNG does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}

const tokenAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// RandomToken returns n characters from [a-z0-9] drawn from crypto/rand,
// for session ids, codes and key secrets (Mono's look like
// code_au5w62egpzggouybo83i5spg).
func RandomToken(n int) string {
	return randomFrom(tokenAlphabet, n)
}

const mixedAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// RandomMixedToken returns n characters from [A-Za-z0-9], the shape of
// Mono's re-auth tokens and statement job ids (e.g. VwxcfeLRZvq1UlD5WiuN).
func RandomMixedToken(n int) string {
	return randomFrom(mixedAlphabet, n)
}

func randomFrom(alphabet string, n int) string {
	out := make([]byte, n)
	buf := make([]byte, n+n/2+8)
	i := 0
	limit := byte(256 - 256%len(alphabet)) // reject bytes that would bias the draw
	for i < n {
		if _, err := rand.Read(buf); err != nil {
			panic("kobo: crypto/rand failed: " + err.Error())
		}
		for _, c := range buf {
			if c >= limit {
				continue
			}
			out[i] = alphabet[int(c)%len(alphabet)]
			i++
			if i == n {
				break
			}
		}
	}
	return string(out)
}
