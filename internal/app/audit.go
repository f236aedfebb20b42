package app

import (
	"context"
	"encoding/csv"
	"io"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Actor is who is acting in a request: a partner login through the
// dashboard or the Partner API. The adapters put it in the context
// (WithActor) so that every use case can write the audit log in the same
// transaction as the change, without each signature growing a parameter.
type Actor struct {
	ID     string
	Email  string
	Source string // "dashboard" or "api"
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the context's actor, if any.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// Audit actions, stable strings partners filter and export by.
const (
	AuditKeysRotated        = "keys.rotated"
	AuditWebhookRotated     = "webhook.secret_rotated"
	AuditWebhookChanged     = "webhook.url_changed"
	AuditLiveWebhookChanged = "webhook.live_url_changed"
	AuditAppCreated         = "app.created"
	AuditAppLive            = "app.went_live"
	AuditAppSandbox         = "app.back_to_sandbox"
	AuditAppSettings        = "app.settings_changed"
	AuditAppDeleted         = "app.deleted"
	AuditDataPurged         = "app.data_purged"
	AuditAccountUnlinked    = "account.unlinked"
	AuditMemberInvited      = "member.invited"
	AuditMemberJoined       = "member.joined"
	AuditMemberRemoved      = "member.removed"
	AuditMemberRole         = "member.role_changed"
	AuditInviteWithdrawn    = "member.invite_withdrawn"
	AuditOwnerTransferred   = "member.ownership_transferred"
	AuditWebhooksReenabled  = "webhook.reenabled"
	// provider.* lines name the provider and the fields set, never their
	// values: the audit log is exported as CSV and read by every viewer.
	AuditProviderKeysSet     = "provider.keys_set"
	AuditProviderKeysDeleted = "provider.keys_deleted"
	AuditInstitutionProvider = "provider.institution_changed"
)

// audit appends an entry for org in tx. Without an actor in the context
// the caller is an API key (the Mono-compatible API), named by its prefix.
func (s *Service) audit(ctx context.Context, tx kobo.Tx, orgID, appID, action, target, detail string, key *kobo.APIKey) error {
	a, ok := ActorFrom(ctx)
	if !ok {
		a = Actor{ID: "system", Email: "kobo", Source: "system"}
		if key != nil && key.ID != "" {
			a = Actor{ID: key.ID, Email: "API key " + key.Prefix + "…", Source: "api"}
		}
	}
	now := s.now()
	return tx.AppendAudit(ctx, &kobo.AuditEntry{ID: kobo.NewID(now), OrgID: orgID, AppID: appID, ActorID: a.ID, ActorEmail: a.Email,
		Action: action, Target: target, Detail: detail, Source: a.Source, CreatedAt: now})
}

// AuditQuery selects audit lines.
type AuditQuery struct {
	AppID  string
	Action string
	Actor  string // an actor id
	Since  *time.Time
	Before *time.Time
	Limit  int // 1..1000; 0 means 100
}

// AuditLog returns org's audit entries, newest first. The caller has been
// authorised for the organisation.
func (s *Service) AuditLog(ctx context.Context, orgID string, q AuditQuery) ([]*kobo.AuditEntry, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	if q.Limit > 10_000 {
		return nil, &kobo.Error{Code: kobo.EINVALID, Message: "limit must be at most 10000", Fields: map[string]string{"limit": "must be at most 10000"}}
	}
	var out []*kobo.AuditEntry
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		out, err = tx.AuditEntries(ctx, kobo.AuditFilter{OrgID: orgID, AppID: q.AppID, Action: strings.TrimSpace(q.Action), ActorID: q.Actor, Since: q.Since, Before: q.Before, Limit: q.Limit})
		return err
	})
	return out, err
}

// WriteAuditCSV writes entries as CSV with a header row. Cells that a
// spreadsheet would run as a formula are prefixed with a quote.
func WriteAuditCSV(w io.Writer, entries []*kobo.AuditEntry) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"time", "actor", "actor_id", "source", "action", "app_id", "target", "detail", "id"})
	for _, e := range entries {
		_ = cw.Write([]string{e.CreatedAt.UTC().Format(time.RFC3339), cell(e.ActorEmail), e.ActorID, e.Source, e.Action, e.AppID, cell(e.Target), cell(e.Detail), e.ID})
	}
	cw.Flush()
	return cw.Error()
}

// cell defuses spreadsheet formula injection (CWE-1236).
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// auditAppUpdate records what an app update changed: going live or back,
// the webhook URL, and other settings, one line each.
func (s *Service) auditAppUpdate(ctx context.Context, tx kobo.Tx, before, after *kobo.App, wasLive bool, wasHook string) error {
	org, app := after.PartnerID, after.ID
	if after.Live && !wasLive {
		if err := s.audit(ctx, tx, org, app, AuditAppLive, after.Name, "live keys issued", nil); err != nil {
			return err
		}
	}
	if !after.Live && wasLive {
		if err := s.audit(ctx, tx, org, app, AuditAppSandbox, after.Name, "live keys revoked", nil); err != nil {
			return err
		}
	}
	if after.WebhookURL != wasHook {
		if err := s.audit(ctx, tx, org, app, AuditWebhookChanged, after.WebhookURL, "was "+cmpOrStr(wasHook, "(none)"), nil); err != nil {
			return err
		}
	}
	var changed []string
	if before.Name != after.Name {
		changed = append(changed, "name")
	}
	if before.DisplayName != after.DisplayName {
		changed = append(changed, "display name")
	}
	if before.Icon != after.Icon {
		changed = append(changed, "logo")
	}
	if before.SyncFrequency != after.SyncFrequency {
		changed = append(changed, "sync frequency")
	}
	if before.HistoryMonths != after.HistoryMonths {
		changed = append(changed, "history months")
	}
	if before.Relink != after.Relink {
		changed = append(changed, "relink policy")
	}
	if before.PrivacyURL != after.PrivacyURL {
		changed = append(changed, "privacy policy link")
	}
	if before.TermsURL != after.TermsURL {
		changed = append(changed, "terms link")
	}
	if before.BrandColor != after.BrandColor {
		changed = append(changed, "widget colour")
	}
	if len(changed) == 0 {
		return nil
	}
	return s.audit(ctx, tx, org, app, AuditAppSettings, after.Name, "changed "+strings.Join(changed, ", "), nil)
}

func cmpOrStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// providerKeysDetail says what a PUT of provider keys did: which fields
// (names only) were set or replaced and how the immediate check went. The
// check's message is left out: a provider may echo what it was sent.
func providerKeysDetail(replaced bool, fields []string, h kobo.ProviderHealth) string {
	verb := "set "
	if replaced {
		verb = "replaced "
	}
	d := verb + strings.Join(fields, ", ")
	switch {
	case h.CheckedAt.IsZero():
		return d + "; not checked (the provider has no check)"
	case h.OK:
		return d + "; check passed"
	}
	return d + "; check failed"
}
