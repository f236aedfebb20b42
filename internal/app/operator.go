package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Audit actions of add-ons and of the deployment's operator.
const (
	AuditAddonRequested    = "addon.requested"
	AuditAddonApproved     = "addon.approved"
	AuditAddonDenied       = "addon.denied"
	AuditAddonRevoked      = "addon.revoked"
	AuditAppSuspended      = "app.suspended"
	AuditAppReinstated     = "app.reinstated"
	AuditPartnerSuspended  = "partner.suspended"
	AuditPartnerReinstated = "partner.reinstated"
)

// ConsoleActor is the operator acting through the admin listener's
// console (which has no login of its own: it is reachable only on the
// private admin address).
func ConsoleActor() Actor {
	return Actor{ID: "operator", Email: "operator (admin console)", Source: "operator"}
}

// operatorCtx makes sure an operator action is audited as the operator:
// the console and the command line put their own actor in; anything else
// is the command line's.
func operatorCtx(ctx context.Context) context.Context {
	if a, ok := ActorFrom(ctx); ok && a.Source == "operator" {
		return ctx
	}
	return WithActor(ctx, OperatorActor())
}

func operatorName(ctx context.Context) string {
	a, _ := ActorFrom(ctx)
	return a.Email
}

func addonTitle(addon string) string {
	if addon == kobo.AddonHeadlessConnect {
		return "Headless Connect"
	}
	return addon
}

func checkAddon(addon string) error {
	if !kobo.IsAddon(addon) {
		return &kobo.Error{Code: kobo.ENOTFOUND, Message: fmt.Sprintf("no add-on %q; kobo has: %s", addon, strings.Join(kobo.Addons(), ", "))}
	}
	return nil
}

// AddonView is one add-on as the partner and the operator see it for an
// app; Status is "" when the app never asked.
type AddonView struct {
	Addon string
	Title string
	kobo.AppAddon
}

// AppAddons lists every add-on kobo has with the app's state for each.
func (s *Service) AppAddons(ctx context.Context, orgID, appID string) ([]AddonView, error) {
	var rows []*kobo.AppAddon
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		if _, err := ownedApp(ctx, tx, orgID, appID); err != nil {
			return err
		}
		var err error
		rows, err = tx.AppAddons(ctx, appID)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []AddonView
	for _, name := range kobo.Addons() {
		v := AddonView{Addon: name, Title: addonTitle(name)}
		for _, r := range rows {
			if r.Addon == name {
				v.AppAddon = *r
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// RequestAddon records the partner's request for an add-on on a live
// app, for the operator to decide. Asking again while a request waits, or
// once approved, changes nothing; after a denial or a revocation it asks
// afresh.
func (s *Service) RequestAddon(ctx context.Context, orgID, appID, addon, reason string) (*kobo.AppAddon, error) {
	if err := checkAddon(addon); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if len(reason) > 1000 {
		return nil, kobo.Invalid{"reason": "must be at most 1000 characters"}.Err()
	}
	var out *kobo.AppAddon
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		a, err := ownedApp(ctx, tx, orgID, appID)
		if err != nil {
			return err
		}
		cur, err := tx.AppAddon(ctx, appID, addon)
		switch kobo.ErrorCode(err) {
		case "":
			if cur.Status == kobo.AddonRequested || cur.Status == kobo.AddonApproved {
				out = cur
				return nil
			}
		case kobo.ENOTFOUND:
		default:
			return err
		}
		now := s.now()
		out = &kobo.AppAddon{AppID: appID, Addon: addon, Status: kobo.AddonRequested, Reason: reason, RequestedAt: now, UpdatedAt: now}
		if err := tx.PutAppAddon(ctx, out); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.PartnerID, a.ID, AuditAddonRequested, addon, reason, nil)
	})
	return out, err
}

// PendingAddon is a request in the operator's queue, with whose it is.
type PendingAddon struct {
	kobo.AppAddon
	App     *kobo.App
	Partner *kobo.Partner
}

// PendingAddons lists requests waiting for the operator, oldest first.
func (s *Service) PendingAddons(ctx context.Context) ([]PendingAddon, error) {
	var out []PendingAddon
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		rows, err := tx.AddonsByStatus(ctx, kobo.AddonRequested, 500)
		if err != nil {
			return err
		}
		for _, r := range rows {
			a, err := tx.App(ctx, r.AppID)
			if kobo.ErrorCode(err) == kobo.ENOTFOUND {
				continue // a deleted app's request has nobody to answer
			}
			if err != nil {
				return err
			}
			p, err := tx.PartnerByID(ctx, a.PartnerID)
			if err != nil {
				return err
			}
			out = append(out, PendingAddon{AppAddon: *r, App: a, Partner: p})
		}
		return nil
	})
	return out, err
}

