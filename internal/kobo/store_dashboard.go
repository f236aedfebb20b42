package kobo

import (
	"context"
	"time"
)

// Flash is a one-time message a dashboard redirect carries to the page it
// redirects to (post/redirect/get). Secrets shown once ride in Payload,
// sealed at rest; the row is deleted when the page shows it.
type Flash struct {
	ID        string // random; the only handle, kept in an HttpOnly cookie
	PartnerID string // the login it was made for; nobody else can take it
	Kind      string // "ok" or "warn"
	Message   string
	Payload   []byte // JSON, may hold secrets
	CreatedAt time.Time
	ExpiresAt time.Time
}

// FieldFlashPayload is the sealed column of Flash.Payload. Flashes live for
// minutes, so the master-key passes leave them out: an old one simply
// expires.
const FieldFlashPayload SealedField = "dashboard_flashes.payload"

// FlashStore keeps dashboard flashes.
type FlashStore interface {
	// PutFlash stores f.
	PutFlash(ctx context.Context, f *Flash) error
	// TakeFlash deletes and returns the partner's flash id, unless it has
	// expired at now; ENOTFOUND otherwise. Expired flashes are deleted too.
	TakeFlash(ctx context.Context, id, partnerID string, now time.Time) (*Flash, error)
}

// KeyExpiryStore lets a rotated API key keep working for an overlap.
type KeyExpiryStore interface {
	// ExpireAPIKeys makes the app's unrevoked keys of mode and kind stop
	// working at at (a key already expiring sooner keeps its time).
	ExpireAPIKeys(ctx context.Context, appID string, mode Mode, kind KeyKind, at time.Time) error
	// RevokeAPIKeysOfKind revokes the app's unrevoked keys of mode and kind.
	RevokeAPIKeysOfKind(ctx context.Context, appID string, mode Mode, kind KeyKind, at time.Time) error
	// APIKeyExpiries returns, by key id, when the app's expiring keys stop
	// working.
	APIKeyExpiries(ctx context.Context, appID string) (map[string]time.Time, error)
}

// Role is a team member's role in an organisation.
type Role string

// Roles, from most to least able.
const (
	RoleOwner     Role = "owner"
	RoleAdmin     Role = "admin"
	RoleDeveloper Role = "developer"
	RoleViewer    Role = "viewer"
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	return r == RoleOwner || r == RoleAdmin || r == RoleDeveloper || r == RoleViewer
}

// TeamMember is a login's role in an organisation (the partner that owns
// the apps). Email and Name are the member's, joined in on reads.
type TeamMember struct {
	OrgID     string
	MemberID  string
	Role      Role
	Email     string
	Name      string
	OrgName   string
	CreatedAt time.Time
}

// TeamInvite is an invitation by email; only the token's hash is stored.
type TeamInvite struct {
	ID         string
	OrgID      string
	Email      string
	Role       Role
	TokenHash  string
	InvitedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AcceptedAt *time.Time
}

// TeamStore keeps organisations' members and invitations.
type TeamStore interface {
	// PutTeamMember inserts m or changes its role.
	PutTeamMember(ctx context.Context, m *TeamMember) error
	// TeamMember returns member's membership of org; ENOTFOUND if none.
	TeamMember(ctx context.Context, orgID, memberID string) (*TeamMember, error)
	// TeamMembers lists org's members, oldest first.
	TeamMembers(ctx context.Context, orgID string) ([]*TeamMember, error)
	// MemberOrgs lists the memberships of member, oldest first.
	MemberOrgs(ctx context.Context, memberID string) ([]*TeamMember, error)
	// DeleteTeamMember removes a membership; ENOTFOUND if none.
	DeleteTeamMember(ctx context.Context, orgID, memberID string) error
	// CreateTeamInvite stores inv.
	CreateTeamInvite(ctx context.Context, inv *TeamInvite) error
	// TeamInviteByToken returns the invite with this token hash.
	TeamInviteByToken(ctx context.Context, tokenHash string) (*TeamInvite, error)
	// PendingTeamInvites lists org's unaccepted, unexpired invites.
	PendingTeamInvites(ctx context.Context, orgID string, now time.Time) ([]*TeamInvite, error)
	// AcceptTeamInvite marks an unaccepted invite accepted; ENOTFOUND if it
	// is gone or was accepted already.
	AcceptTeamInvite(ctx context.Context, id string, at time.Time) error
	// DeleteTeamInvite withdraws an invite of org; ENOTFOUND if none.
	DeleteTeamInvite(ctx context.Context, orgID, id string) error
}

// AuditEntry is one line of an organisation's audit log: who did what,
// when, and through which door (the API or the dashboard).
type AuditEntry struct {
	ID         string
	OrgID      string
	AppID      string
	ActorID    string
	ActorEmail string
	Action     string // e.g. "keys.rotated"
	Target     string // what was acted on: a key kind, an email, an account id
	Detail     string // plain words
	Source     string // "api" or "dashboard"
	CreatedAt  time.Time
}

// AuditFilter selects audit lines, newest first.
type AuditFilter struct {
	OrgID   string
	AppID   string
	Action  string // exact, or a prefix ending in "." ("keys.")
	ActorID string
	Since   *time.Time
	Before  *time.Time // strictly before, for paging
	Limit   int
}

// AuditStore is the append-only audit log: there is no update or delete.
type AuditStore interface {
	AppendAudit(ctx context.Context, e *AuditEntry) error
	AuditEntries(ctx context.Context, f AuditFilter) ([]*AuditEntry, error)
}

// LiveWebhookStore keeps an app's live webhook URL, apart from the sandbox
// one (App.WebhookURL), so live and sandbox events reach different
// receivers.
type LiveWebhookStore interface {
	// LiveWebhookURL returns the app's live webhook URL, "" when none is set.
	LiveWebhookURL(ctx context.Context, appID string) (string, error)
	// SetLiveWebhookURL sets it; "" clears it.
	SetLiveWebhookURL(ctx context.Context, appID, url string, at time.Time) error
}
