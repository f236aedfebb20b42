package statementimport

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Amounts and dates as Nigerian statements print them. Every parser (the
// structured ones here and the PDF layouts) reads values through these, so
// "₦1,234.50 DR" means the same thing whatever file it came from.

// parseAmount reads a printed amount into signed minor units (kobo for
// NGN). It accepts thousands commas, a currency sign or code (₦, N, NGN,
// USD, $, £, €), a leading sign, accounting parentheses and DR/CR (or D/C)
// suffixes or prefixes; DR and parentheses make it negative. It rejects
// more than two significant decimals, an empty value and a bare dash (how
// statements print "no amount").
func parseAmount(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	neg := false
	// accounting parentheses
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, strings.TrimSpace(s[1:len(s)-1])
	}
	up := strings.ToUpper(s)
	for _, suf := range []string{"DR", "CR", "D", "C"} {
		if strings.HasSuffix(up, suf) && len(up) > len(suf) {
			prev, _ := utf8.DecodeLastRuneInString(up[:len(up)-len(suf)])
			if unicode.IsLetter(prev) {
				continue // part of a word or code (e.g. "USD")
			}
			if suf[0] == 'D' {
				neg = !neg
			}
			s, up = strings.TrimSpace(s[:len(s)-len(suf)]), strings.TrimSpace(up[:len(up)-len(suf)])
			break
		}
	}
	for _, pre := range []string{"DR ", "CR "} {
		if strings.HasPrefix(up, pre) {
			if pre[0] == 'D' {
				neg = !neg
			}
			s, up = strings.TrimSpace(s[len(pre):]), strings.TrimSpace(up[len(pre):])
		}
	}
	s = stripCurrency(s)
	if strings.HasPrefix(s, "-") {
		neg, s = !neg, strings.TrimSpace(s[1:])
	} else if strings.HasPrefix(s, "+") {
		s = strings.TrimSpace(s[1:])
	}
	s = stripCurrency(s) // "-₦5.00" as well as "₦-5.00"
	if strings.HasPrefix(s, "-") {
		neg, s = !neg, strings.TrimSpace(s[1:])
	}
	if s == "" {
		return 0, false
	}
	var whole, frac int64
	decimals := -1
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if decimals >= 0 {
				decimals++
				if decimals > 2 {
					if c != '0' {
						return 0, false
					}
					continue
				}
				frac = frac*10 + int64(c-'0')
			} else {
				if whole > (1<<62)/10 {
					return 0, false // overflow
				}
				whole = whole*10 + int64(c-'0')
			}
			digits++
		case c == ',' || c == ' ' || c == '\'':
			if decimals >= 0 {
				return 0, false
			}
		case c == '.':
			if decimals >= 0 {
				return 0, false
			}
			decimals = 0
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	if decimals == 1 {
		frac *= 10
	}
	if decimals <= 0 {
		frac = 0
	}
	v := whole*100 + frac
	if neg {
		v = -v
	}
	return v, true
}

func stripCurrency(s string) string {
	s = strings.TrimSpace(s)
	up := strings.ToUpper(s)
	for _, c := range []string{"NGN", "USD", "GBP", "EUR", "₦", "$", "£", "€", "N"} {
		if strings.HasPrefix(up, c) {
			rest := strings.TrimSpace(s[len(c):])
			if c == "N" && (rest == "" || !(rest[0] >= '0' && rest[0] <= '9') && rest[0] != '-') {
				continue // a word, not the naira sign typed as N
			}
			return rest
		}
		if strings.HasSuffix(up, c) && c != "N" {
			return strings.TrimSpace(s[:len(s)-len(c)])
		}
	}
	return s
}

// lagos is West Africa Time. Statements print local times; kobo stores
// UTC. A date without a time is kept as midnight UTC, which is the same
// calendar day in Lagos (UTC+1), so monthly totals stay in the right month.
var lagos = time.FixedZone("WAT", 3600)

// dateLayouts are the forms Nigerian statements and exports print, day
// before month (never US order). Timed layouts come first so a time is not
// dropped by a shorter match.
var dateLayouts = []string{
	"02/01/06 15:04:05", "02/01/2006 15:04:05", "02/01/2006 15:04", "02/01/06 15:04",
	"2/1/2006 15:04:05", "2/1/06 15:04:05", "2/1/2006 3:04:05 PM", "02/01/2006 03:04:05 PM", "02/01/2006 03:04 PM",
	"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999", "2006-01-02 15:04",
	"02-Jan-2006 15:04:05", "02-Jan-2006 15:04", "02 Jan 2006 15:04:05", "02 Jan 2006, 15:04", "Jan 2, 2006 15:04:05",
	"Mon, Jan 2 2006, 15:04:05", "Mon, Jan 2, 2006 15:04", "02-01-2006 15:04:05",
	"02-Jan-2006", "2-Jan-2006", "02-Jan-06", "2-Jan-06", "02 Jan 2006", "2 Jan 2006", "02 January 2006", "2 January 2006",
	"Jan 2, 2006", "January 2, 2006", "Jan 02 2006", "Mon, Jan 2 2006", "Monday, January 2, 2006", "Mon Jan 2 2006",
	"02/01/2006", "2/1/2006", "02/01/06", "2/1/06", "02-01-2006", "2-1-2006", "02.01.2006", "02-01-06",
	"2006-01-02", "2006/01/02", "20060102", "02Jan2006", "02Jan06", "060102",
}

// dateParser remembers the layout that last matched, so a long file whose
// dates all look alike parses each with one attempt.
type dateParser struct{ last string }

// parse reads a printed date or date-time (see dateLayouts). Times are
// Lagos local time and come back in UTC; bare dates come back as midnight
// UTC of that day.
func (p *dateParser) parse(s string) (time.Time, bool) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" || len(s) > 40 {
		return time.Time{}, false
	}
	if p.last != "" {
		if t, ok := tryLayout(p.last, s); ok {
			return t, true
		}
	}
	for _, l := range dateLayouts {
		if t, ok := tryLayout(l, s); ok {
			p.last = l
			return t, true
		}
	}
	return time.Time{}, false
}

func tryLayout(layout, s string) (time.Time, bool) {
	hasTime := strings.Contains(layout, "15") || strings.Contains(layout, "3:04")
	loc := time.UTC
	if hasTime {
		loc = lagos
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil || t.Year() < 1970 || t.Year() > 2200 {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// parseDate reads one date with no layout memory (see dateParser.parse).
func parseDate(s string) (time.Time, bool) {
	var p dateParser
	return p.parse(s)
}
