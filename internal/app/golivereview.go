package app

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Go-live policy. A deployment's operator decides how apps go live:
// automatically (the partner switches and live keys work at once), or
// after review: the partner submits its business details, the app gets
// its live keys but they are refused until the operator approves; a
// rejection carries a reason the partner sees, and the partner may
// submit again. The policy is a setting in the database, so every
// replica applies the same one; until the operator sets it, the
// configured default (KOBO_GOLIVE_POLICY) holds.

// Audit actions of go-live reviews.
const (
	AuditGoLiveSubmitted = "golive.submitted"
	AuditGoLiveApproved  = "golive.approved"
	AuditGoLiveRejected  = "golive.rejected"
)

// GoLivePolicy is the deployment's policy and, when the operator set it,
// who and when (nil: the configured default).
func (s *Service) GoLivePolicy(ctx context.Context) (string, *kobo.Setting, error) {
	var p string
	var set *kobo.Setting
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		p, set, err = s.goLivePolicy(ctx, tx)
		return err
	})
	return p, set, err
}

func (s *Service) goLivePolicy(ctx context.Context, tx kobo.Tx) (string, *kobo.Setting, error) {
	set, err := tx.Setting(ctx, kobo.SettingGoLivePolicy)
	switch kobo.ErrorCode(err) {
	case "":
		return set.Value, set, nil
	case kobo.ENOTFOUND:
		return s.goLiveDefault, nil, nil
	}
	return "", nil, err
}

// SetGoLivePolicy is the operator's choice of policy. Apps already
// waiting stay waiting for a decision either way.
func (s *Service) SetGoLivePolicy(ctx context.Context, policy string) error {
	if policy != kobo.GoLivePolicyAutomatic && policy != kobo.GoLivePolicyReview {
		return kobo.Invalid{"policy": "must be automatic or review"}.Err()
	}
	ctx = operatorCtx(ctx)
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		return tx.PutSetting(ctx, &kobo.Setting{Name: kobo.SettingGoLivePolicy, Value: policy, UpdatedAt: s.now(), UpdatedBy: operatorName(ctx)})
	})
	if err == nil {
		s.log.InfoContext(ctx, "go-live policy set", "policy", policy, "by", operatorName(ctx))
	}
	return err
}

// checkBusiness validates and tidies a go-live submission.
func checkBusiness(d kobo.BusinessDetails) (kobo.BusinessDetails, error) {
	tr := strings.TrimSpace
	d = kobo.BusinessDetails{LegalName: tr(d.LegalName), RegistrationNumber: tr(d.RegistrationNumber), Country: strings.ToUpper(tr(d.Country)),
		Website: tr(d.Website), ContactEmail: strings.ToLower(tr(d.ContactEmail)), UseCase: tr(d.UseCase)}
	v := kobo.Invalid{}
	text := func(field, val string, max int) {
		switch n := utf8.RuneCountInString(val); {
		case n == 0:
			v.Add(field, "is required")
		case n > max:
			v.Add(field, "is too long")
		}
	}
	text("legal_name", d.LegalName, 200)
	text("registration_number", d.RegistrationNumber, 100)
	if len(d.Country) != 2 || d.Country[0] < 'A' || d.Country[0] > 'Z' || d.Country[1] < 'A' || d.Country[1] > 'Z' {
		v.Add("country", "must be a two-letter country code (NG, GH, KE, ...)")
	}
	if u, ok := webURL(d.Website, "https", "http"); !ok || u.User != nil || len(d.Website) > 300 {
		v.Add("website", "must be your website's address (https://...)")
	}
	if !validEmail(d.ContactEmail) {
		v.Add("contact_email", "must be an email address")
	}
	if n := utf8.RuneCountInString(d.UseCase); n < 10 || n > 2000 {
		v.Add("use_case", "must say in 10 to 2000 characters what your customers' bank data is for")
	}
	return d, v.Err()
}

