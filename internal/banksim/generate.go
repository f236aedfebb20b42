package banksim

import (
	"encoding/binary"
	"encoding/hex"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// lagos is Africa/Lagos (WAT, UTC+1, no daylight saving). A fixed zone
// keeps the generator independent of the host's tz database.
var lagos = time.FixedZone("WAT", 3600)

// Txn is one generated transaction. Amount is positive kobo; Balance is
// the running balance after it.
type Txn struct {
	Ref       string
	Date      time.Time // UTC
	Credit    bool
	Amount    int64
	Balance   int64
	Narration string
}

// generator makes an account's history one calendar month at a time from
// a PRNG seeded by (seed, bank, user, account, month), so any month can be
// produced alone and always comes out the same. It remembers only each
// account's month-end balances (a few numbers), never the transactions,
// so a five-year history costs no memory until it is read.
type generator struct {
	seed  uint64
	epoch time.Time

	mu       sync.Mutex
	closings map[string][]int64 // account key → closing balance of each month since opening
	recent   []genMonth         // the last few months made, most recent first
}

// genMonth is a month kept for the pages that follow: a bank client reads
// a month in pages of a thousand rows, and a busy business account has
// tens of thousands in a month, so without it every page would make the
// whole month again. Kept by rows, not months, so memory stays bounded.
type genMonth struct {
	key     string
	month   int
	opening int64
	txns    []Txn
}

const recentMaxRows = 200_000

func newGenerator(seed int64, epoch time.Time) *generator {
	return &generator{seed: uint64(seed), epoch: epoch, closings: map[string][]int64{}}
}

// monthCached is month through the recent-months cache. The slice
// returned is shared: callers read it only.
func (g *generator) monthCached(a acctRef, m int, opening int64) []Txn {
	key := a.key()
	g.mu.Lock()
	for i, e := range g.recent {
		if e.key == key && e.month == m && e.opening == opening {
			copy(g.recent[1:i+1], g.recent[:i])
			g.recent[0] = e
			g.mu.Unlock()
			return e.txns
		}
	}
	g.mu.Unlock()
	txns := g.month(a, m, opening, nil)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.recent = append([]genMonth{{key: key, month: m, opening: opening, txns: txns}}, g.recent...)
	rows := 0
	for i, e := range g.recent {
		if rows += len(e.txns); rows > recentMaxRows && i > 0 {
			clear(g.recent[i:])
			g.recent = g.recent[:i]
			break
		}
	}
	return txns
}

// acctRef identifies a simulated account.
type acctRef struct {
	bank, user string
	index      int
	sp         AcctSp
}

func (a acctRef) key() string { return a.bank + "/" + a.user + "/" + strconv.Itoa(a.index) }

// opened is when the account was opened: a fixed time before the epoch,
// so histories do not move as real or simulated time passes.
func (g *generator) opened(a acctRef) time.Time {
	d := time.Date(g.epoch.Year(), g.epoch.Month(), g.epoch.Day(), 9, 0, 0, 0, lagos).AddDate(0, 0, -a.sp.HistoryDays)
	return d
}

// monthIndex counts calendar months (Lagos time) since year 0.
func monthIndex(t time.Time) int {
	t = t.In(lagos)
	return t.Year()*12 + int(t.Month()) - 1
}

func monthStart(m int) time.Time {
	return time.Date(m/12, time.Month(m%12+1), 1, 0, 0, 0, 0, lagos)
}

func (g *generator) rng(a acctRef, month int) *rand.Rand {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], g.seed)
	h.Write(b[:])
	h.Write([]byte(a.key()))
	binary.LittleEndian.PutUint64(b[:], uint64(month))
	h.Write(b[:])
	s := h.Sum64()
	return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
}

