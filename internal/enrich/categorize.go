// Package enrich turns raw bank transactions into information: a category
// for every transaction and an estimate of the account holder's income.
//
// # Categories
//
// Categorize assigns one of these snake_case categories (Mono's names where
// Mono's are known [C]; ours, consistently formed, where they are not [I]):
//
//	bank_charges         [C] SMS alert charges, card maintenance, COT, transfer fees
//	transfer             [C] NIP/NEFT/intra-bank/USSD transfers in and out
//	online_transactions  [C] card purchases: POS and web (Mono files "VC POS …" here)
//	unknown              [C] anything the rules cannot place
//	airtime_and_data     [I] airtime and data bundles
//	bills_and_utilities  [I] electricity, cable TV, internet, waste, water
//	income               [I] salaries, payroll, interest and dividends received
//	cash_withdrawal      [I] ATM and counter withdrawals
//	loan                 [I] loan disbursements and repayments, digital lenders
//	tax                  [I] stamp duty / EMT levy, VAT, withholding tax
//	reversal             [I] reversed transactions and refunds
//
// Rules are ordered keyword tests on the upper-cased narration (reversal
// first, because "REVERSAL POS PURCHASE" is a reversal, not a purchase; tax
// before charges, because "VAT ON SMS CHARGES" is VAT; income before
// airtime, because "SALARY MTN NIGERIA" is a salary). Substring tests, no
// regular expressions: categorisation runs on every ingested transaction.
// The labelled corpus in testdata/narrations.tsv is the specification.
package enrich

import (
	"strings"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Categories, as returned by Categorize.
const (
	BankCharges        = "bank_charges"
	Transfer           = "transfer"
	OnlineTransactions = "online_transactions"
	Unknown            = "unknown"
	AirtimeAndData     = "airtime_and_data"
	BillsAndUtilities  = "bills_and_utilities"
	Income             = "income"
	CashWithdrawal     = "cash_withdrawal"
	Loan               = "loan"
	Tax                = "tax"
	Reversal           = "reversal"
)

type rule struct {
	category string
	credit   *bool // nil: either direction
	any      []string
}

var (
	yes = true
	no  = false
)

// rules, in priority order.
var rules = []rule{
	{Reversal, nil, []string{"REVERSAL", "REV/", "RVSL", "REVERSED", "REFUND ", "RETURNED", "CHARGEBACK"}},
	{Tax, nil, []string{"STAMP DUTY", "EMT LEVY", "ELECTRONIC MONEY TRANSFER LEVY", "VAT ON", "VAT/", "VALUE ADDED TAX", "WHT", "WITHHOLDING TAX", " TAX ", " FIRS ", " LIRS "}},
	{BankCharges, &no, []string{"SMS ALERT", "SMS CHARGE", "SMS NOTIFICATION", "ALERT CHARGE", "CARD MAINTENANCE", "MAINTENANCE FEE", "MAINT FEE", "ACCOUNT MAINTENANCE",
		"COT ", "COMM ON TURNOVER", "COMMISSION", "TRANSFER FEE", "NIP CHARGE", "NIP FEE", "CHARGES", "CHRG", "CHG ", " FEE ", "TOKEN FEE", "CARD ISSUANCE", "CARD REPLACEMENT", "STATEMENT FEE"}},
	{Loan, nil, []string{"LOAN", "CARBON", "FAIRMONEY", "FAIR MONEY", "RENMONEY", "PALMCREDIT", "PALM CREDIT", "BRANCH INTL", "BRANCH INTERNATIONAL", "KIAKIA", "QUICKCHECK",
		"AELLA", "EASYCREDIT", "OKASH", "LCREDIT", "SPECTA", "REPAYMENT", "DISBURSEMENT", "DISBURSE"}},
	{Income, &yes, []string{"SALARY", "SAL/", "SAL ", "PAYROLL", "WAGES", "STIPEND", "INTEREST PAID", "INTEREST CREDIT", "INT PAID", "DIVIDEND", "PENSION", "ALLOWANCE", "BONUS"}},
	{AirtimeAndData, nil, []string{"AIRTIME", "DATA BUNDLE", "DATA SUB", "DATA PURCHASE", "VTU", "RECHARGE", "TOPUP", "TOP-UP", "TOP UP", "MTN ", "GLO ", "AIRTEL", "9MOBILE", "ETISALAT", "/MTN", "/GLO"}},
	{BillsAndUtilities, nil, []string{"DSTV", "GOTV", "STARTIMES", "SHOWMAX", "MULTICHOICE", "IKEDC", "EKEDC", "AEDC", "PHED", "KEDCO", "IBEDC", "EEDC", "BEDC", "JEDC", "ELECTRIC",
		"PREPAID", "POSTPAID", "LAWMA", "SPECTRANET", "SMILE", "SWIFT NETWORK", "IPNX", "WATER BOARD", "WATER CORP", "BILLS PAYMENT", "BILL PAYMENT", "BILLS PAY", "UTILITY"}},
	{CashWithdrawal, &no, []string{"ATM WDL", "ATM WITHDRAWAL", "ATM CASH", "CASH WITHDRAWAL", "CSH WDL", "CASH WDL", "CWDL", "ATM/", "ATM "}},
	{OnlineTransactions, &no, []string{"POS", "WEB PURCHASE", "WEB/", "WEB PMT", "ONLINE PURCHASE", "ONLINE PAYMENT", "PAYSTACK", "FLW*", "FLUTTERWAVE", "JUMIA", "KONGA", "NETFLIX",
		"SPOTIFY", "UBER", "BOLT", "APPLE.COM", "GOOGLE", "AMAZON", "ALIEXPRESS", "VISA", "MASTERCARD", "PURCHASE", "INTERSWITCH WEB", "QUICKTELLER", "REMITA"}},
	{Transfer, nil, []string{"NIP", "TRF", "TRANSFER", "MOB/", "UTO", "NEFT", "FIP", "INTRA", "USSD", "FRM ", "FROM ", " TO ", "FT/", "FT ", "INWARD TRANSFER", "OUTWARD TRANSFER", "KIP:", "IBTC/", "MOBILE TRF"}},
}

// Categorize returns the category of a transaction.
func Categorize(narration string, typ kobo.TxnType, amount int64) string {
	n := " " + strings.ToUpper(strings.Join(strings.Fields(narration), " ")) + " "
	credit := typ == kobo.Credit
	for _, r := range rules {
		if r.credit != nil && *r.credit != credit {
			continue
		}
		for _, k := range r.any {
			if strings.Contains(n, k) {
				return r.category
			}
		}
	}
	return Unknown
}