// GoLiveReview returns the app's review; nil when it has none.
func (s *Service) GoLiveReview(ctx context.Context, orgID, appID string) (*kobo.GoLiveReview, error) {
	var r *kobo.GoLiveReview
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		if _, err := ownedApp(ctx, tx, orgID, appID); err != nil {
			return err
		}
		var err error
		r, err = tx.GoLiveReview(ctx, appID)
		if kobo.ErrorCode(err) == kobo.ENOTFOUND {
			r, err = nil, nil
		}
		return err
	})
	return r, err
}

// GoLive switches an app to live under the deployment's policy. Under
// automatic, details are not needed and live keys work at once. Under
// review, details are checked and stored for the operator, and the app
// gets its live keys (returned once, as always), which are refused until
// the operator approves. A pending submission may be corrected by
// submitting again.
func (s *Service) GoLive(ctx context.Context, orgID, appID string, details kobo.BusinessDetails) (*AppDetails, *kobo.GoLiveReview, error) {
	policy, _, err := s.GoLivePolicy(ctx)
	if err != nil {
		return nil, nil, err
	}
	live := true
	if policy == kobo.GoLivePolicyAutomatic {
		d, err := s.UpdateApp(ctx, orgID, appID, AppInput{Live: &live})
		return d, nil, err
	}
	details, err = checkBusiness(details)
	if err != nil {
		return nil, nil, err
	}
	var r *kobo.GoLiveReview
	var wasLive bool
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		a, err := ownedApp(ctx, tx, orgID, appID)
		if err != nil {
			return err
		}
		wasLive = a.Live
		cur, err := tx.GoLiveReview(ctx, appID)
		switch kobo.ErrorCode(err) {
		case "":
			if cur.Status == kobo.GoLiveApproved && a.Live {
				r = cur
				return nil // approved and live: nothing to ask
			}
		case kobo.ENOTFOUND:
			if a.Live {
				return kobo.Errorf(kobo.ECONFLICT, "This app is live already.")
			}
		default:
			return err
		}
		now := s.now()
		who, _ := ActorFrom(ctx)
		r = &kobo.GoLiveReview{AppID: appID, Status: kobo.GoLivePending, BusinessDetails: details, SubmittedAt: now, SubmittedBy: who.Email, UpdatedAt: now}
		if err := tx.PutGoLiveReview(ctx, r); err != nil {
			return err
		}
		return s.audit(ctx, tx, orgID, appID, AuditGoLiveSubmitted, details.LegalName, "business details submitted for the operator's review", nil)
	})
	if err != nil || wasLive {
		if err == nil {
			d, err := s.GetApp(ctx, orgID, appID)
			return d, r, err
		}
		return nil, nil, err
	}
	d, err := s.UpdateApp(ctx, orgID, appID, AppInput{Live: &live})
	return d, r, err
}

// liveAllowed is asked in the transaction that switches an app to live.
// Under review, only a submitted (or approved) app may switch; under
// automatic, an old pending or rejected review is settled as approved,
// since the partner has nobody to wait for.
func (s *Service) liveAllowed(ctx context.Context, tx kobo.Tx, a *kobo.App) error {
	policy, _, err := s.goLivePolicy(ctx, tx)
	if err != nil {
		return err
	}
	r, err := tx.GoLiveReview(ctx, a.ID)
	if err != nil && kobo.ErrorCode(err) != kobo.ENOTFOUND {
		return err
	}
	if policy == kobo.GoLivePolicyReview {
		if r == nil || r.Status == kobo.GoLiveRejected {
			return kobo.Errorf(kobo.ECONFLICT, "The operator of this kobo reviews apps before they go live: submit your business details "+
				"(dashboard: your app → Go live; API: POST /v1/apps/%s/golive) and live keys work once they approve.", a.ID)
		}
		return nil
	}
	if r != nil && r.Status != kobo.GoLiveApproved {
		now := s.now()
		r.Status, r.DecidedAt, r.DecidedBy, r.Reason, r.UpdatedAt = kobo.GoLiveApproved, &now, "automatic policy", "", now
		if err := tx.PutGoLiveReview(ctx, r); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.PartnerID, a.ID, AuditGoLiveApproved, a.Name, "approved by the deployment's automatic go-live policy", nil)
	}
	return nil
}

