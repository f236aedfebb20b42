package banksim

import (
	"fmt"
	"strings"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Fixed answers the test users give to second factors.
const (
	TestOTP      = "123456"
	TestAnswer   = "adebayo" // "What is your mother's maiden name?"
	TestPIN      = "1234"
	TestToken    = "246810"
	TestQuestion = "What is your mother's maiden name?"
)

// Scenario is what a simulated user does: its accounts, its data and the
// faults its bank shows. Test users have fixed scenarios; the admin API
// creates custom ones.
type Scenario struct {
	Username    string   `json:"username"`
	Description string   `json:"description"`
	FullName    string   `json:"full_name"`
	Accounts    []AcctSp `json:"accounts"`
	// MFA is the second factor at interactive login: "" (none), "otp",
	// "question", "pin", "token", "bank" (the bank's own style), or a chain
	// like "otp,question".
	MFA string `json:"mfa"`
	// ReauthEverySync makes every later non-interactive login need MFA.
	ReauthEverySync bool   `json:"reauth_every_sync"`
	BadPassword     bool   `json:"bad_password"` // no password works
	Locked          bool   `json:"locked"`
	Faults          Faults `json:"faults"`
	// TxnsFail makes the transactions endpoint fail (balance still works).
	TxnsFail bool `json:"txns_fail"`
	// Tenant owns a partner-defined user (POST /v2/sandbox/users): only
	// that tenant's logins find it. Rev changes whenever the user is
	// created again, so histories cached for an earlier definition are
	// never served for a new one.
	Tenant   string                `json:"tenant,omitempty"`
	Rev      string                `json:"rev,omitempty"`
	Password string                `json:"password,omitempty"` // every secret field's value; "" for the defaults
	Identity *kobo.SandboxIdentity `json:"identity,omitempty"`
	index    int                   // position, for phone and account number aliases
}

// AcctSp describes one account of a scenario.
type AcctSp struct {
	Type         string  `json:"type"` // "SAVINGS ACCOUNT", "CURRENT ACCOUNT", ...
	Business     bool    `json:"business"`
	Employer     string  `json:"employer"`      // salary payer; "" for none
	Salary       int64   `json:"salary"`        // monthly, kobo
	PerDay       float64 `json:"per_day"`       // average transactions a day besides salary and charges
	HistoryDays  int     `json:"history_days"`  // how long the account has existed
	OpeningKobo  int64   `json:"opening_kobo"`  // balance at opening
	Empty        bool    `json:"empty"`         // no transactions at all
	Fixed        bool    `json:"fixed"`         // the history is Transactions, not generated
	Freelance    bool    `json:"freelance"`     // irregular income instead of a salary
	FreelanceAvg int64   `json:"freelance_avg"` // average monthly freelance income, kobo
	// Transactions, when set, is the account's exact history instead of a
	// generated one.
	Transactions []kobo.SandboxFixedTxn `json:"transactions,omitempty"`
}

func personal(employer string, salary int64, perDay float64) AcctSp {
	return AcctSp{Type: "SAVINGS ACCOUNT", Employer: employer, Salary: salary, PerDay: perDay, HistoryDays: 400, OpeningKobo: 15_000_000}
}

// testUsers are the same at every bank. Their names say what they do.
func testUsers() []Scenario {
	users := []Scenario{
		{Username: "user_good", Description: "One savings account, salaried; links with no second factor (responseCode 99).", FullName: "ADAEZE NNEKA OKAFOR",
			Accounts: []AcctSp{personal("ANDELA NIGERIA LTD", 450_000_00, 3)}},
		{Username: "user_multi", Description: "Three accounts (savings, current, domiciliary-style); login answers 101, pick one with commit.", FullName: "BABATUNDE OLUWASEUN ADEYEMI",
			Accounts: []AcctSp{personal("FLUTTERWAVE TECHNOLOGY SOLUTIONS", 780_000_00, 4),
				{Type: "CURRENT ACCOUNT", PerDay: 2, HistoryDays: 400, OpeningKobo: 50_000_000},
				{Type: "SAVINGS ACCOUNT - TARGET", PerDay: 0.3, HistoryDays: 300, OpeningKobo: 200_000_000}}},
		{Username: "user_otp", Description: "Asks for an OTP (102); the OTP is " + TestOTP + ".", FullName: "CHIOMA GRACE EZE", MFA: "otp",
			Accounts: []AcctSp{personal("DANGOTE CEMENT PLC", 320_000_00, 3)}},
		{Username: "user_question", Description: "Asks a security question (102 with the question as the hint); the answer is " + TestAnswer + ".", FullName: "IBRAHIM MUSA BELLO", MFA: "question",
			Accounts: []AcctSp{personal("MTN NIGERIA COMMUNICATIONS PLC", 610_000_00, 3)}},
		{Username: "user_mfa", Description: "Asks for the bank's own second factor: OTP " + TestOTP + ", question " + TestAnswer + ", PIN " + TestPIN + " or token " + TestToken + ".", FullName: "FUNMILAYO ADUNNI BALOGUN", MFA: "bank",
			Accounts: []AcctSp{personal("ACCESS HOLDINGS PLC", 520_000_00, 3)}},
		{Username: "user_chained", Description: "Asks for an OTP, then a security question (102 twice).", FullName: "EMEKA CHUKWUDI NWOSU", MFA: "otp,question",
			Accounts: []AcctSp{personal("SHELL PETROLEUM DEVELOPMENT CO", 1_250_000_00, 3)}},
		{Username: "user_bad", Description: "No password works: login always answers 400 (wrong credentials).", FullName: "NO ONE", BadPassword: true,
			Accounts: []AcctSp{personal("", 0, 1)}},
		{Username: "user_locked", Description: "The bank has locked this user: login answers 400 with a locked-account message.", FullName: "KEHINDE TAIWO OGUNDIPE", Locked: true,
			Accounts: []AcctSp{personal("", 0, 1)}},
		{Username: "user_reauth", Description: "Links with an OTP; every later background sync needs MFA again (drives re-authorisation).", FullName: "YETUNDE ABIOLA COKER", MFA: "otp", ReauthEverySync: true,
			Accounts: []AcctSp{personal("GUARANTY TRUST HOLDING CO", 480_000_00, 3)}},
		{Username: "user_slow", Description: "A slow bank: every call takes about 3 seconds.", FullName: "OLUWADAMILARE SEGUN ALABI", Faults: Faults{Latency: 3_000},
			Accounts: []AcctSp{personal("INTERSWITCH LIMITED", 400_000_00, 2)}},
		{Username: "user_flaky", Description: "A flaky bank: about 30% of calls fail with 5xx and 10% hang until the client times out.", FullName: "NGOZI ADAOBI OKONKWO", Faults: Faults{ErrorRate: 0.3, TimeoutRate: 0.1},
			Accounts: []AcctSp{personal("PAYSTACK PAYMENTS LIMITED", 690_000_00, 3)}},
		{Username: "user_huge", Description: "Huge history: over 100,000 transactions across five years.", FullName: "ABUBAKAR SADIQ IBRAHIM",
			Accounts: []AcctSp{{Type: "CURRENT ACCOUNT", Business: true, Employer: "NIGERIAN NATIONAL PETROLEUM CO", Salary: 2_100_000_00, PerDay: 60, HistoryDays: 1830, OpeningKobo: 500_000_000}}},
		{Username: "user_empty", Description: "A new account with no transactions and a zero balance.", FullName: "TEMITOPE ADESOLA JOHNSON",
			Accounts: []AcctSp{{Type: "SAVINGS ACCOUNT", Empty: true, HistoryDays: 10}}},
		{Username: "user_partial", Description: "Partial data: the balance works, transactions always fail (data status PARTIAL).", FullName: "UCHENNA IFEANYI OBI", TxnsFail: true,
			Accounts: []AcctSp{personal("CHEVRON NIGERIA LTD", 900_000_00, 3)}},
		{Username: "user_business", Description: "A business current account with high volume (about 150 transactions a day).", FullName: "KOBO SANDBOX VENTURES LTD",
			Accounts: []AcctSp{{Type: "CURRENT ACCOUNT - CORPORATE", Business: true, PerDay: 150, HistoryDays: 400, OpeningKobo: 2_500_000_000}}},
		{Username: "user_freelance", Description: "Irregular income from several clients (no salary).", FullName: "ZAINAB HALIMA YUSUF",
			Accounts: []AcctSp{{Type: "SAVINGS ACCOUNT", Freelance: true, FreelanceAvg: 380_000_00, PerDay: 2, HistoryDays: 400, OpeningKobo: 8_000_000}}},
	}
	for i := range users {
		users[i].index = i + 1
	}
	return users
}

// ExpectedIncome is a test user's salary and employer, for checking an
// income estimator against the simulated truth.
func ExpectedIncome(username string) (employer string, monthly int64, ok bool) {
	for _, u := range testUsers() {
		if u.Username == username && len(u.Accounts) > 0 && u.Accounts[0].Employer != "" {
			return u.Accounts[0].Employer, u.Accounts[0].Salary, true
		}
	}
	return "", 0, false
}

// identifierValue is what the user types in an identifier field.
func (u *Scenario) identifierValue(f kobo.FormField) string {
	if id := u.Identity; id != nil {
		switch {
		case f.Name == "phone" && id.Phone != "":
			return id.Phone
		case f.Name == "email" && id.Email != "":
			return id.Email
		}
	}
	switch f.Name {
	case "phone":
		return fmt.Sprintf("080%08d", u.index)
	case "email":
		return u.Username + "@sandbox.kobo.ng"
	case "account_number":
		return fmt.Sprintf("%010d", 1_000_000_000+u.index)
	case "corporate_id":
		return "KOBOCORP"
	}
	return u.Username
}

// secretValue is the user's password or PIN for a secret field.
func secretValue(f kobo.FormField) string {
	switch f.MaxLength {
	case 4:
		return "1234"
	case 5:
		return "12345"
	}
	return "123456"
}

func isSecret(f kobo.FormField) bool { return f.ContentType == "password" }

// Values is what a user types into a login form.
func (u *Scenario) Values(form kobo.UIForm) map[string]string {
	out := map[string]string{}
	for _, f := range form.Form {
		if isSecret(f) {
			out[f.Name] = u.secret(f)
		} else {
			out[f.Name] = u.identifierValue(f)
		}
	}
	return out
}

// matches reports whether the form's identifier fields name this user.
func (u *Scenario) matches(form kobo.UIForm, fields map[string]string) bool {
	for _, f := range form.Form {
		if isSecret(f) || f.Name == "corporate_id" {
			continue
		}
		v := strings.TrimSpace(strings.ToLower(fields[f.Name]))
		if v != strings.ToLower(u.identifierValue(f)) && v != u.Username {
			return false
		}
	}
	return true
}

// mfaSteps is the list of second factors an interactive login asks for.
func (u *Scenario) mfaSteps(bankStyle string) []string {
	if u.MFA == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(u.MFA, ",") {
		if s == "bank" {
			s = bankStyle
		}
		out = append(out, s)
	}
	return out
}

// mfaInputs is what a user answers to each factor, for the sandbox listing.
func mfaInputs(steps []string) map[string]string {
	in := map[string]string{}
	for _, s := range steps {
		f := challengeForm(s).Form[0]
		in[f.Name] = expectedAnswer(s)
	}
	return in
}

func expectedAnswer(kind string) string {
	switch kind {
	case MFAQuestion:
		return TestAnswer
	case MFAPIN:
		return TestPIN
	case MFAToken:
		return TestToken
	}
	return TestOTP
}

// challengeForm is the 102 form for a second factor, shaped like Mono's.
func challengeForm(kind string) kobo.UIForm {
	switch kind {
	case MFAQuestion:
		return kobo.UIForm{Title: "Answer your security question", Form: []kobo.FormField{{Type: "elements.input", Name: "answer", Hint: TestQuestion, ContentType: "string"}}}
	case MFAPIN:
		return kobo.UIForm{Title: "Enter your transaction PIN", Form: []kobo.FormField{{Type: "elements.input", Name: "pin", Hint: "4-digit transaction PIN", ContentType: "password", MaxLength: 4}}}
	case MFAToken:
		return kobo.UIForm{Title: "Enter the code on your hardware token", Form: []kobo.FormField{{Type: "elements.input", Name: "token", Hint: "6-digit token code", ContentType: "number", MaxLength: 6}}}
	}
	return kobo.UIForm{Title: "Please input OTP sent to you", Form: []kobo.FormField{{Type: "elements.input", Name: "otp", Hint: "Please don't share this one time password", ContentType: "string", MaxLength: 6}}}
}

// SandboxUsers lists the test users with what each types into the form
// of an institution's auth method.
func SandboxUsers(inst kobo.Institution, authMethod string) []kobo.SandboxUser {
	m, ok := inst.AuthMethod(authMethod)
	if !ok && len(inst.AuthMethods) > 0 {
		m = inst.AuthMethods[0]
	}
	var out []kobo.SandboxUser
	for _, u := range testUsers() {
		steps := u.mfaSteps(MFAStyle(inst))
		su := kobo.SandboxUser{Username: u.Username, Password: "123456", Description: u.Description, HasMultipleAccounts: len(u.Accounts) > 1,
			MFA: strings.Join(steps, ","), Values: u.Values(m.UI)}
		if len(steps) > 0 {
			su.Inputs = mfaInputs(steps)
		}
		out = append(out, su)
	}
	return out
}
