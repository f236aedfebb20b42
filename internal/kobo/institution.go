package kobo

import "time"

// InstitutionType is what kind of customer an institution entry serves. A
// bank with both personal and business banking appears twice in the catalog,
// once per type, as it does in Mono's.
type InstitutionType string

const (
	PersonalBanking InstitutionType = "PERSONAL_BANKING"
	BusinessBanking InstitutionType = "BUSINESS_BANKING"
)

// Auth method types (Mono's names).
const (
	InternetBanking = "internet_banking"
	MobileBanking   = "mobile_banking"
)

// Institution is one entry of the catalog users pick their bank from.
type Institution struct {
	ID           string // 24 hex, stable across installs
	Name         string // "GTBank"
	Type         InstitutionType
	BankCode     string // CBN bank code ("058"); NIP code for fintech/MFB banks ("090267")
	NIPCode      string // six-digit NIBSS Instant Payment code ("000013")
	Country      string // ISO 3166 alpha-2, lower case ("ng")
	Identifier   string // "mono.connections.gtbank"
	Icon         string // path of the bundled logo, made absolute by the HTTP layer
	PrimaryColor string // "#E24407"
	Website      string
	Products     []string // coverage products: Auth, Accounts, Transactions, Balance, Income, Identity
	Scopes       []string // "financial_data", "payments"
	AuthMethods  []AuthMethod
	Provider     string // the default connector ("banksim")
	// Providers lists every connector that can reach the institution, the
	// default first; an app may choose another of them.
	Providers []string
	// Aliases are what customers also call the bank and search for it by:
	// short names ("GTB"), former or full names ("Guaranty Trust Bank").
	Aliases []string
	// Popularity places the bank among the widget's popular banks, listed
	// first (1 first); 0 is not among them.
	Popularity int
	UpdatedAt  time.Time
}

// AuthMethod is one way to log in to an institution, with its login form.
type AuthMethod struct {
	ID   string // 24 hex
	Type string // InternetBanking or MobileBanking
	Name string // "Internet Banking"
	UI   UIForm
	// Consent is the kind of consent step (Consent*); empty means
	// ConsentCredentials.
	Consent string
}

// AuthMethod returns the auth method of type t, or false.
func (in Institution) AuthMethod(t string) (AuthMethod, bool) {
	for _, m := range in.AuthMethods {
		if m.Type == t {
			return m, true
		}
	}
	return AuthMethod{}, false
}

// UIForm is Mono's form DSL: the widget and headless clients render it and
// post back {<name>: value, ...}.
type UIForm struct {
	Title string      `json:"title"`
	Form  []FormField `json:"form"`
}

// FormField is one input of a UIForm.
type FormField struct {
	Type        string `json:"type"` // always "elements.input"
	Name        string `json:"name"`
	Hint        string `json:"hint"`
	ContentType string `json:"contentType"` // "string", "password" or "number"
	MaxLength   int    `json:"maxLength,omitempty"`
}

// Names returns the field names of the form, in order.
func (f UIForm) Names() []string {
	names := make([]string, len(f.Form))
	for i, x := range f.Form {
		names[i] = x.Name
	}
	return names
}

// InstitutionFilter selects catalog entries; empty fields match everything.
type InstitutionFilter struct {
	Country    string
	Scope      string
	BankCode   string
	AuthMethod string
	Type       InstitutionType
}
