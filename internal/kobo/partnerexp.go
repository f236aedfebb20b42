package kobo

import (
	"context"
	"time"
)

// PasswordReset is a single-use, short-lived "forgot password" link. Only
// the SHA-256 of its token is stored.
type PasswordReset struct {
	TokenHash string
	PartnerID string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// Setting is one of the deployment's settings that every replica must
// agree on (the go-live policy), changed by the operator.
type Setting struct {
	Name      string
	Value     string
	UpdatedAt time.Time
	UpdatedBy string
}

// SettingGoLivePolicy names the go-live policy setting.
const SettingGoLivePolicy = "golive_policy"

// Go-live policies: an app's switch to live is immediate, or waits for the
// operator's review of the partner's business details.
const (
	GoLivePolicyAutomatic = "automatic"
	GoLivePolicyReview    = "review"
)

// GoLiveStatus is where an app's go-live review stands.
type GoLiveStatus string

const (
	GoLivePending  GoLiveStatus = "pending"  // submitted; live keys are refused until approved
	GoLiveApproved GoLiveStatus = "approved" // live keys work
	GoLiveRejected GoLiveStatus = "rejected" // the operator said no, with a reason; the partner may resubmit
)

// BusinessDetails is what a partner tells the operator about itself when
// asking to go live.
type BusinessDetails struct {
	LegalName          string
	RegistrationNumber string
	Country            string // ISO 3166-1 alpha-2
	Website            string
	ContactEmail       string
	UseCase            string
}

// GoLiveReview is an app's request to go live under review and its answer.
type GoLiveReview struct {
	AppID  string
	Status GoLiveStatus
	BusinessDetails
	SubmittedAt time.Time
	SubmittedBy string // email of the member who submitted
	DecidedAt   *time.Time
	DecidedBy   string
	Reason      string // the operator's reason, shown to the partner
	UpdatedAt   time.Time
}

// EpochHolds names the epoch bumped by every suspension or reinstatement,
// and by every change that stops keys working (revocation, a rotation, an
// app back to sandbox or deleted): a replica whose cached API keys were
// resolved at an older epoch resolves them again. One epoch for both keeps
// a cached key's check at one read.
const EpochHolds = "holds"

// PartnerExperienceStore keeps sessions' details, password resets, the
// deployment's settings, go-live reviews and epochs.
type PartnerExperienceStore interface {
	// PartnerTokens lists a partner's sessions that have not expired at
	// now, newest first.
	PartnerTokens(ctx context.Context, partnerID string, now time.Time) ([]*PartnerToken, error)
	// TouchPartnerToken records that a session was used at at.
	TouchPartnerToken(ctx context.Context, hash string, at time.Time) error
	// DeletePartnerTokenOf ends one of partnerID's sessions; ENOTFOUND if
	// it has no such session.
	DeletePartnerTokenOf(ctx context.Context, partnerID, hash string) error
	// DeletePartnerTokensExcept ends every session of partnerID but keep
	// and returns how many ended.
	DeletePartnerTokensExcept(ctx context.Context, partnerID, keep string) (int, error)

	// CreatePasswordReset stores a reset.
	CreatePasswordReset(ctx context.Context, r *PasswordReset) error
	// PasswordReset returns the reset with this token hash; ENOTFOUND if none.
	PasswordReset(ctx context.Context, tokenHash string) (*PasswordReset, error)
	// UsePasswordReset marks an unused reset that has not expired at at as
	// used, and deletes the partner's other unused resets; ENOTFOUND when
	// there is no such reset (unknown, used or expired).
	UsePasswordReset(ctx context.Context, tokenHash string, at time.Time) (*PasswordReset, error)

	// Setting returns a deployment setting; ENOTFOUND when never set.
	Setting(ctx context.Context, name string) (*Setting, error)
	// PutSetting inserts or replaces a setting.
	PutSetting(ctx context.Context, s *Setting) error

	// GoLiveReview returns an app's review; ENOTFOUND if it has none.
	GoLiveReview(ctx context.Context, appID string) (*GoLiveReview, error)
	// PutGoLiveReview inserts or replaces an app's review.
	PutGoLiveReview(ctx context.Context, r *GoLiveReview) error
	// GoLiveReviewsByStatus lists reviews in a status, oldest submission first.
	GoLiveReviewsByStatus(ctx context.Context, status GoLiveStatus, limit int) ([]*GoLiveReview, error)

	// Epoch returns the named epoch, 0 when never bumped.
	Epoch(ctx context.Context, name string) (int64, error)
	// BumpEpoch adds one to the named epoch.
	BumpEpoch(ctx context.Context, name string) error
}
