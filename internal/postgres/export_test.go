package postgres

// TxnPage exposes the page statement to the plan tests.
var TxnPage = txnPage

// The job statements, for the plan tests.
var (
	LatestJobSQL = latestJobSQL
	ClaimJobsSQL = claimJobsSQL
	NextJobAtSQL = nextJobAtSQL
)

// APIRequestsSQL exposes the API log's read to the plan tests.
var APIRequestsSQL = apiRequestsSQL