// openingOf is the balance at the start of month m (m ≥ the opening month).
func (g *generator) openingOf(a acctRef, m int) int64 {
	first := monthIndex(g.opened(a))
	if m <= first {
		return a.sp.OpeningKobo
	}
	g.mu.Lock()
	cl := g.closings[a.key()]
	g.mu.Unlock()
	if i := m - first - 1; i < len(cl) {
		return cl[i]
	}
	// extend the cache month by month; only balances are kept
	bal := a.sp.OpeningKobo
	start := first
	if n := len(cl); n > 0 {
		bal, start = cl[n-1], first+n
	}
	var add []int64
	for mm := start; mm < m; mm++ {
		txns := g.month(a, mm, bal, nil)
		if n := len(txns); n > 0 {
			bal = txns[n-1].Balance
		}
		add = append(add, bal)
	}
	g.mu.Lock()
	if cur := g.closings[a.key()]; len(cur) == len(cl) {
		g.closings[a.key()] = append(cur, add...)
	}
	g.mu.Unlock()
	return bal
}

// Transactions returns the account's transactions dated in [from, to],
// oldest first, calling fn per month so callers can stop early.
func (g *generator) each(a acctRef, from, to time.Time, fn func(month int, txns []Txn) bool) {
	if a.sp.Empty {
		return
	}
	op := g.opened(a)
	if from.Before(op) {
		from = op
	}
	if to.Before(from) {
		return
	}
	for m := monthIndex(from); m <= monthIndex(to); m++ {
		txns := g.monthCached(a, m, g.openingOf(a, m))
		lo, _ := slices.BinarySearchFunc(txns, from, func(t Txn, at time.Time) int { return t.Date.Compare(at) })
		hi, found := slices.BinarySearchFunc(txns, to, func(t Txn, at time.Time) int { return t.Date.Compare(at) })
		if found {
			for hi < len(txns) && !txns[hi].Date.After(to) {
				hi++
			}
		}
		if lo < hi && !fn(m, txns[lo:hi]) {
			return
		}
	}
}

// balanceAt is the balance after the last transaction at or before t.
func (g *generator) balanceAt(a acctRef, t time.Time) int64 {
	if a.sp.Empty {
		return 0
	}
	if t.Before(g.opened(a)) {
		return a.sp.OpeningKobo
	}
	m := monthIndex(t)
	bal := g.openingOf(a, m)
	for _, x := range g.month(a, m, bal, nil) {
		if x.Date.After(t) {
			break
		}
		bal = x.Balance
	}
	return bal
}

// Narration pieces. Real Nigerian statements, anonymised.
var (
	merchants = []string{"SHOPRITE IKEJA CITY MALL", "SPAR LEKKI", "CHICKEN REPUBLIC YABA", "TOTAL ENERGIES ADEOLA ODEKU", "MEDPLUS PHARMACY VI",
		"JUMIA FOOD", "EBEANO SUPERMARKET", "DOMINOS PIZZA ADMIRALTY", "FILMHOUSE CINEMAS", "CONOIL SURULERE", "PRINCE EBEANO LEKKI", "ORIENTAL HOTEL VI"}
	cities   = []string{"LAGOS", "LAGOS", "LAGOS", "ABUJA", "IBADAN", "PORT HARCOURT"}
	web      = []string{"JUMIA NIGERIA", "KONGA ONLINE", "NETFLIX.COM", "SPOTIFY", "BOLT.EU", "UBER *TRIP", "APPLE.COM/BILL", "GOOGLE *YOUTUBE", "PAYSTACK *CHOWDECK", "FLW*GLOVO"}
	people   = []string{"CHINEDU OKEKE", "AISHA BELLO", "OLUMIDE ADEBAYO", "FATIMA SANI", "TUNDE BAKARE", "NKECHI OBI", "SEUN OJO", "HALIMA ABUBAKAR", "IFEOMA EZE", "KUNLE ADEWALE"}
	nipBanks = []string{"GTB", "ACCESS", "ZENITH", "FIRSTBANK", "UBA", "KUDA", "OPAY", "MONIEPOINT", "FIDELITY", "WEMA"}
	purposes = []string{"RENT", "UPKEEP", "SCHOOL FEES", "CONTRIBUTION", "REFUND", "LOAN", "SUPPLIES", "WEDDING", "TRANSPORT", "GIFT"}
	networks = []string{"MTN", "GLO", "AIRTEL", "9MOBILE"}
	billers  = []string{"DSTV SUBSCRIPTION", "GOTV MAX", "IKEDC PREPAID", "EKEDC POSTPAID", "LAWMA WASTE BILL", "SPECTRANET INTERNET", "STARTIMES NOVA"}
	atms     = []string{"GTB ATM ALLEN AVENUE", "FIRSTBANK ATM MARINA", "ZENITH ATM AJOSE ADEOGUN", "UBA ATM BROAD ST", "ACCESS ATM OBA AKRAN"}
	clients  = []string{"TECHCABAL MEDIA", "PAYSTACK PAYMENTS LIMITED", "ANDELA NIGERIA LTD", "COWRYWISE FINANCIAL", "PIGGYVEST SAVINGS"}
	months   = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
)

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// payday is the last working day on or before the 25th.
func payday(m int) int {
	d := time.Date(m/12, time.Month(m%12+1), 25, 0, 0, 0, 0, lagos)
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, -1)
	}
	return d.Day()
}