// DecideAddon is the operator's answer: approve (grant, whether or not
// the app asked), deny (a pending request) or revoke (an approval).
func (s *Service) DecideAddon(ctx context.Context, appID, addon string, to kobo.AddonStatus, note string) (*kobo.AppAddon, error) {
	if err := checkAddon(addon); err != nil {
		return nil, err
	}
	ctx = operatorCtx(ctx)
	action := map[kobo.AddonStatus]string{kobo.AddonApproved: AuditAddonApproved, kobo.AddonDenied: AuditAddonDenied, kobo.AddonRevoked: AuditAddonRevoked}[to]
	if action == "" {
		return nil, kobo.Errorf(kobo.EINVALID, "decision must be approved, denied or revoked")
	}
	var out *kobo.AppAddon
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		a, err := tx.App(ctx, appID)
		if err != nil {
			return err
		}
		now := s.now()
		cur, err := tx.AppAddon(ctx, appID, addon)
		switch kobo.ErrorCode(err) {
		case "":
		case kobo.ENOTFOUND:
			cur = &kobo.AppAddon{AppID: appID, Addon: addon, RequestedAt: now}
		default:
			return err
		}
		switch {
		case cur.Status == to:
			out = cur
			return nil
		case to == kobo.AddonDenied && cur.Status != kobo.AddonRequested:
			return kobo.Errorf(kobo.ECONFLICT, "%s for app %s is %s, not requested: there is nothing to deny", addonTitle(addon), appID, cmpOrStr(string(cur.Status), "not requested"))
		case to == kobo.AddonRevoked && cur.Status != kobo.AddonApproved:
			return kobo.Errorf(kobo.ECONFLICT, "%s for app %s is %s, not approved: there is nothing to revoke", addonTitle(addon), appID, cmpOrStr(string(cur.Status), "not requested"))
		}
		cur.Status, cur.Note, cur.DecidedAt, cur.DecidedBy, cur.UpdatedAt = to, strings.TrimSpace(note), &now, operatorName(ctx), now
		if err := tx.PutAppAddon(ctx, cur); err != nil {
			return err
		}
		out = cur
		return s.audit(ctx, tx, a.PartnerID, a.ID, action, addon, cur.Note, nil)
	})
	return out, err
}

// RequireAddon refuses a live key whose app has not been granted addon.
// Sandbox keys always have every add-on, so integrations can be built
// before asking.
func (s *Service) RequireAddon(ctx context.Context, c *kobo.Caller, addon string) error {
	if !c.Mode.IsLive() {
		return nil
	}
	var cur *kobo.AppAddon
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		cur, err = tx.AppAddon(ctx, c.App.ID, addon)
		return err
	})
	if err == nil && cur.Status == kobo.AddonApproved {
		return nil
	}
	if err != nil && kobo.ErrorCode(err) != kobo.ENOTFOUND {
		return err
	}
	title := addonTitle(addon)
	how := fmt.Sprintf("request it on the dashboard (your app → Add-ons) or with POST /v1/apps/%s/addons/%s; the operator of this kobo deployment approves it. Sandbox keys always have it.", c.App.ID, addon)
	state := "this live app has not been approved for it"
	if cur != nil {
		switch cur.Status {
		case kobo.AddonRequested:
			state = "this app's request of " + cur.RequestedAt.Format("2 Jan 2006") + " is waiting for the operator's approval"
			how = "you will be able to use it once the operator of this kobo deployment approves it. Sandbox keys always have it."
		case kobo.AddonDenied:
			state = "the operator declined this app's request"
		case kobo.AddonRevoked:
			state = "the operator revoked it for this app"
		}
	}
	return kobo.Errorf(kobo.EFORBIDDEN, "%s (the %s add-on) is restricted to approved partners in live mode, and %s: %s", title, addon, state, how)
}

