package httpapi

import (
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Transactions are the one body kobo serves by the hundred and by the
// hundred thousand (a page, a paginate=false stream), so they are encoded
// by hand: encoding/json through maps cost more CPU than reading the rows.
// The output is what encoding/json would write for the same object, minus
// its HTML escaping (< > & are legal in JSON strings; these bodies never
// go into HTML).

// appendTxn appends t as a JSON object with its id under idKey: "_id" in
// v1 and webhook bodies, "id" in v2.
func appendTxn(b []byte, t *kobo.Transaction, idKey string) []byte {
	b = append(b, `{"`...)
	b = append(b, idKey...)
	b = append(b, `":`...)
	b = appendJSONString(b, t.ID)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, string(t.Type))
	b = append(b, `,"amount":`...)
	b = strconv.AppendInt(b, t.Amount, 10)
	b = append(b, `,"narration":`...)
	b = appendJSONString(b, t.Narration)
	b = append(b, `,"date":"`...)
	b = appendMonoTime(b, t.Date)
	b = append(b, `","balance":`...)
	if t.Balance == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, *t.Balance, 10)
	}
	b = append(b, `,"currency":`...)
	b = appendJSONString(b, t.Currency)
	b = append(b, `,"category":`...)
	b = appendJSONString(b, t.Category)
	if t.Pending {
		// kobo's extension: Mono reports posted rows only, so the field is
		// there only on the rows a real source reports as not yet posted
		b = append(b, `,"pending":true`...)
	}
	if len(t.Meta) > 0 {
		// kobo's extension, like pending: what the source reports beyond
		// Mono's shape (kobo.TxnMeta's keys), only on rows that have some,
		// so banksim's and Mono's rows keep Mono's exact shape
		b = append(b, `,"meta":`...)
		b = appendMeta(b, t.Meta)
	}
	return append(b, '}')
}

// appendMeta appends m as a JSON object of strings, keys sorted as
// encoding/json sorts them.
func appendMeta(b []byte, m kobo.TxnMeta) []byte {
	keys := slices.Sorted(maps.Keys(m))
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, '}')
}

// appendJSONNullString appends s as a JSON string, or null when s is empty.
func appendJSONNullString(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string the way encoding/json does
// (control characters escaped, invalid UTF-8 replaced by U+FFFD, U+2028
// and U+2029 escaped for JavaScript), without HTML escaping.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendPaging appends Mono's paging object: {total, page, previous, next}
// with absolute links or null.
func appendPaging(b []byte, total, page int, prev, next string) []byte {
	b = append(b, `{"total":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"page":`...)
	b = strconv.AppendInt(b, int64(page), 10)
	b = append(b, `,"previous":`...)
	b = appendJSONNullString(b, prev)
	b = append(b, `,"next":`...)
	b = appendJSONNullString(b, next)
	return append(b, '}')
}

// appendV2Head opens a v2 success envelope up to the start of data's value.
func appendV2Head(b []byte, message string, now time.Time) []byte {
	b = append(b, `{"status":"successful","message":`...)
	b = appendJSONString(b, message)
	b = append(b, `,"timestamp":"`...)
	b = appendMonoTime(b, now)
	return append(b, `","data":`...)
}

// appendMonoTime appends t as Mono writes times, 2006-01-02T15:04:05.000Z
// in UTC: the same bytes as AppendFormat with that layout, at a fraction of
// its cost (it runs once per transaction served). Years outside 0..9999
// take the general path.
func appendMonoTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, "2006-01-02T15:04:05.000Z")
	}
	h, mi, s := t.Clock()
	ms := t.Nanosecond() / 1e6
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(mo)/10), byte('0'+int(mo)%10), '-', byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}
