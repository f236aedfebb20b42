package app

import (
	"context"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Teams. An organisation is the partner that owns the apps (its founding
// login); other logins join it by invitation with a role. The founding
// login is the owner until ownership is transferred; from the first team
// change on, every member, the founder included, has a stored row.

// Permission is one thing a role may do.
type Permission string

// Permissions, by what they let a member do.
const (
	PermView     Permission = "view"     // see apps, keys (public), accounts, webhooks, logs
	PermDevelop  Permission = "develop"  // sandbox, test events, redelivery, sync, re-auth links, statements
	PermSettings Permission = "settings" // app settings and webhook URL, create apps
	PermKeys     Permission = "keys"     // rotate API keys and the webhook secret
	PermGoLive   Permission = "go_live"  // switch an app to live or back
	PermData     Permission = "data"     // unlink accounts, delete apps and purge data
	PermTeam     Permission = "team"     // invite, remove and change members
	PermAudit    Permission = "audit"    // read and export the audit log
	PermOwner    Permission = "owner"    // transfer ownership
)

// Permissions is the role table, documented in README (Teams).
var Permissions = map[kobo.Role][]Permission{
	kobo.RoleOwner:     {PermView, PermDevelop, PermSettings, PermKeys, PermGoLive, PermData, PermTeam, PermAudit, PermOwner},
	kobo.RoleAdmin:     {PermView, PermDevelop, PermSettings, PermKeys, PermGoLive, PermData, PermTeam, PermAudit},
	kobo.RoleDeveloper: {PermView, PermDevelop, PermSettings, PermKeys},
	kobo.RoleViewer:    {PermView},
}

// AllPermissions lists the permissions in table order.
var AllPermissions = []Permission{PermView, PermDevelop, PermSettings, PermKeys, PermGoLive, PermData, PermTeam, PermAudit, PermOwner}

// Roles lists the roles, most able first.
var Roles = []kobo.Role{kobo.RoleOwner, kobo.RoleAdmin, kobo.RoleDeveloper, kobo.RoleViewer}

// Can reports whether role has perm.
func Can(role kobo.Role, perm Permission) bool {
	for _, p := range Permissions[role] {
		if p == perm {
			return true
		}
	}
	return false
}

const inviteTTL = 7 * 24 * time.Hour

// roleIn is userID's role in orgID; ENOTFOUND when not a member.
func (s *Service) roleIn(ctx context.Context, tx kobo.Tx, orgID, userID string) (kobo.Role, error) {
	m, err := tx.TeamMember(ctx, orgID, userID)
	switch {
	case err == nil:
		return m.Role, nil
	case kobo.ErrorCode(err) == kobo.ENOTFOUND && orgID == userID:
		// the founding login of an organisation that has no team yet
		return kobo.RoleOwner, nil
	case kobo.ErrorCode(err) == kobo.ENOTFOUND:
		return "", kobo.Errorf(kobo.ENOTFOUND, "not a member of this organisation")
	}
	return "", err
}

func forbidden(role kobo.Role, perm Permission) error {
	return kobo.Errorf(kobo.EFORBIDDEN, "your role (%s) does not allow this (%s); ask an owner or admin of the team", role, perm)
}

// Membership is a login's role in an organisation.
type Membership struct {
	OrgID   string
	OrgName string
	Role    kobo.Role
}

// AuthorizeOrg checks userID may do perm in orgID and returns the role.
// Not being a member is ENOTFOUND (the organisation is not shown to
// strangers); a member without the permission is EFORBIDDEN.
func (s *Service) AuthorizeOrg(ctx context.Context, userID, orgID string, perm Permission) (kobo.Role, error) {
	var role kobo.Role
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		if role, err = s.roleIn(ctx, tx, orgID, userID); err != nil {
			return err
		}
		return partnerHeld(ctx, tx, orgID)
	})
	if err != nil {
		return "", err
	}
	if !Can(role, perm) {
		return role, forbidden(role, perm)
	}
	return role, nil
}

// AuthorizeApp finds the organisation that owns appID and checks userID
// may do perm in it. It returns the organisation id, which the app's use
// cases take as their partner id, and the role.
func (s *Service) AuthorizeApp(ctx context.Context, userID, appID string, perm Permission) (string, kobo.Role, error) {
	var org string
	var role kobo.Role
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		a, err := tx.App(ctx, appID)
		if err != nil {
			return err
		}
		org = a.PartnerID
		role, err = s.roleIn(ctx, tx, org, userID)
		if kobo.ErrorCode(err) == kobo.ENOTFOUND {
			return kobo.Errorf(kobo.ENOTFOUND, "app not found")
		}
		if err != nil {
			return err
		}
		return partnerHeld(ctx, tx, org)
	})
	if err != nil {
		return "", "", err
	}
	if !Can(role, perm) {
		return org, role, forbidden(role, perm)
	}
	return org, role, nil
}

