package postgres

// TxnPage exposes the page statement to the plan tests.
var TxnPage = txnPage
