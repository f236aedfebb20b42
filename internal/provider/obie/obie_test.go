package obie_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
	"github.com/kobo-oss/kobo/internal/banksim/conformance"
	face "github.com/kobo-oss/kobo/internal/banksim/obie"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/obie"
)

type bundle struct {
	sim  *banksim.Sim
	lb   *face.Loopback
	p    *obie.Provider
	inst kobo.Institution
	val  *conformance.Validator
}

func setup(t *testing.T, profile face.Profile, mod func(*face.Config)) *bundle {
	t.Helper()
	sim := banksim.New(banksim.Config{Seed: 11})
	c := face.Config{Sim: sim, Profile: profile, Clients: map[string][]string{"kobo-test": nil}, PageSize: 250}
	if mod != nil {
		mod(&c)
	}
	lb, err := face.StartLoopback(c, "127.0.0.1:0", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.Close() })
	var raw struct {
		OBIE json.RawMessage `json:"obie"`
	}
	if err := json.Unmarshal(lb.BanksFile("simbank", "Sim Bank UK", "kobo-test"), &raw); err != nil {
		t.Fatal(err)
	}
	banks, err := obie.ParseBanks(raw.OBIE)
	if err != nil {
		t.Fatal(err)
	}
	b := &bundle{sim: sim, lb: lb, inst: obie.Catalog(banks)[0]}
	wd, _ := os.Getwd()
	var wrap func(http.RoundTripper) http.RoundTripper
	if spec, err := conformance.Find(wd, face.SpecFile(profile.Version)); err == nil {
		if b.val, err = face.NewValidator(spec); err != nil {
			t.Fatal(err)
		}
		wrap = b.val.Transport
		t.Cleanup(func() {
			n, _ := b.val.Counts()
			for _, f := range b.val.Failures() {
				t.Errorf("bank answer fails the spec: %s", f)
			}
			t.Logf("%d bank answers validated against the %s spec", n, profile.Version)
		})
	} else if os.Getenv("CI") != "" {
		t.Fatal(err)
	}
	// kobo and the bank agree about the time: the simulator's, which the
	// tests advance
	clock := kobo.ClockFunc(func() time.Time { now, _ := sim.Now(context.Background(), ""); return now })
	if b.p, err = obie.New(obie.Config{Banks: banks, WrapTransport: wrap, Clock: clock}); err != nil {
		t.Fatal(err)
	}
	return b
}

var flowRe = regexp.MustCompile(`name="flow" value="([^"]+)"`)

// browser is the customer at the bank's page: TLS to the bank, no client
// certificate, no redirects followed.
func (b *bundle) browser() *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(b.lb.PKI.CA)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// consentAtBank follows the redirect URL, logs in and returns the
// callback's query.
func (b *bundle) consentAtBank(t *testing.T, authURL, user string, answers ...string) url.Values {
	t.Helper()
	c := b.browser()
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{"username": {user}, "password": {"123456"}, "action": {"allow"}}
	for i := 0; ; i++ {
		m := flowRe.FindSubmatch(body)
		if m == nil {
			t.Fatalf("bank page: %d %s", resp.StatusCode, body)
		}
		form.Set("flow", string(m[1]))
		resp, err = c.PostForm(b.lb.URL+"/authorize", form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusFound {
			u, _ := url.Parse(resp.Header.Get("Location"))
			return u.Query()
		}
		name := regexp.MustCompile(`id="f" name="([a-z]+)"`).FindSubmatch(body)
		if name == nil || i >= len(answers) {
			t.Fatalf("login did not finish: %s", body)
		}
		form = url.Values{string(name[1]): {answers[i]}, "action": {"allow"}}
	}
}

func (b *bundle) link(t *testing.T, user string, answers ...string) kobo.BankSession {
	t.Helper()
	ctx := context.Background()
	verifier := kobo.RandomToken(43)
	sum := sha256.Sum256([]byte(verifier))
	rp := &kobo.RedirectParams{State: "sess.nonce.sig", CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]), CallbackURL: "https://kobo.test/connect/callback/obie"}
	step, err := b.p.Login(ctx, kobo.LoginRequest{Institution: b.inst, AuthMethod: b.inst.AuthMethods[0].Type, Interactive: true, Redirect: rp})
	if err != nil || step.Redirect == nil {
		t.Fatalf("login: %+v %v", step, err)
	}
	q := b.consentAtBank(t, step.Redirect.URL, user, answers...)
	if q.Get("state") != rp.State {
		t.Fatalf("state came back as %q", q.Get("state"))
	}
	params := map[string]string{}
	for k := range q {
		params[k] = q.Get(k)
	}
	step, err = b.p.Callback(ctx, kobo.CallbackRequest{Ref: step.Redirect.Ref, Params: params, CodeVerifier: kobo.Secret(verifier), Institution: b.inst})
	if err != nil || step.Session == nil {
		t.Fatalf("callback: %+v %v", step, err)
	}
	return *step.Session
}

