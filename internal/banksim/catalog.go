package banksim

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// MFA styles a simulated bank uses when it wants a second factor.
const (
	MFAOTP      = "otp"      // a six-digit code "sent by SMS"
	MFAQuestion = "question" // a security question
	MFAPIN      = "pin"      // the customer's transaction PIN
	MFAToken    = "token"    // a hardware token's code
)

// bankDef describes one bank brand of the simulated group: its real CBN and
// NIP codes, colours, the banking channels it offers and the second factor
// it asks for.
type bankDef struct {
	slug     string // used in identifiers and logo paths
	name     string
	bankCode string // CBN code; for MFBs and fintechs the NIP code, as Mono shows Kuda's 090267
	nipCode  string
	color    string
	website  string
	mfa      string
	personal []authDef // empty: no personal banking entry
	business []authDef // empty: no business banking entry
	noIdent  bool      // the bank returns no identity data
	// aliases are what customers also call the bank (short, full and
	// former names); popular is its place among the widget's popular
	// banks (1 first, 0 not among them), by Nigerian retail reach
	aliases []string
	popular int
}

type authDef struct {
	typ    string
	title  string
	fields []kobo.FormField
}

func input(name, hint, contentType string, maxLength int) kobo.FormField {
	return kobo.FormField{Type: "elements.input", Name: name, Hint: hint, ContentType: contentType, MaxLength: maxLength}
}