// Memberships lists the organisations userID can act in: its own first
// (unless it left it by transferring and being removed, which the
// founder cannot be), then those it joined.
func (s *Service) Memberships(ctx context.Context, user *kobo.Partner) ([]Membership, error) {
	var out []Membership
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		role, err := s.roleIn(ctx, tx, user.ID, user.ID)
		if err != nil {
			return err
		}
		out = append(out, Membership{OrgID: user.ID, OrgName: user.Name, Role: role})
		ms, err := tx.MemberOrgs(ctx, user.ID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.OrgID != user.ID {
				out = append(out, Membership{OrgID: m.OrgID, OrgName: m.OrgName, Role: m.Role})
			}
		}
		return nil
	})
	return out, err
}

// ListMemberApps lists the apps of every organisation user belongs to,
// its own first.
func (s *Service) ListMemberApps(ctx context.Context, user *kobo.Partner) ([]*AppDetails, error) {
	ms, err := s.Memberships(ctx, user)
	if err != nil {
		return nil, err
	}
	var out []*AppDetails
	for _, m := range ms {
		apps, err := s.ListApps(ctx, m.OrgID)
		if err != nil {
			return nil, err
		}
		out = append(out, apps...)
	}
	return out, nil
}

// Team is an organisation's members and pending invitations.
type Team struct {
	Members []*kobo.TeamMember
	Invites []*kobo.TeamInvite
}

// ensureFounder gives an organisation's founding login its stored owner
// row the first time the team changes, so that later changes (a transfer)
// have a row to demote.
func (s *Service) ensureFounder(ctx context.Context, tx kobo.Tx, orgID string) error {
	_, err := tx.TeamMember(ctx, orgID, orgID)
	if kobo.ErrorCode(err) != kobo.ENOTFOUND {
		return err
	}
	return tx.PutTeamMember(ctx, &kobo.TeamMember{OrgID: orgID, MemberID: orgID, Role: kobo.RoleOwner, CreatedAt: s.now()})
}

// GetTeam returns orgID's team; the caller was authorised for PermView.
func (s *Service) GetTeam(ctx context.Context, orgID string) (*Team, error) {
	t := &Team{}
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		if t.Members, err = tx.TeamMembers(ctx, orgID); err != nil {
			return err
		}
		if len(t.Members) == 0 {
			p, err := tx.PartnerByID(ctx, orgID)
			if err != nil {
				return err
			}
			t.Members = []*kobo.TeamMember{{OrgID: orgID, MemberID: orgID, Role: kobo.RoleOwner, Email: p.Email, Name: p.Name, OrgName: p.Name, CreatedAt: p.CreatedAt}}
		}
		t.Invites, err = tx.PendingTeamInvites(ctx, orgID, s.now())
		return err
	})
	return t, err
}

// Invitation is a new invitation and its token, which exists only here:
// the link is built on it and shown once.
type Invitation struct {
	Invite *kobo.TeamInvite
	Token  kobo.Secret
}

// Invite invites email into orgID with role; actorID must hold PermTeam.
// Nobody is invited as owner: ownership is transferred to a member.
func (s *Service) Invite(ctx context.Context, actorID, orgID, email string, role kobo.Role) (*Invitation, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	fields := map[string]string{}
	if !strings.Contains(email, "@") || strings.ContainsAny(email, " \t\r\n<>,;") || len(email) > 254 {
		fields["email"] = "must be an email address"
	}
	if role != kobo.RoleAdmin && role != kobo.RoleDeveloper && role != kobo.RoleViewer {
		fields["role"] = "must be admin, developer or viewer (ownership is transferred, not invited)"
	}
	if len(fields) > 0 {
		return nil, &kobo.Error{Code: kobo.EINVALID, Message: "Check the invitation: " + joinFields(fields), Fields: fields}
	}
	tok := kobo.RandomToken(40)
	now := s.now()
	inv := &kobo.TeamInvite{ID: kobo.NewID(now), OrgID: orgID, Email: email, Role: role, TokenHash: hashToken(tok), InvitedBy: actorID, CreatedAt: now, ExpiresAt: now.Add(inviteTTL)}
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		r, err := s.roleIn(ctx, tx, orgID, actorID)
		if err != nil {
			return err
		}
		if !Can(r, PermTeam) {
			return forbidden(r, PermTeam)
		}
		if p, err := tx.PartnerByEmail(ctx, email); err == nil {
			if _, err := s.roleIn(ctx, tx, orgID, p.ID); err == nil {
				return &kobo.Error{Code: kobo.ECONFLICT, Message: email + " is already in the team", Fields: map[string]string{"email": "is already in the team"}}
			}
		}
		if err := s.ensureFounder(ctx, tx, orgID); err != nil {
			return err
		}
		if err := tx.CreateTeamInvite(ctx, inv); err != nil {
			return err
		}
		return s.audit(ctx, tx, orgID, "", AuditMemberInvited, email, "invited as "+string(role), nil)
	})
	if err != nil {
		return nil, err
	}
	return &Invitation{Invite: inv, Token: kobo.Secret(tok)}, nil
}

