package kobo

import "context"

// AccountChooser is implemented by providers whose upstream links one
// account per login and must be told which one the customer picked
// (Mono's commit {accountNumber} after a 101): kobo calls ChooseAccount
// when the customer chooses from the list Accounts gave, and links the
// account and session it returns instead. A ref the provider already
// resolved comes back unchanged.
type AccountChooser interface {
	ChooseAccount(ctx context.Context, s BankSession, ref string) (BankSession, BankAccount, error)
}