// The catalog. Codes are the banks' real CBN bank codes and NIBSS NIP
// institution codes; forms follow each bank's own login screens (user id
// and password on internet banking, phone or account number and a PIN or
// passcode on mobile apps, a corporate id on business banking).
var bankDefs = []bankDef{
	{slug: "gtbank", name: "GTBank", bankCode: "058", nipCode: "000013", color: "#E24407", website: "https://www.gtbank.com", mfa: MFAOTP, aliases: []string{"GTB", "GTCO", "Guaranty Trust Bank"}, popular: 1,
		personal: []authDef{
			{kobo.InternetBanking, "Log in to GTBank", []kobo.FormField{input("username", "UserID or Account Number", "string", 0), input("password", "Password", "password", 0)}},
			{kobo.MobileBanking, "Log in to GTWorld", []kobo.FormField{input("account_number", "Account Number", "number", 10), input("password", "Password", "password", 0)}},
		},
		business: []authDef{
			{kobo.InternetBanking, "Log in to GTBank Business", []kobo.FormField{input("corporate_id", "Corporate ID", "string", 0), input("username", "User ID", "string", 0), input("password", "Password", "password", 0)}},
		}},
	{slug: "access", name: "Access Bank", bankCode: "044", nipCode: "000014", color: "#F28C28", website: "https://www.accessbankplc.com", mfa: MFAQuestion, aliases: []string{"Access", "AccessMore", "Diamond Bank"}, popular: 2,
		personal: []authDef{
			{kobo.InternetBanking, "Log in to Access Bank", []kobo.FormField{input("username", "User ID", "string", 0), input("password", "Password", "password", 0)}},
			{kobo.MobileBanking, "Log in to AccessMore", []kobo.FormField{input("phone", "Phone Number", "number", 11), input("pin", "4-digit PIN", "password", 4)}},
		},
		business: []authDef{
			{kobo.InternetBanking, "Log in to Access Bank Business", []kobo.FormField{input("corporate_id", "Corporate ID", "string", 0), input("username", "User ID", "string", 0), input("password", "Password", "password", 0)}},
		}},
	{slug: "zenith", name: "Zenith Bank", bankCode: "057", nipCode: "000015", color: "#E30613", website: "https://www.zenithbank.com", mfa: MFAToken, aliases: []string{"Zenith"}, popular: 3,
		personal: []authDef{
			{kobo.InternetBanking, "Log in to Zenith Internet Banking", []kobo.FormField{input("username", "User ID", "string", 0), input("password", "Password", "password", 0)}},
			{kobo.MobileBanking, "Log in to Zenith Mobile", []kobo.FormField{input("account_number", "Account Number", "number", 10), input("password", "Password", "password", 0)}},
		},
		business: []authDef{
			{kobo.InternetBanking, "Log in to Zenith Corporate Internet Banking", []kobo.FormField{input("corporate_id", "Corporate ID", "string", 0), input("username", "User ID", "string", 0), input("password", "Password", "password", 0)}},
		}},
	{slug: "firstbank", name: "First Bank of Nigeria", bankCode: "011", nipCode: "000016", color: "#003B65", website: "https://www.firstbanknigeria.com", mfa: MFAOTP, aliases: []string{"FBN", "FirstBank", "First Bank"}, popular: 4,
		personal: []authDef{
			{kobo.InternetBanking, "Log in to FirstOnline", []kobo.FormField{input("username", "Username", "string", 0), input("password", "Password", "password", 0)}},
			{kobo.MobileBanking, "Log in to FirstMobile", []kobo.FormField{input("phone", "Phone Number", "number", 11), input("pin", "5-digit PIN", "password", 5)}},
		},
		business: []authDef{
			{kobo.InternetBanking, "Log in to FirstBank Corporate", []kobo.FormField{input("corporate_id", "Organisation ID", "string", 0), input("username", "User ID", "string", 0), input("password", "Password", "password", 0)}},
		}},
	{slug: "uba", name: "UBA", bankCode: "033", nipCode: "000004", color: "#D42E12", website: "https://www.ubagroup.com", mfa: MFAPIN, aliases: []string{"United Bank for Africa"}, popular: 5,
		personal: []authDef{
			{kobo.InternetBanking, "Log in to UBA Internet Banking", []kobo.FormField{input("username", "Username", "string", 0), input("password", "Password", "password", 0)}},
			{kobo.MobileBanking, "Log in to UBA Mobile", []kobo.FormField{input("phone", "Phone Number", "number", 11), input("pin", "4-digit PIN", "password", 4)}},
		},
		business: []authDef{
			{kobo.InternetBanking, "Log in to UBA Business", []kobo.FormField{input("corporate_id", "Corporate ID", "string", 0), input("username", "User ID", "string", 0), input("password", "Password", "password", 0)}},
		}},
	{slug: "fidelity", name: "Fidelity Bank", bankCode: "070", nipCode: "000007", color: "#4B2E83", website: "https://www.fidelitybank.ng", mfa: MFAOTP, aliases: []string{"Fidelity"},
		personal: []authDef{
			{kobo.InternetBanking, "Log in to Fidelity Online", []kobo.FormField{input("username", "User ID", "string", 0), input("password", "Password", "password", 0)}},
			{kobo.MobileBanking, "Log in to Fidelity Mobile", []kobo.FormField{input("phone", "Phone Number", "number", 11), input("pin", "4-digit PIN", "password", 4)}},
		}},
	{slug: "unionbank", name: "Union Bank of Nigeria", bankCode: "032", nipCode: "000018", color: "#00AEEF", website: "https://www.unionbankng.com", mfa: MFAQuestion, aliases: []string{"Union Bank", "UBN"},
		personal: []authDef{
			{kobo.InternetBanking, "Log in to UnionOnline", []kobo.FormField{input("username", "Username", "string", 0), input("password", "Password", "password", 0)}},
			{kobo.MobileBanking, "Log in to UnionMobile", []kobo.FormField{input("account_number", "Account Number", "number", 10), input("pin", "6-digit PIN", "password", 6)}},
		}},
	{slug: "stanbic", name: "Stanbic IBTC Bank", bankCode: "221", nipCode: "000012", color: "#0033A1", website: "https://www.stanbicibtcbank.com", mfa: MFAToken, aliases: []string{"Stanbic", "IBTC"},
		personal: []authDef{
			{kobo.InternetBanking, "Log in to Stanbic IBTC Online", []kobo.FormField{input("username", "Username", "string", 0), input("password", "Password", "password", 0)}},
			{kobo.MobileBanking, "Log in to Stanbic IBTC Mobile", []kobo.FormField{input("phone", "Phone Number", "number", 11), input("pin", "5-digit PIN", "password", 5)}},
		},
		business: []authDef{
			{kobo.InternetBanking, "Log in to Stanbic IBTC Business Online", []kobo.FormField{input("corporate_id", "Company ID", "string", 0), input("username", "User ID", "string", 0), input("password", "Password", "password", 0)}},
		}},
	{slug: "sterling", name: "Sterling Bank", bankCode: "232", nipCode: "000001", color: "#DA291C", website: "https://sterling.ng", mfa: MFAOTP, aliases: []string{"Sterling", "OneBank"},
		personal: []authDef{
			{kobo.InternetBanking, "Log in to Sterling OneBank", []kobo.FormField{input("username", "Email or Phone Number", "string", 0), input("password", "Password", "password", 0)}},
			{kobo.MobileBanking, "Log in to Sterling Mobile", []kobo.FormField{input("phone", "Phone Number", "number", 11), input("pin", "4-digit PIN", "password", 4)}},
		}},
	{slug: "ecobank", name: "Ecobank Nigeria", bankCode: "050", nipCode: "000010", color: "#0F5FA6", website: "https://ecobank.com/ng", mfa: MFAOTP, aliases: []string{"Ecobank"},
		personal: []authDef{
			{kobo.InternetBanking, "Log in to Ecobank Online", []kobo.FormField{input("username", "Username", "string", 0), input("password", "Password", "password", 0)}},
			{kobo.MobileBanking, "Log in to Ecobank Mobile", []kobo.FormField{input("phone", "Phone Number", "number", 11), input("pin", "PIN", "password", 4)}},
		}},
	{slug: "wema", name: "Wema Bank (ALAT)", bankCode: "035", nipCode: "000017", color: "#7B1F6A", website: "https://www.wemabank.com", mfa: MFAPIN, aliases: []string{"ALAT", "Wema"},
		personal: []authDef{
			{kobo.InternetBanking, "Log in to Wema Online", []kobo.FormField{input("username", "Username", "string", 0), input("password", "Password", "password", 0)}},
			{kobo.MobileBanking, "Log in to ALAT", []kobo.FormField{input("email", "Email Address", "string", 0), input("password", "Password", "password", 0)}},
		}},
	{slug: "fcmb", name: "FCMB", bankCode: "214", nipCode: "000003", color: "#5C2D91", website: "https://www.fcmb.com", mfa: MFAQuestion, aliases: []string{"First City Monument Bank"},
		personal: []authDef{
			{kobo.InternetBanking, "Log in to FCMB Online", []kobo.FormField{input("username", "User ID", "string", 0), input("password", "Password", "password", 0)}},
			{kobo.MobileBanking, "Log in to FCMB Mobile", []kobo.FormField{input("account_number", "Account Number", "number", 10), input("pin", "4-digit PIN", "password", 4)}},
		}},
	{slug: "polaris", name: "Polaris Bank", bankCode: "076", nipCode: "000008", color: "#8E44AD", website: "https://www.polarisbanklimited.com", mfa: MFAOTP, aliases: []string{"Polaris", "Skye Bank"},
		personal: []authDef{
			{kobo.InternetBanking, "Log in to Polaris Online", []kobo.FormField{input("username", "Username", "string", 0), input("password", "Password", "password", 0)}},
			{kobo.MobileBanking, "Log in to VULTe", []kobo.FormField{input("phone", "Phone Number", "number", 11), input("password", "Password", "password", 0)}},
		}},
	{slug: "kuda", name: "Kuda Bank", bankCode: "090267", nipCode: "090267", color: "#40196D", website: "https://kuda.com", mfa: MFAOTP, aliases: []string{"Kuda", "Kuda MFB"}, popular: 6,
		personal: []authDef{
			{kobo.MobileBanking, "Log in to Kuda", []kobo.FormField{input("email", "Email Address", "string", 0), input("passcode", "6-digit Passcode", "password", 6)}},
		},
		business: []authDef{
			{kobo.MobileBanking, "Log in to Kuda Business", []kobo.FormField{input("email", "Business Email", "string", 0), input("passcode", "6-digit Passcode", "password", 6)}},
		}},
	{slug: "opay", name: "OPay", bankCode: "100004", nipCode: "100004", color: "#1DCF9F", website: "https://opayweb.com", mfa: MFAPIN, noIdent: true, aliases: []string{"Paycom"}, popular: 7,
		personal: []authDef{
			{kobo.MobileBanking, "Log in to OPay", []kobo.FormField{input("phone", "Phone Number", "number", 11), input("pin", "6-digit Login PIN", "password", 6)}},
		}},
	{slug: "moniepoint", name: "Moniepoint MFB", bankCode: "090405", nipCode: "090405", color: "#0357EE", website: "https://moniepoint.com", mfa: MFAOTP, aliases: []string{"Moniepoint", "TeamApt"}, popular: 8,
		personal: []authDef{
			{kobo.MobileBanking, "Log in to Moniepoint", []kobo.FormField{input("phone", "Phone Number", "number", 11), input("pin", "6-digit PIN", "password", 6)}},
		},
		business: []authDef{
			{kobo.InternetBanking, "Log in to Moniepoint Business", []kobo.FormField{input("username", "Business Email or Phone", "string", 0), input("password", "Password", "password", 0)}},
			{kobo.MobileBanking, "Log in to Moniepoint Business App", []kobo.FormField{input("phone", "Phone Number", "number", 11), input("pin", "6-digit PIN", "password", 6)}},
		}},
	{slug: "providus", name: "Providus Bank", bankCode: "101", nipCode: "000023", color: "#F5A623", website: "https://www.providusbank.com", mfa: MFAToken, aliases: []string{"Providus"},
		personal: []authDef{
			{kobo.InternetBanking, "Log in to Providus Internet Banking", []kobo.FormField{input("username", "Username", "string", 0), input("password", "Password", "password", 0)}},
		},
		business: []authDef{
			{kobo.InternetBanking, "Log in to Providus Corporate", []kobo.FormField{input("corporate_id", "Corporate ID", "string", 0), input("username", "User ID", "string", 0), input("password", "Password", "password", 0)}},
		}},
}