func joinFields(f map[string]string) string {
	var parts []string
	for _, k := range []string{"email", "role"} {
		if v, ok := f[k]; ok {
			parts = append(parts, k+" "+v)
		}
	}
	return strings.Join(parts, "; ") + "."
}

// InviteByToken returns a pending invitation for its token and the name
// of the organisation; EGONE when it was used or has expired.
func (s *Service) InviteByToken(ctx context.Context, token string) (*kobo.TeamInvite, string, error) {
	var inv *kobo.TeamInvite
	var org string
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		inv, err = tx.TeamInviteByToken(ctx, hashToken(token))
		if kobo.ErrorCode(err) == kobo.ENOTFOUND {
			return kobo.Errorf(kobo.ENOTFOUND, "This invitation link is not valid. Ask for a new one.")
		}
		if err != nil {
			return err
		}
		if inv.AcceptedAt != nil {
			return kobo.Errorf(kobo.EGONE, "This invitation was used already. Log in to reach the team.")
		}
		if !s.now().Before(inv.ExpiresAt) {
			return kobo.Errorf(kobo.EGONE, "This invitation has expired. Ask for a new one.")
		}
		p, err := tx.PartnerByID(ctx, inv.OrgID)
		if err == nil {
			org = p.Name
		}
		return err
	})
	return inv, org, err
}

// AcceptInvite adds user to the invitation's organisation. The login
// must be the invited email: a forwarded link does not let someone else
// in.
func (s *Service) AcceptInvite(ctx context.Context, user *kobo.Partner, token string) (*kobo.TeamInvite, error) {
	inv, _, err := s.InviteByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(inv.Email, user.Email) {
		return nil, kobo.Errorf(kobo.EFORBIDDEN, "This invitation is for %s; you are logged in as %s. Log in as %s to accept it.", inv.Email, user.Email, inv.Email)
	}
	ctx = WithActor(ctx, actorOr(ctx, user))
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.AcceptTeamInvite(ctx, inv.ID, s.now()); err != nil {
			if kobo.ErrorCode(err) == kobo.ENOTFOUND {
				return kobo.Errorf(kobo.EGONE, "This invitation was used already. Log in to reach the team.")
			}
			return err
		}
		if _, err := s.roleIn(ctx, tx, inv.OrgID, user.ID); err == nil {
			return nil // already in; the invite is spent either way
		}
		if err := tx.PutTeamMember(ctx, &kobo.TeamMember{OrgID: inv.OrgID, MemberID: user.ID, Role: inv.Role, CreatedAt: s.now()}); err != nil {
			return err
		}
		return s.audit(ctx, tx, inv.OrgID, "", AuditMemberJoined, user.Email, "joined as "+string(inv.Role), nil)
	})
	return inv, err
}

func actorOr(ctx context.Context, p *kobo.Partner) Actor {
	if a, ok := ActorFrom(ctx); ok {
		return a
	}
	return Actor{ID: p.ID, Email: p.Email, Source: "api"}
}

// WithdrawInvite deletes a pending invitation.
func (s *Service) WithdrawInvite(ctx context.Context, actorID, orgID, inviteID string) error {
	return s.store.Update(ctx, func(tx kobo.Tx) error {
		r, err := s.roleIn(ctx, tx, orgID, actorID)
		if err != nil {
			return err
		}
		if !Can(r, PermTeam) {
			return forbidden(r, PermTeam)
		}
		if err := tx.DeleteTeamInvite(ctx, orgID, inviteID); err != nil {
			return err
		}
		return s.audit(ctx, tx, orgID, "", AuditInviteWithdrawn, inviteID, "", nil)
	})
}

