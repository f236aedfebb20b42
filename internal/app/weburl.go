package app

import (
	"net/url"
	"strings"
	"unicode"
)

// webURL parses an absolute URL a partner gives kobo to show to someone
// else (an href in the widget, an icon, a redirect). url.Parse lets
// control characters through in the fragment, and whitespace anywhere in
// an href is what browsers strip before they interpret a scheme, so both
// are refused here rather than trusted to the template's escaping.
func webURL(raw string, schemes ...string) (*url.URL, bool) {
	if strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) {
		return nil, false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, false
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return u, true
		}
	}
	return nil, false
}