// goLiveHeld refuses an app's live keys while its go-live waits for the
// operator or was rejected.
func goLiveHeld(ctx context.Context, tx kobo.Tx, appID string) error {
	r, err := tx.GoLiveReview(ctx, appID)
	switch kobo.ErrorCode(err) {
	case kobo.ENOTFOUND:
		return nil
	case "":
	default:
		return err
	}
	switch r.Status {
	case kobo.GoLivePending:
		return kobo.Errorf(kobo.EFORBIDDEN, "This app's go-live is waiting for the review of the operator of this kobo deployment; its live keys work once they approve. Sandbox keys keep working.")
	case kobo.GoLiveRejected:
		return kobo.Errorf(kobo.EFORBIDDEN, "The operator of this kobo deployment did not approve this app's go-live (%s), so its live keys are refused. Correct your business details and submit again (dashboard: your app → Go live).", r.Reason)
	}
	return nil
}

// PendingGoLive is a submission in the operator's queue.
type PendingGoLive struct {
	kobo.GoLiveReview
	App     *kobo.App
	Partner *kobo.Partner
}

// PendingGoLives lists submissions waiting for the operator, oldest first.
func (s *Service) PendingGoLives(ctx context.Context) ([]PendingGoLive, error) {
	var out []PendingGoLive
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		rows, err := tx.GoLiveReviewsByStatus(ctx, kobo.GoLivePending, 500)
		if err != nil {
			return err
		}
		for _, r := range rows {
			a, err := tx.App(ctx, r.AppID)
			if kobo.ErrorCode(err) == kobo.ENOTFOUND {
				continue // a deleted app has nobody to answer
			}
			if err != nil {
				return err
			}
			p, err := tx.PartnerByID(ctx, a.PartnerID)
			if err != nil {
				return err
			}
			out = append(out, PendingGoLive{GoLiveReview: *r, App: a, Partner: p})
		}
		return nil
	})
	return out, err
}

// DecideGoLive is the operator's answer to a submission: approve (live
// keys work from the next request) or reject with a reason the partner
// sees. Approving a rejected app is allowed (the operator changed their
// mind); rejecting needs a pending submission.
func (s *Service) DecideGoLive(ctx context.Context, appID string, approve bool, reason string) (*kobo.GoLiveReview, error) {
	ctx = operatorCtx(ctx)
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return nil, kobo.Invalid{"reason": "is required: the partner is shown it"}.Err()
	}
	if utf8.RuneCountInString(reason) > 1000 {
		return nil, kobo.Invalid{"reason": "must be at most 1000 characters"}.Err()
	}
	var out *kobo.GoLiveReview
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		a, err := tx.App(ctx, appID)
		if err != nil {
			return err
		}
		r, err := tx.GoLiveReview(ctx, appID)
		if kobo.ErrorCode(err) == kobo.ENOTFOUND {
			return kobo.Errorf(kobo.ENOTFOUND, "app %s has not submitted its go-live", appID)
		}
		if err != nil {
			return err
		}
		to, action := kobo.GoLiveApproved, AuditGoLiveApproved
		if !approve {
			to, action = kobo.GoLiveRejected, AuditGoLiveRejected
		}
		switch {
		case r.Status == to:
			out = r
			return nil
		case !approve && r.Status != kobo.GoLivePending:
			return kobo.Errorf(kobo.ECONFLICT, "app %s's go-live is %s, not pending: there is nothing to reject", appID, r.Status)
		}
		now := s.now()
		r.Status, r.DecidedAt, r.DecidedBy, r.Reason, r.UpdatedAt = to, &now, operatorName(ctx), reason, now
		if err := tx.PutGoLiveReview(ctx, r); err != nil {
			return err
		}
		out = r
		return s.audit(ctx, tx, a.PartnerID, a.ID, action, r.LegalName, reason, nil)
	})
	return out, err
}
