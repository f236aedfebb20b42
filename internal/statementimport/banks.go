package statementimport

import "strings"

// bank is a Nigerian bank as statements name it: the names printed on
// statements and exports (lower case, most specific first) and its CBN/NIP
// code, the same codes kobo's institutions catalog uses.
type bank struct {
	Name  string
	Code  string
	Names []string
}

// banks is data: a new bank is a line here. Names are matched as whole
// words against a statement's header lines.
var banks = []bank{
	{"GTBank", "058", []string{"guaranty trust bank", "gtbank", "gtco", "guaranty trust"}},
	{"Access Bank", "044", []string{"access bank", "accessbank"}},
	{"Zenith Bank", "057", []string{"zenith bank", "zenith"}},
	{"First Bank of Nigeria", "011", []string{"first bank of nigeria", "firstbank", "first bank"}},
	{"UBA", "033", []string{"united bank for africa", "uba"}},
	{"Fidelity Bank", "070", []string{"fidelity bank"}},
	{"Union Bank of Nigeria", "032", []string{"union bank"}},
	{"Stanbic IBTC Bank", "221", []string{"stanbic ibtc", "stanbic"}},
	{"Sterling Bank", "232", []string{"sterling bank"}},
	{"Ecobank Nigeria", "050", []string{"ecobank"}},
	{"Wema Bank (ALAT)", "035", []string{"wema bank", "alat"}},
	{"FCMB", "214", []string{"first city monument bank", "fcmb"}},
	{"Polaris Bank", "076", []string{"polaris bank"}},
	{"Kuda Bank", "090267", []string{"kuda microfinance bank", "kuda bank", "kuda"}},
	{"OPay", "100004", []string{"opay digital services", "opay"}},
	{"Moniepoint MFB", "090405", []string{"moniepoint microfinance bank", "moniepoint"}},
	{"Providus Bank", "101", []string{"providus bank", "providus"}},
	{"PalmPay", "100033", []string{"palmpay"}},
}

// bankByCode returns the bank with this code.
func bankByCode(code string) (bank, bool) {
	for _, b := range banks {
		if b.Code == code {
			return b, true
		}
	}
	return bank{}, false
}

// bankInText finds the first bank named in text (as whole words).
func bankInText(text string) (bank, bool) {
	t := " " + wordsOnly(text) + " "
	for _, b := range banks {
		for _, n := range b.Names {
			if strings.Contains(t, " "+n+" ") {
				return b, true
			}
		}
	}
	return bank{}, false
}

// wordsOnly lower-cases s and turns every run of non-alphanumerics into a
// single space, so "Date/Time" and "date time" compare equal.
func wordsOnly(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// NameMatchesCode reports whether a bank name printed on a statement
// belongs to the bank with this code (false when either is unknown).
func NameMatchesCode(name, code string) (match, known bool) {
	named, ok1 := bankInText(name)
	_, ok2 := bankByCode(code)
	if !ok1 || !ok2 {
		return false, false
	}
	return named.Code == code, true
}
