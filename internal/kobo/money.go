package kobo

import (
	"fmt"
	"strings"
)

// currencyExponents lists the ISO 4217 currencies whose minor unit is not
// two digits. Real sources send amounts as decimal strings ("-12.50"), and
// kobo stores minor units, so the exponent decides the conversion.
var currencyExponents = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
	"RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// CurrencyExponent returns the number of minor-unit digits of an ISO 4217
// code (2 for codes it does not list, NGN, USD, GBP and EUR among them).
func CurrencyExponent(currency string) int {
	if e, ok := currencyExponents[strings.ToUpper(currency)]; ok {
		return e
	}
	return 2
}

// maxMinor bounds parsed amounts well inside int64, so sums of many rows
// cannot overflow.
const maxMinor = int64(1) << 53

// ParseDecimalAmount turns a decimal string ("-1234.5", "+0.07", "12")
// into signed minor units of currency. It rejects exponents, grouping
// separators, more fraction digits than the currency has (unless the extra
// digits are zeros) and amounts beyond 2^53 minor units, so a source's
// rounding is never hidden.
func ParseDecimalAmount(s, currency string) (int64, error) {
	exp := CurrencyExponent(currency)
	in := strings.TrimSpace(s)
	neg := false
	switch {
	case strings.HasPrefix(in, "-"):
		neg, in = true, in[1:]
	case strings.HasPrefix(in, "+"):
		in = in[1:]
	}
	whole, frac, hasDot := strings.Cut(in, ".")
	if whole == "" && (!hasDot || frac == "") {
		return 0, fmt.Errorf("amount %q is not a decimal number", s)
	}
	if hasDot && frac == "" {
		return 0, fmt.Errorf("amount %q is not a decimal number", s)
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("amount %q is not a decimal number", s)
		}
	}
	if len(frac) > exp {
		if strings.Trim(frac[exp:], "0") != "" {
			return 0, fmt.Errorf("amount %q has more decimals than %s has", s, strings.ToUpper(currency))
		}
		frac = frac[:exp]
	}
	frac += strings.Repeat("0", exp-len(frac))
	var v int64
	for _, c := range whole + frac {
		v = v*10 + int64(c-'0')
		if v > maxMinor {
			return 0, fmt.Errorf("amount %q is too large", s)
		}
	}
	if neg {
		v = -v
	}
	return v, nil
}

// FormatDecimalAmount is ParseDecimalAmount's inverse: minor units of
// currency as a decimal string with the currency's digits.
func FormatDecimalAmount(v int64, currency string) string {
	exp := CurrencyExponent(currency)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	s := fmt.Sprintf("%0*d", exp+1, v)
	if exp == 0 {
		return sign + s
	}
	return sign + s[:len(s)-exp] + "." + s[len(s)-exp:]
}