// stableID derives a 24-hex id from a name, so catalog ids are the same on
// every install and every replica without a registry.
func stableID(name string) string {
	sum := sha256.Sum256([]byte("kobo.catalog/" + name))
	return hex.EncodeToString(sum[:12])
}

// Catalog returns the institutions the simulated bank group serves, one
// entry per bank and banking type. kobo seeds its institutions table from
// it at start.
func Catalog() []kobo.Institution {
	var out []kobo.Institution
	for _, b := range bankDefs {
		for _, kind := range []struct {
			t     kobo.InstitutionType
			auths []authDef
			name  string
		}{
			{kobo.PersonalBanking, b.personal, b.name},
			{kobo.BusinessBanking, b.business, b.name + " Business"},
		} {
			if len(kind.auths) == 0 {
				continue
			}
			key := b.slug + "/" + string(kind.t)
			in := kobo.Institution{
				ID:           stableID(key),
				Name:         kind.name,
				Type:         kind.t,
				BankCode:     b.bankCode,
				NIPCode:      b.nipCode,
				Country:      "ng",
				Identifier:   "mono.connections." + b.slug,
				Icon:         "/static/institutions/" + b.slug + ".svg",
				PrimaryColor: b.color,
				Website:      b.website,
				Products:     []string{"Auth", "Accounts", "Transactions", "Balance", "Income", "Identity"},
				Scopes:       []string{"financial_data"},
				Provider:     "banksim",
				Aliases:      b.aliases,
				Popularity:   b.popular,
			}
			if b.noIdent {
				in.Products = in.Products[:5]
			}
			if kind.t == kobo.BusinessBanking {
				in.Identifier += ".business"
			}
			for _, a := range kind.auths {
				name := "Internet Banking"
				if a.typ == kobo.MobileBanking {
					name = "Mobile Banking"
				}
				in.AuthMethods = append(in.AuthMethods, kobo.AuthMethod{
					ID:   stableID(key + "/" + a.typ),
					Type: a.typ,
					Name: name,
					UI:   kobo.UIForm{Title: a.title, Form: append([]kobo.FormField(nil), a.fields...)},
				})
			}
			out = append(out, in)
		}
	}
	return out
}

// MFAStyle returns the second factor the bank behind an institution uses.
func MFAStyle(in kobo.Institution) string {
	slug := strings.TrimSuffix(strings.TrimPrefix(in.Identifier, "mono.connections."), ".business")
	for _, b := range bankDefs {
		if b.slug == slug {
			return b.mfa
		}
	}
	return MFAOTP
}