func TestConnectorReadsEverything(t *testing.T) {
	t.Parallel()
	for _, prof := range []face.Profile{face.V31(), face.V40()} {
		t.Run(prof.Version, func(t *testing.T) {
			t.Parallel()
			b := setup(t, prof, nil)
			ctx := context.Background()
			s := b.link(t, "user_otp", banksim.TestOTP)
			if s.ConsentExpiresAt == nil || s.ConsentExpiresAt.Before(time.Now().Add(80*24*time.Hour)) {
				t.Errorf("consent expiry %v, want about 90 days", s.ConsentExpiresAt)
			}
			accts, err := b.p.Accounts(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			std, _ := b.sim.StdAccounts(ctx, "", banksim.Catalog()[0].ID, "user_otp")
			if len(accts) != 1 || accts[0].Ref != std[0].ID || string(accts[0].Number) != std[0].Number || accts[0].Balance != std[0].Balance ||
				accts[0].Currency != "GBP" || len(accts[0].Identifiers) != 2 || accts[0].Identifiers[0].Scheme != kobo.SchemeSortCode {
				t.Fatalf("accounts: %+v, simulator %+v", accts, std)
			}
			var rows []kobo.BankTransaction
			pages := 0
			if err := b.p.Transactions(ctx, s, accts[0].Ref, kobo.TxnQuery{}, func(p []kobo.BankTransaction) error {
				rows, pages = append(rows, p...), pages+1
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			now, _ := b.sim.Now(ctx, "")
			var want []banksim.Txn
			for cur := ""; ; {
				page, next, err := b.sim.StdTransactions(ctx, "", banksim.Catalog()[0].ID, "user_otp", std[0].ID, std[0].Opened, now, cur, 5000)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, page...)
				if cur = next; cur == "" {
					break
				}
			}
			if len(rows) != len(want) || pages < 4 {
				t.Fatalf("%d rows over %d pages, simulator has %d", len(rows), pages, len(want))
			}
			pending, merchants, parties := 0, 0, 0
			for i, w := range want {
				r := rows[i]
				if r.Ref != w.Ref || !r.ProviderID || r.Amount != w.Amount || (r.Type == kobo.Credit) != w.Credit || !r.Date.Equal(w.Date) || r.Narration != w.Narration {
					t.Fatalf("row %d: %+v, simulator %+v", i, r, w)
				}
				// the detail the face sends beside Mono's fields arrives in Meta
				n := face.Narration(w.Narration, w.Credit)
				if r.Meta[kobo.MetaBankTxnCode] != n.Family+"/"+n.SubFamily || r.Meta[kobo.MetaMerchantName] != n.Merchant ||
					r.Meta[kobo.MetaCounterpartyName] != n.Counterparty || r.Meta[kobo.MetaCounterpartyBank] != n.CounterpartyBank ||
					r.Meta[kobo.MetaReference] != n.Reference || r.Meta[kobo.MetaStatus] == "" || r.Meta[kobo.MetaValueDate] == "" ||
					(n.Card && r.Meta[kobo.MetaCardLast4] != std[0].Number[len(std[0].Number)-4:]) {
					t.Fatalf("row %d meta %v, face sent %+v", i, r.Meta, n)
				}
				if n.Merchant != "" {
					merchants++
				}
				if n.Counterparty != "" {
					parties++
				}
				if r.Pending {
					pending++
					continue
				}
				if r.Balance == nil || *r.Balance != w.Balance {
					t.Fatalf("row %d balance %v, simulator %d", i, r.Balance, w.Balance)
				}
			}
			id, err := b.p.Identity(ctx, s, accts[0].Ref)
			if err != nil || id.FullName != "CHIOMA GRACE EZE" || !strings.HasPrefix(id.Phone, "080") || id.AddressLine1 == "" {
				t.Fatalf("identity: %+v %v", id, err)
			}
			if merchants == 0 || parties == 0 {
				t.Errorf("%d rows with a merchant, %d with a counterparty: the meta check saw none", merchants, parties)
			}
			t.Logf("%d rows, %d pages, %d pending, %d merchants, %d counterparties", len(rows), pages, pending, merchants, parties)
		})
	}
}

func setFaults(t *testing.T, sim *banksim.Sim, user, body string) {
	t.Helper()
	w := httptest.NewRecorder()
	sim.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPut, "/admin/users/"+user+"/faults", strings.NewReader(body)))
	if w.Code != 200 {
		t.Fatalf("faults: %d %s", w.Code, w.Body)
	}
}

