package kobo

import "context"

// AccountSearch selects an app's linked accounts in one mode for the
// dashboard's list, newest first.
type AccountSearch struct {
	AppID         string
	Live          bool
	Text          string // in the name, reference, account id, or the customer's name or email; case-insensitive
	Status        DataStatus
	InstitutionID string
	CustomerID    string // exactly this customer's accounts
	Limit, Offset int
}

// AccountSearchStore finds accounts by what a partner knows of them.
// Account numbers are sealed at rest, so they are not searched in SQL.
type AccountSearchStore interface {
	// SearchAccounts returns one page of matches and the number of matches.
	SearchAccounts(ctx context.Context, f AccountSearch) ([]*Account, int, error)
}
