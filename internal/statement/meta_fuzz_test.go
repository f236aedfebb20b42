package statement

import (
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// FuzzValueDate: a source's value date is printed as a date or not at
// all, never as the text it came as.
func FuzzValueDate(f *testing.F) {
	for _, s := range []string{"2025-11-21", "2025-11-21T23:30:00Z", "2025-11-21T23:30:00.123+01:00", "", "not a date", "2025-13-40", "21/11/2025"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := valueDate(kobo.TxnMeta{kobo.MetaValueDate: v})
		if got == "" {
			return
		}
		if _, err := time.Parse("02 Jan 2006", got); err != nil {
			t.Fatalf("value date %q printed as %q", v, got)
		}
	})
}