// ---- suspensions ----------------------------------------------------------

// suspendedErr says why a key or a login is refused.
func suspendedErr(kind string) error {
	if kind == kobo.SuspendPartner {
		return kobo.Errorf(kobo.EFORBIDDEN, "This account has been suspended by the operator of this kobo deployment; contact them to have it reinstated.")
	}
	return kobo.Errorf(kobo.EFORBIDDEN, "This app has been suspended by the operator of this kobo deployment, so its API keys are refused; contact them to have it reinstated.")
}

// heldApp returns the suspension error of an app (its own hold or its
// partner's), or nil.
func heldApp(ctx context.Context, tx kobo.Tx, a *kobo.App) error {
	for _, k := range [][2]string{{kobo.SuspendApp, a.ID}, {kobo.SuspendPartner, a.PartnerID}} {
		_, err := tx.Suspension(ctx, k[0], k[1])
		switch kobo.ErrorCode(err) {
		case "":
			return suspendedErr(k[0])
		case kobo.ENOTFOUND:
		default:
			return err
		}
	}
	return nil
}

// partnerHeld refuses a suspended partner's login and sessions.
func partnerHeld(ctx context.Context, tx kobo.Tx, partnerID string) error {
	_, err := tx.Suspension(ctx, kobo.SuspendPartner, partnerID)
	switch kobo.ErrorCode(err) {
	case "":
		return suspendedErr(kobo.SuspendPartner)
	case kobo.ENOTFOUND:
		return nil
	}
	return err
}

// memberHeld refuses the login and sessions of anyone acting for a
// suspended partner: its founding login and every member it invited (a
// hold that stopped only the founder let the team go on as before).
func memberHeld(ctx context.Context, tx kobo.Tx, userID string) error {
	if err := partnerHeld(ctx, tx, userID); err != nil {
		return err
	}
	orgs, err := tx.MemberOrgs(ctx, userID)
	if err != nil {
		return err
	}
	for _, m := range orgs {
		if err := partnerHeld(ctx, tx, m.OrgID); err != nil {
			return err
		}
	}
	return nil
}

// Suspend puts the operator's hold on a partner (no logins, sessions ended,
// every app's keys refused) or an app (its keys refused).
func (s *Service) Suspend(ctx context.Context, kind, id, reason string) error {
	return s.setHold(ctx, kind, id, strings.TrimSpace(reason), true)
}

// Reinstate lifts the hold.
func (s *Service) Reinstate(ctx context.Context, kind, id string) error {
	return s.setHold(ctx, kind, id, "", false)
}

func (s *Service) setHold(ctx context.Context, kind, id, reason string, on bool) error {
	ctx = operatorCtx(ctx)
	var apps []string
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		org, appID, action := id, "", ""
		switch kind {
		case kobo.SuspendApp:
			a, err := tx.App(ctx, id)
			if err != nil {
				return err
			}
			org, appID, apps = a.PartnerID, a.ID, []string{a.ID}
			action = map[bool]string{true: AuditAppSuspended, false: AuditAppReinstated}[on]
		case kobo.SuspendPartner:
			if _, err := tx.PartnerByID(ctx, id); err != nil {
				return err
			}
			list, err := tx.AppsByPartner(ctx, id)
			if err != nil {
				return err
			}
			for _, a := range list {
				apps = append(apps, a.ID)
			}
			action = map[bool]string{true: AuditPartnerSuspended, false: AuditPartnerReinstated}[on]
		default:
			return kobo.Errorf(kobo.EINVALID, "kind must be partner or app")
		}
		_, err := tx.Suspension(ctx, kind, id)
		was := err == nil
		if err != nil && kobo.ErrorCode(err) != kobo.ENOTFOUND {
			return err
		}
		if was == on {
			return nil // already so: nothing to audit
		}
		if on {
			if err := tx.PutSuspension(ctx, &kobo.Suspension{Kind: kind, SubjectID: id, Reason: reason, By: operatorName(ctx), CreatedAt: s.now()}); err != nil {
				return err
			}
			if kind == kobo.SuspendPartner {
				// the founder's sessions and every member's end now (each
				// request checks the hold too: memberHeld)
				members, err := tx.TeamMembers(ctx, id)
				if err != nil {
					return err
				}
				ids := []string{id}
				for _, m := range members {
					ids = append(ids, m.MemberID)
				}
				for _, who := range ids {
					if err := tx.DeletePartnerTokens(ctx, who); err != nil {
						return err
					}
				}
			}
		} else if err := tx.DeleteSuspension(ctx, kind, id); err != nil {
			return err
		}
		// every replica's key cache re-resolves at once (epoch.go)
		if err := tx.BumpEpoch(ctx, kobo.EpochHolds); err != nil {
			return err
		}
		return s.audit(ctx, tx, org, appID, action, kind+" "+id, reason, nil)
	})
	if err != nil {
		return err
	}
	// this replica forgets the keys now; others on their next request,
	// when they see the epoch moved
	for _, a := range apps {
		s.keys.purgeApp(a)
	}
	return nil
}