type draft struct {
	at        time.Time
	credit    bool
	amount    int64
	narration string
	electron  bool // electronic credit: stamp duty applies at ≥ ₦10,000
}

// naira rounds kobo to whole naira amounts, as people spend.
func naira(r *rand.Rand, lo, hi int64) int64 {
	return (lo + r.Int64N(hi-lo+1)) * 100
}

func phone(r *rand.Rand) string {
	return "080" + strconv.Itoa(30000000+r.IntN(69999999))
}

// month generates month m of an account starting from balance bal. Drafts
// that would overdraw the account are dropped (banks decline them), so
// balances never go negative and every running balance adds up.
func (g *generator) month(a acctRef, m int, bal int64, buf []Txn) []Txn {
	r := g.rng(a, m)
	start := monthStart(m)
	days := start.AddDate(0, 1, 0).Sub(start).Hours() / 24
	op := g.opened(a)
	at := func(day int, r *rand.Rand) time.Time {
		return start.Add(time.Duration(day-1)*24*time.Hour + time.Duration(7*3600+r.IntN(15*3600))*time.Second)
	}
	var ds []draft
	sp := a.sp
	mon := months[m%12] + " " + strconv.Itoa(m/12)
	if sp.Employer != "" && sp.Salary > 0 {
		pd := payday(m)
		t := start.Add(time.Duration(pd-1)*24*time.Hour + 8*time.Hour + time.Duration(r.IntN(3600))*time.Second)
		n := "SALARY " + sp.Employer + " " + mon
		if r.IntN(3) == 0 {
			n = "NIP FRM " + sp.Employer + "/SALARY FOR " + mon
		}
		ds = append(ds, draft{at: t, credit: true, amount: sp.Salary, narration: n, electron: true})
	}
	if sp.Freelance {
		k := 1 + r.IntN(4)
		for i := 0; i < k; i++ {
			amt := sp.FreelanceAvg / int64(k) * int64(50+r.IntN(100)) / 100
			ds = append(ds, draft{at: at(1+r.IntN(int(days)), r), credit: true, amount: amt / 100 * 100,
				narration: "NIP FRM " + pick(r, clients) + "/INVOICE " + strconv.Itoa(1000+r.IntN(9000)), electron: true})
		}
	}
	// everyday activity, scaled so a salaried customer spends about 85% of
	// what comes in (the unscaled mix averages about ₦25,000 a transaction)
	scale := 1.0
	if income := max(sp.Salary, sp.FreelanceAvg); income > 0 && sp.PerDay > 0 && !sp.Business {
		scale = min(3, max(0.05, 0.85*float64(income)/(sp.PerDay*30*25_000_00)))
	}
	lambda := sp.PerDay * days
	n := int(lambda + math.Sqrt(lambda)*r.NormFloat64())
	if n < 0 {
		n = 0
	}
	for i := 0; i < n; i++ {
		t := at(1+r.IntN(int(days)), r)
		var d draft
		var reversal *draft
		switch k := r.IntN(100); {
		case k < 28:
			d = draft{amount: naira(r, 800, 45_000), narration: "POS PURCHASE " + pick(r, merchants) + " " + pick(r, cities) + " NG"}
			if r.IntN(50) == 0 { // the odd failed POS comes back, within the month
				back := t.Add(time.Duration(1+r.IntN(48)) * time.Hour)
				if limit := start.AddDate(0, 1, 0).Add(-90 * time.Minute); back.After(limit) { // after every purchase (≤ 22:00), before month end
					back = limit
				}
				reversal = &draft{at: back, credit: true, narration: "REVERSAL: " + d.narration}
			}
		case k < 40:
			d = draft{amount: naira(r, 1_500, 60_000), narration: "WEB PURCHASE " + pick(r, web)}
		case k < 56:
			d = draft{amount: naira(r, 2_000, 150_000), narration: "NIP/" + pick(r, nipBanks) + "/" + pick(r, people) + "/TRF FOR " + pick(r, purposes)}
		case k < 64:
			d = draft{credit: true, amount: naira(r, 1_000, 120_000), narration: "NIP FRM " + pick(r, people) + "/" + pick(r, purposes), electron: true}
		case k < 74:
			d = draft{amount: naira(r, 100, 5_000), narration: "AIRTIME/" + pick(r, networks) + "/" + phone(r)}
		case k < 80:
			d = draft{amount: naira(r, 1_000, 20_000), narration: "DATA BUNDLE " + pick(r, networks) + " " + phone(r)}
		case k < 87:
			d = draft{amount: naira(r, 3_000, 45_000), narration: "BILLS PAYMENT " + pick(r, billers)}
		case k < 93:
			d = draft{amount: naira(r, 10, 200) * 100, narration: "ATM WDL " + pick(r, atms) + " LAGOS"}
		default:
			d = draft{amount: naira(r, 5_000, 80_000), narration: "MOB/UTO/" + pick(r, people) + "/" + pick(r, purposes)}
		}
		d.at = t
		if scale != 1 {
			d.amount = max(100_00, int64(float64(d.amount)*scale)/100*100)
		}
		if reversal != nil {
			reversal.amount = d.amount
			ds = append(ds, *reversal)
		}
		if sp.Business && !d.credit && r.IntN(3) == 0 {
			// businesses mostly collect
			d = draft{at: t, credit: true, amount: naira(r, 2_000, 400_000), narration: "NIP FRM " + pick(r, people) + "/PAYMENT FOR GOODS", electron: true}
		}
		ds = append(ds, d)
	}
	// stamp duty on electronic credits of ₦10,000 or more (FGN, ₦50)
	k := len(ds)
	for i := 0; i < k; i++ {
		if ds[i].credit && ds[i].electron && ds[i].amount >= 10_000_00 {
			ds = append(ds, draft{at: ds[i].at.Add(time.Minute), amount: 50_00, narration: "FGN ELECTRONIC MONEY TRANSFER LEVY/STAMP DUTY " + ds[i].at.In(lagos).Format("02-Jan-06")})
		}
	}
	// month-end charges: SMS alerts (₦4 each) and card maintenance, each with 7.5% VAT
	end := start.AddDate(0, 1, 0).Add(-2 * time.Hour)
	if n > 0 || sp.Salary > 0 {
		sms := int64(len(ds)) * 4_00
		ds = append(ds,
			draft{at: end, amount: sms, narration: "SMS ALERT CHARGES " + mon},
			draft{at: end.Add(time.Second), amount: sms * 75 / 1000, narration: "VAT ON SMS ALERT CHARGES " + mon},
			draft{at: end.Add(2 * time.Second), amount: 50_00, narration: "CARD MAINTENANCE FEE " + mon},
			draft{at: end.Add(3 * time.Second), amount: 50_00 * 75 / 1000, narration: "VAT ON CARD MAINTENANCE FEE " + mon},
		)
	}
	slices.SortStableFunc(ds, func(x, y draft) int { return x.at.Compare(y.at) })

	out := buf[:0]
	prefix := g.refPrefix(a, m)
	for i, d := range ds {
		if d.at.Before(op) {
			continue
		}
		if !d.credit {
			if d.amount > bal {
				continue // declined: insufficient funds
			}
			bal -= d.amount
		} else {
			bal += d.amount
		}
		out = append(out, Txn{Ref: prefix + strconv.Itoa(i), Date: d.at.UTC(), Credit: d.credit, Amount: d.amount, Balance: bal, Narration: d.narration})
	}
	// savings interest (1.25% a year) with 10% withholding tax, after the charges
	if strings.HasPrefix(sp.Type, "SAVINGS") && bal > 0 && !sp.Empty {
		interest := bal * 125 / 10000 / 12
		if interest >= 100 {
			bal += interest
			out = append(out, Txn{Ref: prefix + "i", Date: end.Add(time.Hour).UTC(), Credit: true, Amount: interest, Balance: bal, Narration: "INTEREST PAID " + mon})
			wht := interest / 10
			bal -= wht
			out = append(out, Txn{Ref: prefix + "w", Date: end.Add(time.Hour + time.Second).UTC(), Amount: wht, Balance: bal, Narration: "WHT ON INTEREST " + mon})
		}
	}
	return out
}

