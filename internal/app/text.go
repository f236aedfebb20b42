package app

import (
	"unicode"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// unsafeRune reports characters kobo refuses in names, emails and
// references: control characters (a newline in a name forges a log line
// or an email header) and the invisible formatting characters that
// reorder or hide text (bidi overrides and isolates, zero-width joiners,
// the byte order mark), with which "Acme‮gnp.exe" shows as something else
// on the dashboard and in a partner's own tools (Trojan Source,
// CVE-2021-42574).
func unsafeRune(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == 0x061C, r == 0x200E, r == 0x200F, // Arabic letter mark, LRM, RLM
		r >= 0x202A && r <= 0x202E, // LRE, RLE, PDF, LRO, RLO
		r >= 0x2066 && r <= 0x2069, // LRI, RLI, FSI, PDI
		r >= 0x200B && r <= 0x200D, // zero-width space, non-joiner, joiner
		r == 0x2060, r == 0xFEFF,   // word joiner, BOM
		r == 0xFFFD: // a replacement character: the input was not UTF-8
		return true
	}
	return false
}

// checkText records a problem for field when value holds characters that
// are unsafe to show or log. Invalid UTF-8 counts (ranging over it yields
// U+FFFD).
func checkText(v kobo.Invalid, field, value string) {
	for _, r := range value {
		if unsafeRune(r) {
			v.Add(field, "must not contain control or invisible formatting characters (such as newlines or right-to-left overrides)")
			return
		}
	}
}

// checkCustomerText checks what a partner (or the widget) says about a
// customer: it is shown on the dashboard and sent back in webhooks.
func checkCustomerText(v kobo.Invalid, name, email, ref, refField string) {
	checkText(v, "customer.name", name)
	checkText(v, "customer.email", email)
	checkText(v, refField, ref)
}
