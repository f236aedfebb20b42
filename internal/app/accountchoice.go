package app

import (
	"context"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// confirmChoice tells a provider that links one account per login (a
// kobo.AccountChooser, such as Mono after its 101) which account the
// customer chose, and puts what the provider linked in its place: the
// account's ref and the session kobo keeps. Other providers are not
// asked. A re-authorisation keeps its kobo account; only the provider's
// ref may change (a customer who logs in afresh makes a new upstream link).
func (s *Service) confirmChoice(ctx context.Context, cs *kobo.ConnectSession, accts *sealedAccounts, index int) error {
	if cs.BankSession == "" {
		return nil
	}
	inst, err := s.Institution(ctx, cs.InstitutionID)
	if err != nil {
		_ = s.save(ctx, cs)
		return err
	}
	r, err := s.sessionRoute(ctx, cs, inst)
	if err != nil {
		_ = s.save(ctx, cs)
		return err
	}
	ch, ok := capability[kobo.AccountChooser](r.raw)
	if !ok {
		return nil
	}
	var bs sealedBankSession
	if err := s.unseal(cs.BankSession, "session:"+cs.ID+":bank", &bs); err != nil {
		_ = s.save(ctx, cs)
		return err
	}
	creds, err := s.providerCredentials(ctx, cs.AppID, r.name)
	if err != nil {
		_ = s.save(ctx, cs)
		return err
	}
	sess := kobo.BankSession{Token: kobo.Secret(bs.Token), ExpiresAt: bs.ExpiresAt, Persist: kobo.Secret(bs.Persist), Tenant: bs.Tenant, Credentials: creds}
	chosen := accts.List[index]
	out, acct, err := ch.ChooseAccount(ctx, sess, chosen.Ref)
	if err != nil {
		return s.bankFailure(ctx, cs, err)
	}
	if acct.Ref == "" || acct.Ref == chosen.Ref {
		return nil
	}
	accts.List[index] = sealedAccount{Ref: acct.Ref, Number: cmpStr(string(acct.Number), chosen.Number), Name: cmpStr(acct.Name, chosen.Name),
		Type: cmpStr(acct.Type, chosen.Type), Currency: cmpStr(acct.Currency, chosen.Currency), Status: cmpStr(acct.Status, chosen.Status),
		BVN: cmpStr(string(acct.BVN), chosen.BVN), Balance: acct.Balance, IDs: otherIdentifiers(acct)}
	if len(accts.List[index].IDs) == 0 {
		accts.List[index].IDs = chosen.IDs
	}
	nb := sealedBankSession{Token: out.Token.Reveal(), ExpiresAt: out.ExpiresAt, Persist: out.Persist.Reveal(), Tenant: cmpStr(out.Tenant, bs.Tenant),
		ConsentExpiresAt: cmpPtr(out.ConsentExpiresAt, bs.ConsentExpiresAt), Provider: bs.Provider}
	sealed, err := s.seal(nb, "session:"+cs.ID+":bank")
	if err != nil {
		_ = s.save(ctx, cs)
		return err
	}
	cs.BankSession = sealed
	return nil
}

func cmpPtr[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}
