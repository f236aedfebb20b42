package banksim

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Faults make a simulated bank misbehave the ways real ones do. They can
// belong to a user (the flaky and slow test users) or to one request (the
// X-Banksim-Fault header), so tests can prove what kobo does when banks
// misbehave.
type Faults struct {
	Latency     int     `json:"latency_ms,omitempty"`   // added to every call
	ErrorRate   float64 `json:"error_rate,omitempty"`   // share of calls answered 503
	TimeoutRate float64 `json:"timeout_rate,omitempty"` // share of calls that hang until the client gives up
	Truncate    bool    `json:"truncate,omitempty"`     // transaction pages cut off mid-body
	Malformed   bool    `json:"malformed,omitempty"`    // bodies that are not JSON
	Duplicate   bool    `json:"duplicate,omitempty"`    // transaction pages repeat rows
	ExpireToken bool    `json:"expire_token,omitempty"` // data calls answer token_expired
	RateLimit   bool    `json:"rate_limit,omitempty"`   // every call answers 429 with Retry-After
}

// Delay waits out the Latency fault, the same in every face. It returns
// false when ctx ended first: the client gave up and there is no one left
// to answer.
func (f Faults) Delay(ctx context.Context) bool {
	if f.Latency <= 0 {
		return true
	}
	select {
	case <-time.After(time.Duration(f.Latency) * time.Millisecond):
		return true
	case <-ctx.Done():
		return false
	}
}

func (f Faults) merge(o Faults) Faults {
	f.Latency += o.Latency
	f.ErrorRate = max(f.ErrorRate, o.ErrorRate)
	f.TimeoutRate = max(f.TimeoutRate, o.TimeoutRate)
	f.Truncate = f.Truncate || o.Truncate
	f.Malformed = f.Malformed || o.Malformed
	f.Duplicate = f.Duplicate || o.Duplicate
	f.ExpireToken = f.ExpireToken || o.ExpireToken
	f.RateLimit = f.RateLimit || o.RateLimit
	return f
}

// parseFaultHeader reads "error,latency=200,truncate" style headers.
func parseFaultHeader(h string) Faults {
	var f Faults
	for _, part := range strings.Split(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "latency":
			if d, err := time.ParseDuration(v); err == nil {
				f.Latency = int(d.Milliseconds())
			} else if n, err := strconv.Atoi(v); err == nil {
				f.Latency = n
			}
		case "error":
			f.ErrorRate = 1
		case "timeout":
			f.TimeoutRate = 1
		case "truncate":
			f.Truncate = true
		case "malformed":
			f.Malformed = true
		case "duplicate":
			f.Duplicate = true
		case "expire":
			f.ExpireToken = true
		case "ratelimit":
			f.RateLimit = true
		}
	}
	return f
}