// refPrefix makes transaction references unique per account and month.
func (g *generator) refPrefix(a acctRef, m int) string {
	h := fnv.New64a()
	h.Write([]byte(a.key()))
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(m)^g.seed)
	h.Write(b[:])
	sum := h.Sum64()
	binary.BigEndian.PutUint64(b[:], sum)
	return "T" + strings.ToUpper(hex.EncodeToString(b[:])) + "-"
}

// MeasureGenerate makes at least n transactions of a busy synthetic
// account month by month, as the simulator does to serve them, and says how
// many and how long it took: the generator's figure in kobo bench.
func MeasureGenerate(n int) (rows int, took time.Duration) {
	a := acctRef{bank: "b", user: "bench", sp: AcctSp{Type: "CURRENT ACCOUNT", PerDay: 300, HistoryDays: 4000, OpeningKobo: 1 << 50}}
	g := newGenerator(1, time.Date(2026, 1, 1, 0, 0, 0, 0, lagos))
	first := monthIndex(g.opened(a))
	var buf []Txn
	t0 := time.Now()
	for m := first; rows < n; m++ {
		buf = g.month(a, m, 1<<50, buf)
		rows += len(buf)
	}
	return rows, time.Since(t0)
}

// History returns a test user's first account's transactions at a bank in
// [from, to], as kobo transactions, straight from the generator: for
// checking analyses (income, categories) against the simulated truth
// without going through HTTP.
func History(seed int64, bankSlug, username string, from, to time.Time) []kobo.Transaction {
	var sp *Scenario
	for _, u := range testUsers() {
		if u.Username == username {
			u := u
			sp = &u
		}
	}
	if sp == nil || len(sp.Accounts) == 0 {
		return nil
	}
	g := newGenerator(seed, time.Date(2026, 1, 1, 0, 0, 0, 0, lagos))
	a := acctRef{bank: bankSlug, user: username, sp: sp.Accounts[0]}
	var out []kobo.Transaction
	g.each(a, from, to, func(_ int, txns []Txn) bool {
		for _, x := range txns {
			typ := kobo.Debit
			if x.Credit {
				typ = kobo.Credit
			}
			bal := x.Balance
			out = append(out, kobo.Transaction{ID: x.Ref, ProviderRef: x.Ref, Type: typ, Amount: x.Amount, Narration: x.Narration, Date: x.Date, Balance: &bal, Currency: "NGN"})
		}
		return true
	})
	return out
}