// RemoveMember takes memberID out of orgID. Nobody removes the owner, and
// the founding login stays (it is the organisation); an admin may remove
// admins, developers and viewers; anyone may leave.
func (s *Service) RemoveMember(ctx context.Context, actorID, orgID, memberID string) error {
	return s.store.Update(ctx, func(tx kobo.Tx) error {
		r, err := s.roleIn(ctx, tx, orgID, actorID)
		if err != nil {
			return err
		}
		if actorID != memberID && !Can(r, PermTeam) {
			return forbidden(r, PermTeam)
		}
		target, err := s.roleIn(ctx, tx, orgID, memberID)
		if err != nil {
			return err
		}
		if target == kobo.RoleOwner {
			return kobo.Errorf(kobo.ECONFLICT, "The owner cannot be removed. Transfer ownership first.")
		}
		if memberID == orgID {
			return kobo.Errorf(kobo.ECONFLICT, "The organisation's founding login cannot be removed; change its role to viewer instead.")
		}
		m, err := tx.TeamMember(ctx, orgID, memberID)
		if err != nil {
			return err
		}
		if err := tx.DeleteTeamMember(ctx, orgID, memberID); err != nil {
			return err
		}
		return s.audit(ctx, tx, orgID, "", AuditMemberRemoved, m.Email, "was "+string(m.Role), nil)
	})
}

// SetRole changes a member's role (not to or from owner: that is a
// transfer).
func (s *Service) SetRole(ctx context.Context, actorID, orgID, memberID string, role kobo.Role) error {
	if role != kobo.RoleAdmin && role != kobo.RoleDeveloper && role != kobo.RoleViewer {
		return &kobo.Error{Code: kobo.EINVALID, Message: "Role must be admin, developer or viewer; ownership is transferred instead.", Fields: map[string]string{"role": "must be admin, developer or viewer"}}
	}
	return s.store.Update(ctx, func(tx kobo.Tx) error {
		r, err := s.roleIn(ctx, tx, orgID, actorID)
		if err != nil {
			return err
		}
		if !Can(r, PermTeam) {
			return forbidden(r, PermTeam)
		}
		target, err := s.roleIn(ctx, tx, orgID, memberID)
		if err != nil {
			return err
		}
		if target == kobo.RoleOwner {
			return kobo.Errorf(kobo.ECONFLICT, "The owner's role changes only by transferring ownership.")
		}
		if err := s.ensureFounder(ctx, tx, orgID); err != nil {
			return err
		}
		m, err := tx.TeamMember(ctx, orgID, memberID)
		if err != nil {
			return err
		}
		was := m.Role
		m.Role = role
		if err := tx.PutTeamMember(ctx, m); err != nil {
			return err
		}
		return s.audit(ctx, tx, orgID, "", AuditMemberRole, m.Email, "from "+string(was)+" to "+string(role), nil)
	})
}

// TransferOwnership makes memberID the owner; the owner who acts becomes
// an admin.
func (s *Service) TransferOwnership(ctx context.Context, actorID, orgID, memberID string) error {
	return s.store.Update(ctx, func(tx kobo.Tx) error {
		r, err := s.roleIn(ctx, tx, orgID, actorID)
		if err != nil {
			return err
		}
		if !Can(r, PermOwner) {
			return forbidden(r, PermOwner)
		}
		if memberID == actorID {
			return kobo.Errorf(kobo.EINVALID, "You are the owner already. Choose another member.")
		}
		if err := s.ensureFounder(ctx, tx, orgID); err != nil {
			return err
		}
		m, err := tx.TeamMember(ctx, orgID, memberID)
		if kobo.ErrorCode(err) == kobo.ENOTFOUND {
			return kobo.Errorf(kobo.ENOTFOUND, "That person is not in the team. Invite them first.")
		}
		if err != nil {
			return err
		}
		me, err := tx.TeamMember(ctx, orgID, actorID)
		if err != nil {
			return err
		}
		m.Role, me.Role = kobo.RoleOwner, kobo.RoleAdmin
		if err := tx.PutTeamMember(ctx, m); err != nil {
			return err
		}
		if err := tx.PutTeamMember(ctx, me); err != nil {
			return err
		}
		return s.audit(ctx, tx, orgID, "", AuditOwnerTransferred, m.Email, "from "+me.Email+", who is now an admin", nil)
	})
}
