package kobo

import "time"

// DataStatus is the state of an account's data (Mono's meta.data_status).
type DataStatus string

const (
	DataProcessing  DataStatus = "PROCESSING"  // the first fetch is running
	DataAvailable   DataStatus = "AVAILABLE"   // balance and transactions fetched
	DataPartial     DataStatus = "PARTIAL"     // one of balance and transactions fetched
	DataUnavailable DataStatus = "UNAVAILABLE" // the bank failed or the user has no data
	DataFailed      DataStatus = "FAILED"      // kobo failed
)

// NextDataStatus applies Mono's transition rules (reference §4.9) after a
// fetch that got the balance (gotBalance) and/or the transactions
// (gotTxns). bankFailed says the bank answered nothing usable; systemFailed
// says kobo itself failed.
func NextDataStatus(cur DataStatus, gotBalance, gotTxns, systemFailed bool) DataStatus {
	switch {
	case systemFailed && !gotBalance && !gotTxns:
		if cur == DataAvailable || cur == DataPartial {
			return cur // keep what we already have
		}
		return DataFailed
	case gotBalance && gotTxns:
		return DataAvailable
	case gotBalance || gotTxns:
		if cur == DataAvailable {
			return DataAvailable
		}
		return DataPartial
	default:
		if cur == DataAvailable || cur == DataPartial {
			return cur
		}
		return DataUnavailable
	}
}

// Account is a linked bank account, the thing a partner's account id names.
type Account struct {
	ID             string
	AppID          string
	Live           bool
	CustomerID     string
	InstitutionID  string
	Institution    Institution // filled on read
	AuthMethod     string
	ProviderRef    string // the bank's id for the account
	Name           string
	AccountNumber  AccountNumber
	Fingerprint    string // HMAC of institution+number+customer, for relink reuse; never the raw number
	Type           string // the bank's free text ("SAVINGS ACCOUNT")
	Currency       string
	Balance        int64 // minor units
	BVNLast4       string
	DataStatus     DataStatus
	RetrievedData  []string // "balance", "transactions", "identity"
	ReauthRequired bool
	Reference      string // meta.ref from the connect session
	SessionID      string
	Credentials    Sealed // the sealed bank session (token and what is needed to log in again); never rendered
	LastSyncedAt   *time.Time
	NextSyncAt     *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// TxnSeq and TxnCount are kept by the store as transactions merge:
	// the history's change counter (it moves on every add, change and
	// removal, so it versions the history) and how many rows it has.
	// Read-only: UpdateAccount does not write them.
	TxnSeq   int64
	TxnCount int
}

// AccountState is the part of an Account that decides whether, and at
// which version, its data can be read.
type AccountState struct {
	ID         string
	AppID      string
	Live       bool
	DataStatus DataStatus
	TxnSeq     int64
	TxnCount   int
}

// TxnType is the direction of a transaction. Amounts are always positive.
type TxnType string

const (
	Debit  TxnType = "debit"
	Credit TxnType = "credit"
)

// Transaction is one line of an account's history. Amount is positive minor
// units; Type carries the direction. Balance is the running balance after
// the transaction, when the bank gives it.
type Transaction struct {
	ID          string
	AccountID   string
	ProviderRef string // the bank's id; with AccountID it de-duplicates merges
	Type        TxnType
	Amount      int64
	Narration   string
	Date        time.Time
	Balance     *int64
	Currency    string
	Category    string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Change tracking for the sync cursor: CreatedSeq is the account's
	// change counter when the row arrived, Seq when it last changed.
	CreatedSeq int64
	Seq        int64
	Removed    bool // the bank stopped reporting it
	// Pending says the bank has not posted it yet (real sources report
	// these; a posted row replaces its pending one). ProviderID says
	// ProviderRef is the source's own id rather than one kobo made from the
	// row's date, amount and narration.
	Pending    bool
	ProviderID bool
	// Meta is the source's detail beyond Mono's shape (TxnMeta); nil for
	// sources that have none (banksim's own API, Mono).
	Meta TxnMeta
}

// TxnKey is a position in an account's history, newest first: keyset
// pagination goes from one key to the next without counting rows.
type TxnKey struct {
	Date time.Time
	ID   string
}

// TxnFilter selects transactions of one account.
type TxnFilter struct {
	AccountID string
	From, To  *time.Time // inclusive
	Type      TxnType
	Narration string // case-insensitive substring
	Limit     int    // 0 means no limit
	After     *TxnKey
	Before    *TxnKey // rows newer than the key (a previous page), returned newest first
	Offset    int     // page-number access without a cursor
	Ascending bool    // oldest first (statements)
}

// Unfiltered reports whether f selects the whole history.
func (f TxnFilter) Unfiltered() bool {
	return f.From == nil && f.To == nil && f.Type == "" && f.Narration == ""
}

// TxnMerge counts what a merge of bank rows did.
type TxnMerge struct {
	Added    int
	Modified int
}

// MonthTotal sums an account's credits and debits over one calendar month
// (Africa/Lagos).
type MonthTotal struct {
	Month       string // "2026-03"
	Credits     int64
	Debits      int64
	CreditCount int
	DebitCount  int
}

// DayBalance is a day's closing balance: Day counts 24-hour days from the
// start of the range asked for (0 is the first).
type DayBalance struct {
	Day     int
	Balance int64
}

// Statement is a PDF statement build.
type Statement struct {
	ID        string
	AccountID string
	AppID     string
	Live      bool
	Status    string // BUILDING, BUILT, FAILED
	Period    string // last1months .. last12months
	From, To  time.Time
	PDF       []byte
	Error     string
	CreatedAt time.Time
	BuiltAt   *time.Time
}

// IncomeRecord is an asynchronous income analysis (v2).
type IncomeRecord struct {
	ID        string
	AccountID string
	AppID     string
	Status    string // PROCESSING, COMPLETED, FAILED
	Months    int
	Result    []byte // JSON
	CreatedAt time.Time
	DoneAt    *time.Time
	// Provider is the upstream that analyses the income (an IncomeAnalyst
	// such as Mono), "" for kobo's own analysis.
	Provider string
	// UpstreamAt is when kobo asked the upstream (nil: not yet).
	UpstreamAt *time.Time
	// UpstreamAfter is the date, on the upstream's clock, of the newest
	// report the upstream had made before kobo asked (nil: none): the
	// answer is a report dated after it, and older ones are an earlier
	// request's.
	UpstreamAfter *time.Time
	// Error says why a FAILED analysis failed.
	Error string
}

// Identity is the account holder's KYC data as the bank reports it.
type Identity struct {
	AccountID     string
	FullName      string
	Email         string
	Phone         string
	Gender        string
	DOB           string // YYYY-MM-DD
	BVN           BVN
	MaritalStatus string
	AddressLine1  string
	AddressLine2  string
	StateOfOrigin string
	LGAOfOrigin   string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Customer is the partner's end user (Mono's /v2/customers).
type Customer struct {
	ID        string
	AppID     string
	Live      bool
	Name      string
	Email     string
	Phone     string
	IDType    string // "bvn"
	IDNumber  string
	Address   string
	Kind      string // "individual" or "business" (Name is then the business name)
	CreatedAt time.Time
	UpdatedAt time.Time
}
