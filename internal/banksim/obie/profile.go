package obie

// Profile is what changes between the versions of the standard the face
// speaks: v3.1.11 names codes in words, v4.0 uses ISO 20022 codes. The
// resources, paths and flows are the same, so one handler serves both.
type Profile struct {
	Version  string // "v3.1" or "v4.0": the base path's version
	Consent  map[string]string
	Balance  map[string]string // kind → code
	Status   map[string]string // booked/pending → code
	Address  string            // the party's residential address type
	Personal string            // the account category (v3 AccountType, v4 AccountCategory) of a personal account
	Business string
	// accountKind is the account's type code: v3 AccountSubType, v4
	// AccountTypeCode.
	accountKind func(savings bool) string
	// v4 caps an error code at four characters, so its codes are short
	// ones of banksim's own (the spec bounds them but lists none).
	ErrorCode map[string]string
}

// Consent states, balance kinds and transaction states by their v3 name.
const (
	consentAwaiting   = "AwaitingAuthorisation"
	consentAuthorised = "Authorised"
	consentRejected   = "Rejected"
	consentRevoked    = "Revoked"
	consentExpired    = "Expired" // v3 has no code for it: an expired v3 consent reads as Authorised and answers 403

	balanceAvailable = "InterimAvailable"
	balanceBooked    = "ClosingBooked"

	txnBooked  = "Booked"
	txnPending = "Pending"
)

// Error codes (v3 names).
const (
	errFieldInvalid    = "UK.OBIE.Field.Invalid"
	errFieldMissing    = "UK.OBIE.Field.Missing"
	errNotFound        = "UK.OBIE.Resource.NotFound"
	errConsentMismatch = "UK.OBIE.Resource.ConsentMismatch"
	errInvalidConsent  = "UK.OBIE.Resource.InvalidConsentStatus"
	errUnexpected      = "UK.OBIE.UnexpectedError"
	errRateLimited     = "UK.OBIE.Rules.TooManyRequests" // banksim's; v3 lists no code for 429
	errPermission      = "UK.OBIE.Reauthenticate"
)

// V31 is the Account and Transaction API v3.1.11.
func V31() Profile {
	return Profile{
		Version: "v3.1",
		Consent: map[string]string{consentAwaiting: consentAwaiting, consentAuthorised: consentAuthorised, consentRejected: consentRejected,
			consentRevoked: consentRevoked, consentExpired: consentAuthorised},
		Balance:  map[string]string{balanceAvailable: balanceAvailable, balanceBooked: balanceBooked},
		Status:   map[string]string{txnBooked: txnBooked, txnPending: txnPending},
		Address:  "Residential",
		Personal: "Personal", Business: "Business",
		accountKind: func(savings bool) string {
			if savings {
				return "Savings"
			}
			return "CurrentAccount"
		},
	}
}

// V40 is the Account and Transaction API v4.0.
func V40() Profile {
	return Profile{
		Version: "v4.0",
		Consent: map[string]string{consentAwaiting: "AWAU", consentAuthorised: "AUTH", consentRejected: "RJCT", consentRevoked: "CANC",
			consentExpired: "EXPD"},
		Balance:  map[string]string{balanceAvailable: "ITAV", balanceBooked: "CLBD"},
		Status:   map[string]string{txnBooked: "BOOK", txnPending: "PDNG"},
		Address:  "HOME",
		Personal: "Personal", Business: "Business",
		accountKind: func(savings bool) string {
			if savings {
				return "SVGS"
			}
			return "CACC"
		},
		ErrorCode: map[string]string{errFieldInvalid: "U002", errFieldMissing: "U001", errNotFound: "U010", errConsentMismatch: "U011",
			errInvalidConsent: "U012", errUnexpected: "U000", errRateLimited: "U029", errPermission: "U028"},
	}
}

// ProfileOf returns the profile named "v3.1" or "v4.0".
func ProfileOf(name string) (Profile, bool) {
	switch name {
	case "v3.1", "v3.1.11", "":
		return V31(), true
	case "v4.0", "v4", "v4.0.0":
		return V40(), true
	}
	return Profile{}, false
}

func (p Profile) errorCode(c string) string {
	if v, ok := p.ErrorCode[c]; ok {
		return v
	}
	return c
}