func TestConnectorClassifiesFaults(t *testing.T) {
	t.Parallel()
	b := setup(t, face.V31(), func(c *face.Config) { c.ConsentTTL = 0 })
	ctx := context.Background()
	s := b.link(t, "user_good")
	accts, err := b.p.Accounts(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	ref := accts[0].Ref
	setFaults(t, b.sim, "user_good", `{"rate_limit":true}`)
	_, err = b.p.Balance(ctx, s, ref)
	var be *kobo.BankError
	if kobo.BankErrorKindOf(err) != kobo.BankRateLimited || !asBank(err, &be) || be.RetryAfter != time.Second {
		t.Errorf("429: %v", err)
	}
	setFaults(t, b.sim, "user_good", `{"error_rate":1}`)
	if _, err := b.p.Balance(ctx, s, ref); kobo.BankErrorKindOf(err) != kobo.BankUnavailable {
		t.Errorf("500: %v", err)
	}
	setFaults(t, b.sim, "user_good", `{}`)
	// the access token lapses: 401 → token expired; a refresh works
	if _, err := b.sim.Advance(ctx, "", 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := b.p.Balance(ctx, s, ref); kobo.BankErrorKindOf(err) != kobo.BankTokenExpired {
		t.Errorf("expired access token: %v", err)
	}
	step, err := b.p.Login(ctx, kobo.LoginRequest{Institution: b.inst, Persist: s.Persist})
	if err != nil || step.Session == nil {
		t.Fatalf("refresh: %v", err)
	}
	if _, err := b.p.Balance(ctx, *step.Session, ref); err != nil {
		t.Errorf("after refresh: %v", err)
	}
	// the consent lapses (90 days at the bank): data 403 and refresh
	// invalid_grant are both re-authorisation
	if _, err := b.sim.Advance(ctx, "", 91*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := b.p.Login(ctx, kobo.LoginRequest{Institution: b.inst, Persist: s.Persist}); kobo.BankErrorKindOf(err) != kobo.BankMFARequired {
		t.Errorf("refresh after the consent lapsed: %v", err)
	}
	// a new consent reaches the same account
	s2 := b.link(t, "user_good")
	accts2, err := b.p.Accounts(ctx, s2)
	if err != nil || accts2[0].Ref != ref {
		t.Fatalf("re-consent: %+v %v", accts2, err)
	}
	// revoked at the bank
	ids, _ := b.lb.Face.Consents(ctx, "user_good")
	for _, id := range ids {
		_ = b.lb.Face.Revoke(ctx, id)
	}
	if _, err := b.p.Balance(ctx, s2, ref); kobo.BankErrorKindOf(err) != kobo.BankMFARequired {
		t.Errorf("revoked consent: %v", err)
	}
	// the customer declines at the bank
	if _, err := b.p.Callback(ctx, kobo.CallbackRequest{Ref: kobo.Secret(`{"b":"simbank","c":"x"}`), Params: map[string]string{"error": "access_denied"}}); kobo.BankErrorKindOf(err) != kobo.BankBadCredentials {
		t.Errorf("declined: %v", err)
	}
}

func asBank(err error, be **kobo.BankError) bool {
	e, ok := err.(*kobo.BankError)
	if ok {
		*be = e
	}
	return ok
}

func TestParseBanksNamesProblems(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{`{}`, "array"},
		{`[{"id":"A b"}]`, "id must be"},
		{`[{"id":"x","name":"X","base_url":"http://x","auth_url":"https://a","token_url":"https://t","client_id":"c"}]`, "base_url must be an absolute https URL"},
		{`[{"id":"x","name":"X","base_url":"https://x","auth_url":"https://a","token_url":"https://t","client_id":"c","profile":"v5"}]`, `profile must be`},
		{`[{"id":"x","name":"X","base_url":"https://x","auth_url":"https://a","token_url":"https://t","client_id":"c","cert_file":"a"}]`, "go together"},
		{`[{"id":"x","name":"X","base_url":"https://x","auth_url":"https://a","token_url":"https://t","client_id":"c","colour":"red"}]`, "unknown field"},
		{`[{"id":"x","name":"X","base_url":"https://x","auth_url":"https://a","token_url":"https://t","client_id":"c"},{"id":"x","name":"Y","base_url":"https://x","auth_url":"https://a","token_url":"https://t","client_id":"c"}]`, "used twice"},
	} {
		_, err := obie.ParseBanks(json.RawMessage(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.in, err, c.want)
		}
	}
	banks, err := obie.ParseBanks(json.RawMessage(`[{"id":"x","name":"X","base_url":"https://x/open-banking/v3.1/aisp/","auth_url":"https://a","token_url":"https://t","client_id":"c"}]`))
	if err != nil || banks[0].Profile != "v3.1" || banks[0].Country != "gb" || banks[0].ConsentDays != 90 || strings.HasSuffix(banks[0].BaseURL, "/") {
		t.Fatalf("defaults: %+v %v", banks, err)
	}
	inst := obie.Catalog(banks)[0]
	if inst.Provider != obie.Name || inst.AuthMethods[0].Consent != kobo.ConsentRedirect || inst.ID != obie.InstitutionID("x") {
		t.Errorf("catalog: %+v", inst)
	}
}

// TestTransactionMetaKeepsTheDetail maps an OBTransaction6 with every
// detail kobo's Mono shape has no field for: each lands under its
// documented key, and account and card numbers only as their last 4.
func TestTransactionMetaKeepsTheDetail(t *testing.T) {
	body := `{"Data":{"Transaction":[{"AccountId":"a1","TransactionId":"t1","TransactionReference":"INV-42","StatementReference":["S1","S2"],
		"Amount":{"Amount":"12.50","Currency":"GBP"},"CreditDebitIndicator":"Debit","Status":"Booked",
		"BookingDateTime":"2026-01-02T03:04:05Z","ValueDateTime":"2026-01-03T00:00:00+01:00","TransactionInformation":"CARD PAYMENT",
		"AddressLine":"1 High St","BankTransactionCode":{"Code":"ReceivedCreditTransfer","SubCode":"DomesticCreditTransfer"},
		"ProprietaryBankTransactionCode":{"Code":"POS","Issuer":"mybank"},
		"MerchantDetails":{"MerchantName":"SPAR","MerchantCategoryCode":"5411"},
		"CreditorAccount":{"SchemeName":"UK.OBIE.SortCodeAccountNumber","Identification":"60161331926819","Name":"SPAR LTD"},
		"CreditorAgent":{"SchemeName":"UK.OBIE.BICFI","Identification":"NWBKGB2L"},
		"DebtorAccount":{"SchemeName":"UK.OBIE.IBAN","Identification":"GB00OWN","Name":"ME"},
		"CardInstrument":{"CardSchemeName":"VISA","Identification":"4***********1234","AuthorisationType":"PIN"},
		"ChargeAmount":{"Amount":"0.50","Currency":"GBP"},
		"CurrencyExchange":{"SourceCurrency":"EUR","TargetCurrency":"GBP","ExchangeRate":0.8612}}]}}`
	p, err := obie.DecodePage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := obie.MapTransactions(p.Data.Transaction)
	if err != nil || len(rows) != 1 {
		t.Fatalf("%v %v", rows, err)
	}
	want := kobo.TxnMeta{
		"merchant_name": "SPAR", "merchant_category_code": "5411",
		"counterparty_name": "SPAR LTD", "counterparty_scheme": "UK.OBIE.SortCodeAccountNumber", "counterparty_account_last4": "6819",
		"counterparty_bank": "NWBKGB2L", "reference": "INV-42", "statement_reference": "S1,S2",
		"bank_transaction_code": "ReceivedCreditTransfer/DomesticCreditTransfer", "proprietary_code": "mybank:POS",
		"value_date": "2026-01-02T23:00:00Z", "card_scheme": "VISA", "card_last4": "1234", "charge_amount": "0.50 GBP",
		"fx_rate": "0.8612", "fx_source_currency": "EUR", "fx_target_currency": "GBP", "address": "1 High St", "status": "Booked",
	}
	if got := rows[0].Meta; !maps.Equal(got, want) {
		t.Errorf("meta\n got %v\nwant %v", got, want)
	}
	// a bare row has no meta at all, not an empty map
	bp, err := obie.DecodePage([]byte(`{"Data":{"Transaction":[{"TransactionId":"t2","Amount":{"Amount":"1.00","Currency":"GBP"},
		"CreditDebitIndicator":"Credit","BookingDateTime":"2026-01-02T03:04:05Z"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	bare := bp.Data.Transaction[0]
	if m := obie.TransactionMeta(bare); m != nil {
		t.Errorf("bare row meta = %v, want nil", m)
	}
}
