package berlingroup

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/banksim"
)

// lagos is the bank's zone: booking dates are Lagos calendar days.
var lagos = time.FixedZone("WAT", 3600)

// pendingWindow is how long a transaction stays pending before the bank
// books it.
const pendingWindow = 24 * time.Hour

// session is an AIS request the consent allows.
type session struct {
	c    *consent
	user *banksim.Scenario
	now  time.Time
}

// withConsent checks the Consent-ID (and, for OAuth consents, the access
// token bound to it), the consent's status and its frequencyPerDay.
func (f *Face) withConsent(h func(http.ResponseWriter, *http.Request, session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := r.Header.Get("Consent-ID")
		if id == "" {
			tppError(w, http.StatusBadRequest, "FORMAT_ERROR", "the Consent-ID header is required")
			return
		}
		c, err := f.loadConsent(ctx, id)
		if err != nil {
			unavailable(w, f.log, err)
			return
		}
		if c == nil {
			tppError(w, http.StatusUnauthorized, "CONSENT_UNKNOWN", "no consent has this Consent-ID")
			return
		}
		now, err := f.now(ctx)
		if err != nil {
			unavailable(w, f.log, err)
			return
		}
		if c.Approach == OAuth {
			var g grant
			tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			ok, err := f.get(ctx, kindToken, tok, &g)
			if err != nil {
				unavailable(w, f.log, err)
				return
			}
			switch {
			case !ok || g.Refresh || g.Consent != c.ID:
				tppError(w, http.StatusUnauthorized, "TOKEN_INVALID", "the access token is missing or not for this consent")
				return
			case now.After(g.Exp):
				tppError(w, http.StatusUnauthorized, "TOKEN_EXPIRED", "the access token has expired; refresh it")
				return
			}
		}
		switch c.Status {
		case "valid":
		case "expired":
			tppError(w, http.StatusUnauthorized, "CONSENT_EXPIRED", "the consent expired on "+c.ValidUntil)
			return
		case "received":
			tppError(w, http.StatusUnauthorized, "CONSENT_INVALID", "the consent is not authorised yet")
			return
		default:
			tppError(w, http.StatusUnauthorized, "CONSENT_INVALID", "the consent is "+c.Status)
			return
		}
		u, err := f.user(ctx, c.PSU)
		if err != nil {
			unavailable(w, f.log, err)
			return
		}
		if u == nil {
			tppError(w, http.StatusUnauthorized, "CONSENT_INVALID", "the PSU of this consent is gone")
			return
		}
		if f.misbehave(w, r, u) {
			return
		}
		// PSD2 limits only the calls the PSU does not take part in; a
		// PSU-IP-Address says the PSU is present.
		if r.Header.Get("PSU-IP-Address") == "" {
			res := cmpOr(r.PathValue("account"), "accounts")
			if strings.HasSuffix(r.URL.Path, "/balances") {
				res += "/balances"
			} else if strings.HasSuffix(r.URL.Path, "/transactions") {
				res += "/transactions"
			}
			if r.URL.Query().Get("page") == "" { // later pages are one read
				day := now.In(lagos).Format(time.DateOnly)
				n, err := f.state.Add(ctx, kindUsage, c.ID+"/"+day+"/"+res, 1)
				if err != nil {
					unavailable(w, f.log, err)
					return
				}
				if n > int64(c.Freq) {
					tppError(w, http.StatusTooManyRequests, "ACCESS_EXCEEDED",
						"the consent allows "+strconv.Itoa(c.Freq)+" unattended reads of this resource a day")
					return
				}
			}
		}
		if today := now.In(lagos).Format(time.DateOnly); c.LastAction != today {
			c.LastAction = today
			if err := f.put(ctx, kindConsent, c.ID, c); err != nil {
				unavailable(w, f.log, err)
				return
			}
		}
		h(w, r, session{c: c, user: u, now: now})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// grants says what the consent allows on an account.
func grants(acc AccountAccess, a banksim.StdAccount) (list, balances, txns bool) {
	if acc.AllPsd2 != "" {
		return true, true, true
	}
	in := func(l []AccountReference) bool {
		return slices.ContainsFunc(l, func(r AccountReference) bool { return r.BBAN == a.Number || r.IBAN == a.Number })
	}
	balances = acc.AvailableAccountsWithBalance != "" || in(acc.Balances)
	txns = in(acc.Transactions)
	list = acc.AvailableAccounts != "" || balances || txns || in(acc.Accounts)
	return list, balances, txns
}

func cashAccountType(a banksim.StdAccount) string {
	if strings.Contains(a.Type, "SAVINGS") {
		return "SVGS"
	}
	return "CACC"
}

func (f *Face) accountJSON(s session, a banksim.StdAccount, bal, txns bool) map[string]any {
	usage := "PRIV"
	if a.Business {
		usage = "ORGA"
	}
	links := map[string]any{}
	if bal {
		links["balances"] = href("/v1/accounts/" + a.ID + "/balances")
	}
	if txns {
		links["transactions"] = href("/v1/accounts/" + a.ID + "/transactions")
	}
	out := map[string]any{"resourceId": a.ID, "bban": a.Number, "currency": "NGN", "name": truncate(a.Name, 70), "ownerName": truncate(a.Name, 140),
		"product": truncate(a.Type, 35), "cashAccountType": cashAccountType(a), "status": "enabled", "usage": usage}
	if len(links) > 0 {
		out["_links"] = links
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (f *Face) handleAccounts(w http.ResponseWriter, r *http.Request, s session) {
	var out []map[string]any
	withBalance := r.URL.Query().Get("withBalance") == "true"
	for _, a := range f.sim.StdAccountsOf(f.inst, s.user) {
		if list, bal, txns := grants(s.c.Access, a); list {
			j := f.accountJSON(s, a, bal, txns)
			if withBalance && bal {
				j["balances"] = f.balances(a, s.now)
			}
			out = append(out, j)
		}
	}
	if out == nil {
		out = []map[string]any{}
	}
	writeJSON(w, 200, map[string]any{"accounts": out})
}

// account finds the path's account, answering 403 RESOURCE_UNKNOWN when
// the PSU has none such and 401 CONSENT_INVALID when the consent does
// not cover what is asked.
func (f *Face) account(w http.ResponseWriter, r *http.Request, s session, need func(list, bal, txns bool) bool) (banksim.StdAccount, bool) {
	for _, a := range f.sim.StdAccountsOf(f.inst, s.user) {
		if a.ID == r.PathValue("account") {
			if !need(grants(s.c.Access, a)) {
				tppError(w, http.StatusUnauthorized, "CONSENT_INVALID", "the consent does not cover this request for this account")
				return a, false
			}
			return a, true
		}
	}
	tppError(w, http.StatusForbidden, "RESOURCE_UNKNOWN", "the PSU has no account with this id")
	return banksim.StdAccount{}, false
}

// Amount formats kobo as the standard's decimal string.
func Amount(k int64) string {
	neg := k < 0
	if neg {
		k = -k
	}
	s := strconv.FormatInt(k/100, 10) + "." + strconv.FormatInt(100+k%100, 10)[1:]
	if neg {
		s = "-" + s
	}
	return s
}

func money(k int64) map[string]string {
	return map[string]string{"currency": "NGN", "amount": Amount(k)}
}

func (f *Face) handleBalances(w http.ResponseWriter, r *http.Request, s session) {
	a, ok := f.account(w, r, s, func(_, bal, _ bool) bool { return bal })
	if !ok {
		return
	}
	writeJSON(w, 200, map[string]any{"account": map[string]string{"bban": a.Number, "currency": "NGN"}, "balances": f.balances(a, s.now)})
}

// balances are the booked balance (before the pending window) and the
// available one (now).
func (f *Face) balances(a banksim.StdAccount, now time.Time) []map[string]any {
	booked := f.sim.StdBalance(a, now.Add(-pendingWindow))
	avail := f.sim.StdBalance(a, now)
	return []map[string]any{
		{"balanceAmount": money(booked), "balanceType": "closingBooked", "referenceDate": now.Add(-pendingWindow).In(lagos).Format(time.DateOnly)},
		{"balanceAmount": money(avail), "balanceType": "interimAvailable", "lastChangeDateTime": now.UTC().Format(time.RFC3339)},
	}
}

// PageCursor is where a page starts: the first transaction dated at or
// after At, skipping Skip of those dated exactly At (already sent).
type PageCursor struct {
	At   time.Time
	Skip int
}

// ParsePageCursor reads the page query parameter of a next link.
func ParsePageCursor(v string) (PageCursor, bool) {
	ts, sk, ok := strings.Cut(v, "~")
	if !ok {
		return PageCursor{}, false
	}
	ns, err1 := strconv.ParseInt(ts, 10, 64)
	n, err2 := strconv.Atoi(sk)
	if err1 != nil || err2 != nil || n < 0 || ns < 0 {
		return PageCursor{}, false
	}
	return PageCursor{At: time.Unix(0, ns).UTC(), Skip: n}, true
}

// String is the page parameter of the cursor.
func (p PageCursor) String() string {
	return strconv.FormatInt(p.At.UnixNano(), 10) + "~" + strconv.Itoa(p.Skip)
}

func (f *Face) handleTransactions(w http.ResponseWriter, r *http.Request, s session) {
	a, ok := f.account(w, r, s, func(_, _, txns bool) bool { return txns })
	if !ok {
		return
	}
	if s.user.StdTransactionsFail() {
		// the lasting failure of banksim's user_partial: balances work,
		// the statement service does not
		unavailable(w, f.log, nil)
		return
	}
	q := r.URL.Query()
	status := q.Get("bookingStatus")
	if status != "booked" && status != "pending" && status != "both" {
		tppError(w, http.StatusBadRequest, "PARAMETER_NOT_SUPPORTED", "bookingStatus must be booked, pending or both")
		return
	}
	if q.Get("dateFrom") == "" {
		tppError(w, http.StatusBadRequest, "FORMAT_ERROR", "dateFrom is required")
		return
	}
	from, err := time.ParseInLocation(time.DateOnly, q.Get("dateFrom"), lagos)
	if err != nil {
		tppError(w, http.StatusBadRequest, "FORMAT_ERROR", "dateFrom must be a date (YYYY-MM-DD)")
		return
	}
	to := s.now
	if v := q.Get("dateTo"); v != "" {
		d, err := time.ParseInLocation(time.DateOnly, v, lagos)
		if err != nil {
			tppError(w, http.StatusBadRequest, "FORMAT_ERROR", "dateTo must be a date (YYYY-MM-DD)")
			return
		}
		if end := d.AddDate(0, 0, 1).Add(-time.Nanosecond); end.Before(to) {
			to = end
		}
	}
	cur := PageCursor{At: from}
	if v := q.Get("page"); v != "" {
		c, ok := ParsePageCursor(v)
		if !ok || c.At.Before(from) {
			tppError(w, http.StatusBadRequest, "FORMAT_ERROR", "page is not a cursor of this listing")
			return
		}
		cur = c
	}
	pendingFrom := s.now.Add(-pendingWindow)
	booked, pending := make([]map[string]any, 0, 64), make([]map[string]any, 0, 8)
	n, skipped := 0, 0
	var next *PageCursor
	lastAt, sameAt := time.Time{}, 0
	f.sim.EachStdTransaction(a, cur.At, to, func(x banksim.Txn) bool {
		if x.Date.Equal(cur.At) && skipped < cur.Skip {
			skipped++
			return true
		}
		if n == f.maxPage {
			// resume at this row: skip the rows of its instant already
			// visited (sent or filtered), on this page and before it
			c := PageCursor{At: x.Date}
			if x.Date.Equal(lastAt) {
				c.Skip = sameAt
			}
			if x.Date.Equal(cur.At) {
				c.Skip += cur.Skip
			}
			next = &c
			return false
		}
		if x.Date.Equal(lastAt) {
			sameAt++
		} else {
			lastAt, sameAt = x.Date, 1
		}
		isPending := x.Date.After(pendingFrom)
		if (isPending && status == "booked") || (!isPending && status == "pending") {
			return true
		}
		if isPending {
			pending = append(pending, txnJSON(x, true))
		} else {
			booked = append(booked, txnJSON(x, false))
		}
		n++
		return true
	})
	links := map[string]any{"account": href("/v1/accounts/" + a.ID)}
	if next != nil {
		nq := url.Values{"bookingStatus": {status}, "dateFrom": {q.Get("dateFrom")}, "page": {next.String()}}
		if v := q.Get("dateTo"); v != "" {
			nq.Set("dateTo", v)
		}
		links["next"] = href("/v1/accounts/" + a.ID + "/transactions?" + nq.Encode())
	}
	report := map[string]any{"_links": links}
	if status != "pending" {
		report["booked"] = booked
	}
	if status != "booked" {
		report["pending"] = pending
	}
	writeJSON(w, 200, map[string]any{"account": map[string]string{"bban": a.Number, "currency": "NGN"}, "transactions": report})
}

// txnJSON is a transaction as the standard shows it, with the
// counterparty the narration names on the side the money went.
func txnJSON(x banksim.Txn, pending bool) map[string]any {
	amt := x.Amount
	if !x.Credit {
		amt = -amt
	}
	day := x.Date.In(lagos).Format(time.DateOnly)
	t := map[string]any{"transactionId": x.Ref, "entryReference": truncate(x.Ref, 35), "endToEndId": truncate(x.Ref, 35),
		"valueDate": day, "transactionAmount": money(amt), "remittanceInformationUnstructured": truncate(x.Narration, 140),
		"proprietaryBankTransactionCode": proprietaryCode(x.Narration)}
	if !pending {
		t["bookingDate"] = day
		t["balanceAfterTransaction"] = map[string]any{"balanceAmount": money(x.Balance), "balanceType": "interimBooked"}
	}
	if name := Counterparty(x.Narration); name != "" {
		if x.Credit {
			t["debtorName"] = truncate(name, 70)
		} else {
			t["creditorName"] = truncate(name, 70)
		}
	}
	return t
}

// Counterparty is the other party a banksim narration names ("" when it
// names none).
func Counterparty(n string) string {
	n = strings.TrimPrefix(n, "REVERSAL: ")
	field := func(s string, i int) string {
		parts := strings.Split(s, "/")
		if i < len(parts) {
			return strings.TrimSpace(parts[i])
		}
		return ""
	}
	switch {
	case strings.HasPrefix(n, "NIP FRM "):
		return field(strings.TrimPrefix(n, "NIP FRM "), 0)
	case strings.HasPrefix(n, "NIP/"):
		return field(n, 2)
	case strings.HasPrefix(n, "MOB/UTO/"):
		return field(n, 2)
	case strings.HasPrefix(n, "POS PURCHASE "):
		m := strings.TrimSuffix(strings.TrimPrefix(n, "POS PURCHASE "), " NG")
		if i := strings.LastIndexByte(m, ' '); i > 0 {
			m = m[:i]
			if strings.HasSuffix(m, " PORT") { // PORT HARCOURT
				m = strings.TrimSuffix(m, " PORT")
			}
		}
		return m
	case strings.HasPrefix(n, "WEB PURCHASE "):
		return strings.TrimPrefix(n, "WEB PURCHASE ")
	case strings.HasPrefix(n, "BILLS PAYMENT "):
		return strings.TrimPrefix(n, "BILLS PAYMENT ")
	}
	return ""
}

func proprietaryCode(n string) string {
	for _, p := range []struct{ prefix, code string }{{"REVERSAL", "REVERSAL"}, {"NIP", "NIP"}, {"POS", "POS"}, {"WEB", "WEB"}, {"MOB", "MOBILE"},
		{"ATM", "ATM"}, {"AIRTIME", "AIRTIME"}, {"DATA", "AIRTIME"}, {"BILLS", "BILLS"}, {"SALARY", "SALARY"}} {
		if strings.HasPrefix(n, p.prefix) {
			return p.code
		}
	}
	return "CHARGE"
}