// Suspensions lists every hold.
func (s *Service) Suspensions(ctx context.Context) ([]*kobo.Suspension, error) {
	var out []*kobo.Suspension
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		out, err = tx.Suspensions(ctx)
		return err
	})
	return out, err
}

// OperatorPartner is one partner in the operator's list, with its apps.
type OperatorPartner struct {
	Partner   *kobo.Partner
	Suspended *kobo.Suspension
	Apps      []OperatorApp
}

// OperatorApp is one app in the operator's list.
type OperatorApp struct {
	App       *kobo.App
	Suspended *kobo.Suspension
	Addons    []*kobo.AppAddon
	// linked accounts, sandbox and live: what the store counts cheaply
	AccountsTest, AccountsLive int
	// Usage is the app's usage over the last 30 UTC days (today
	// included), sandbox and live together
	Usage kobo.UsageCounts
}

// OperatorUsageDays is how many days the operator's list sums usage over.
const OperatorUsageDays = 30

// OperatorPartners lists partners (after afterID, up to limit) with their
// apps, holds and add-ons.
func (s *Service) OperatorPartners(ctx context.Context, afterID string, limit int) ([]OperatorPartner, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []OperatorPartner
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		ps, err := tx.Partners(ctx, afterID, limit)
		if err != nil {
			return err
		}
		holds, err := tx.Suspensions(ctx)
		if err != nil {
			return err
		}
		held := map[string]*kobo.Suspension{}
		for _, h := range holds {
			held[h.Kind+"/"+h.SubjectID] = h
		}
		for _, p := range ps {
			op := OperatorPartner{Partner: p, Suspended: held[kobo.SuspendPartner+"/"+p.ID]}
			apps, err := tx.AppsByPartner(ctx, p.ID)
			if err != nil {
				return err
			}
			for _, a := range apps {
				ad, err := tx.AppAddons(ctx, a.ID)
				if err != nil {
					return err
				}
				oa := OperatorApp{App: a, Suspended: held[kobo.SuspendApp+"/"+a.ID], Addons: ad}
				if _, oa.AccountsTest, err = tx.ListAccounts(ctx, a.ID, false, 1, 0); err != nil {
					return err
				}
				if _, oa.AccountsLive, err = tx.ListAccounts(ctx, a.ID, true, 1, 0); err != nil {
					return err
				}
				op.Apps = append(op.Apps, oa)
			}
			out = append(out, op)
		}
		var ids []string
		for _, p := range out {
			for _, a := range p.Apps {
				ids = append(ids, a.App.ID)
			}
		}
		to := kobo.UsageDayOf(s.clock.Now())
		used, err := tx.UsageTotals(ctx, ids, to.AddDate(0, 0, -(OperatorUsageDays-1)), to)
		if err != nil {
			return err
		}
		for i := range out {
			for j := range out[i].Apps {
				out[i].Apps[j].Usage = used[out[i].Apps[j].App.ID]
			}
		}
		return nil
	})
	return out, err
}
