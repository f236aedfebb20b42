package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Institution health is computed from kobo's own calls to banks: every
// call a connector makes (login, answers, accounts, balances,
// transactions, identity, in the widget, headless connect, syncs and first
// fetches alike) is counted per institution and scope, in the database,
// so every replica shows the same status.
//
// Over the last HealthWindow of calls in a scope:
//
//   - fewer than HealthMinCalls calls: up (too little to judge; kobo never
//     calls a bank down on no evidence);
//   - down: at least half of the calls failed at the bank;
//   - degraded: at least a tenth failed, or more than HealthSlowShare of
//     them took over HealthSlowCall (the 95th percentile is over it);
//   - up otherwise.
//
// A call "failed at the bank" when the bank was unavailable (5xx,
// timeouts, resets), rate-limited kobo, or answered something that could
// not be read. A wrong password, a locked user, a needed OTP or an expired
// session are answers: they count as calls that worked. The app's own
// keys refused at a provider, and calls the caller gave up on, are not
// counted at all: they say nothing about the bank.
//
// Live calls of every app share one scope (they reach the same real
// bank); an app's sandbox calls have their own, so one partner's fault
// users never mark a sandbox bank down for another.
const (
	HealthWindow            = 15 * time.Minute
	HealthMinCalls          = 5
	HealthDownErrorRate     = 0.5
	HealthDegradedErrorRate = 0.1
	HealthSlowCall          = 8 * time.Second
	HealthSlowShare         = 0.05
	// HealthKept is how long counters are kept: the last error time the
	// dashboard shows looks back this far.
	HealthKept = 24 * time.Hour

	healthCacheTTL   = 5 * time.Second // how stale another replica's calls can look here
	healthMaxPending = 10_000          // counters waiting for a flush; beyond, calls are dropped (and logged)
	healthMaxScopes  = 4096            // cached snapshots; beyond, the cache starts afresh
	institutionNote  = 280             // the longest operator note, in characters
)

// Audit actions of institution notes. They are the deployment's, not a
// partner's: they are written under OperatorAuditOrg.
const (
	AuditInstitutionNoteSet     = "institution.note_set"
	AuditInstitutionNoteCleared = "institution.note_cleared"
	// OperatorAuditOrg is the audit log "organisation" of actions on the
	// deployment itself (no partner's export lists it).
	OperatorAuditOrg = "deployment"
)

// healthRecorder adds up this replica's calls until the next flush writes
// them to the database, one row per (scope, institution, minute): a bank
// call costs a map update, not a database write.
type healthRecorder struct {
	mu      sync.Mutex
	pending map[healthKey]*kobo.BankCalls
	dropped int
}

type healthKey struct {
	scope, institution string
	minute             int64
}

func (h *healthRecorder) add(scope, institution string, at time.Time, failed, slow bool) {
	minute := at.UTC().Truncate(time.Minute)
	k := healthKey{scope, institution, minute.Unix()}
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.pending[k]
	if c == nil {
		if len(h.pending) >= healthMaxPending {
			h.dropped++
			return
		}
		c = &kobo.BankCalls{Scope: scope, InstitutionID: institution, Minute: minute}
		h.pending[k] = c
	}
	c.Calls++
	if failed {
		c.Errors++
		t := at.UTC().Truncate(time.Microsecond)
		if c.LastErrorAt == nil || t.After(*c.LastErrorAt) {
			c.LastErrorAt = &t
		}
	}
	if slow {
		c.Slow++
	}
}

func (h *healthRecorder) take() ([]kobo.BankCalls, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]kobo.BankCalls, 0, len(h.pending))
	for _, c := range h.pending {
		out = append(out, *c)
	}
	clear(h.pending)
	dropped := h.dropped
	h.dropped = 0
	// a fixed order: two replicas' flushes lock rows alike
	slices.SortFunc(out, func(a, b kobo.BankCalls) int {
		return strings.Compare(a.Scope+"\x00"+a.InstitutionID+"\x00"+a.Minute.Format(time.RFC3339), b.Scope+"\x00"+b.InstitutionID+"\x00"+b.Minute.Format(time.RFC3339))
	})
	return out, dropped
}

// healthScope is the counters' scope of a call made for appID.
func healthScope(live bool, appID string) string {
	if live {
		return kobo.HealthScopeLive
	}
	return kobo.HealthScopeSandbox(appID)
}

// recordBankCall counts one connector call (err is what it returned; d
// how long it took, or a negative duration when its length says nothing,
// as a transaction history's does).
func (s *Service) recordBankCall(ctx context.Context, scope, institution string, d time.Duration, err error) {
	if err != nil && ctx.Err() != nil {
		return // the caller gave up: nothing learnt about the bank
	}
	failed := false
	if err != nil {
		switch kobo.BankErrorKindOf(err) {
		case kobo.BankUnavailable, kobo.BankRateLimited, kobo.BankInvalidData:
			failed = true
		case kobo.BankAppCredentials:
			return // the app's keys, not the bank
		case "":
			var ke *kobo.Error
			if errors.As(err, &ke) {
				return // kobo refused before the bank was asked
			}
			failed = true // unclassified: the connector could not talk to the bank
		}
	}
	s.health.add(scope, institution, s.clock.Now(), failed, d >= HealthSlowCall)
}

// FlushBankHealth writes the calls counted here since the last flush.
// RunBankHealth calls it every few seconds; tests call it to make what
// happened visible at once.
func (s *Service) FlushBankHealth(ctx context.Context) error {
	calls, dropped := s.health.take()
	if dropped > 0 {
		s.log.Warn("bank call counts dropped: too many waited for a flush", "counters", dropped)
	}
	if len(calls) == 0 {
		return nil
	}
	err := s.store.Update(ctx, func(tx kobo.Tx) error { return tx.AddBankCalls(ctx, calls) })
	if err != nil {
		return fmt.Errorf("writing bank call counts: %w", err)
	}
	for _, c := range calls {
		s.healthCache.forget(c.Scope)
	}
	return nil
}

// RunBankHealth flushes bank call counts every two seconds until ctx
// ends, then once more.
func (s *Service) RunBankHealth(ctx context.Context) {
	ctx = kobo.Background(ctx)
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if err := s.FlushBankHealth(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("flushing bank health failed", "err", err)
			}
		case <-ctx.Done():
			if err := s.FlushBankHealth(context.WithoutCancel(ctx)); err != nil {
				s.log.Warn("flushing bank health failed", "err", err)
			}
			return
		}
	}
}

// PruneBankHealth deletes counters older than HealthKept.
func (s *Service) PruneBankHealth(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := s.store.Update(ctx, func(tx kobo.Tx) error {
			var err error
			n, err = tx.PruneBankCalls(ctx, s.now().Add(-HealthKept), pruneBatch)
			return err
		})
		total += n
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
}

// InstitutionHealth is how an institution is doing in one scope.
type InstitutionHealth struct {
	// Status is what partners and customers see: the operator's when
	// set, else kobo's own (Computed).
	Status   string
	Computed string
	// Note is the operator's note, else kobo's own when not up; "" when
	// up without an operator's note.
	Note string
	// the status window's calls, and the latest error kobo kept
	Calls, Errors, Slow int
	LastErrorAt         *time.Time
	Operator            *kobo.InstitutionNote
	reason              string // why Computed is not up: "down", "errors", "slow"
}

// ErrorRate is the share of the window's calls that failed at the bank.
func (h InstitutionHealth) ErrorRate() float64 {
	if h.Calls == 0 {
		return 0
	}
	return float64(h.Errors) / float64(h.Calls)
}

// ErrorPercent is ErrorRate in whole percent, rounded.
func (h InstitutionHealth) ErrorPercent() int { return int(h.ErrorRate()*100 + 0.5) }

// Judged reports whether the window had calls enough for a status of
// kobo's own.
func (h InstitutionHealth) Judged() bool { return h.Calls >= HealthMinCalls }

// HealthSnapshot is every institution's health in one scope.
type HealthSnapshot struct {
	byID map[string]InstitutionHealth
	// Tag changes whenever a status or note shown changes, so responses
	// built from the snapshot can be cached by it; "" when everything is
	// up without notes.
	Tag string
}

// Of returns in's health, its note phrased with its name.
func (h HealthSnapshot) Of(in *kobo.Institution) InstitutionHealth {
	v, ok := h.byID[in.ID]
	if !ok {
		return InstitutionHealth{Status: kobo.InstitutionUp, Computed: kobo.InstitutionUp}
	}
	if v.Operator != nil {
		v.Note = v.Operator.Note
		return v
	}
	switch v.reason {
	case "down":
		v.Note = in.Name + " is not responding right now, so linking will probably fail. Please try again later."
	case "errors":
		v.Note = in.Name + " is having problems right now; linking may fail or need another try."
	case "slow":
		v.Note = in.Name + " is slow right now; linking may take longer than usual."
	}
	return v
}

// judge computes kobo's own status from a window's counters.
func judge(r kobo.InstitutionHealthRow) (status, reason string) {
	if r.Calls < HealthMinCalls {
		return kobo.InstitutionUp, ""
	}
	rate := float64(r.Errors) / float64(r.Calls)
	switch {
	case rate >= HealthDownErrorRate:
		return kobo.InstitutionDown, "down"
	case rate >= HealthDegradedErrorRate:
		return kobo.InstitutionDegraded, "errors"
	case float64(r.Slow)/float64(r.Calls) > HealthSlowShare:
		return kobo.InstitutionDegraded, "slow"
	}
	return kobo.InstitutionUp, ""
}

// healthCache keeps each scope's snapshot for healthCacheTTL: the
// institutions list is read on every widget open.
type healthCache struct {
	mu sync.Mutex
	m  map[string]healthEntry
}

type healthEntry struct {
	snap   HealthSnapshot
	loaded time.Time
}

func (c *healthCache) forget(scope string) {
	c.mu.Lock()
	delete(c.m, scope)
	c.mu.Unlock()
}

func (c *healthCache) forgetAll() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

// Health returns the institutions' health for a caller: live calls of
// every app for a live key, the app's own sandbox calls for a sandbox key.
func (s *Service) Health(ctx context.Context, live bool, appID string) (HealthSnapshot, error) {
	scope := healthScope(live, appID)
	now := s.clock.Now()
	c := s.healthCache
	c.mu.Lock()
	e, ok := c.m[scope]
	c.mu.Unlock()
	if ok && now.Sub(e.loaded) < healthCacheTTL && !now.Before(e.loaded) {
		return e.snap, nil
	}
	var rows []kobo.InstitutionHealthRow
	var notes []*kobo.InstitutionNote
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		if rows, err = tx.InstitutionHealth(ctx, scope, now.Add(-HealthWindow), now.Add(-HealthKept)); err != nil {
			return err
		}
		notes, err = tx.InstitutionNotes(ctx)
		return err
	})
	if err != nil {
		return HealthSnapshot{}, err
	}
	snap := buildSnapshot(rows, notes)
	c.mu.Lock()
	if len(c.m) >= healthMaxScopes {
		clear(c.m)
	}
	c.m[scope] = healthEntry{snap: snap, loaded: now}
	c.mu.Unlock()
	return snap, nil
}

func buildSnapshot(rows []kobo.InstitutionHealthRow, notes []*kobo.InstitutionNote) HealthSnapshot {
	snap := HealthSnapshot{byID: map[string]InstitutionHealth{}}
	for _, r := range rows {
		st, reason := judge(r)
		snap.byID[r.InstitutionID] = InstitutionHealth{Status: st, Computed: st, Calls: r.Calls, Errors: r.Errors, Slow: r.Slow,
			LastErrorAt: r.LastErrorAt, reason: reason}
	}
	for _, n := range notes {
		v, ok := snap.byID[n.InstitutionID]
		if !ok {
			v = InstitutionHealth{Status: kobo.InstitutionUp, Computed: kobo.InstitutionUp}
		}
		v.Operator = n
		if n.Status != "" {
			v.Status = n.Status
		}
		snap.byID[n.InstitutionID] = v
	}
	// the tag covers what is shown: status and note (the note's wording
	// comes from the reason, or the operator's text)
	var shown []string
	for id, v := range snap.byID {
		if v.Status == kobo.InstitutionUp && v.Operator == nil {
			continue
		}
		line := id + "\x00" + v.Status + "\x00" + v.reason
		if v.Operator != nil {
			line += "\x00" + v.Operator.Note
		}
		shown = append(shown, line)
	}
	if len(shown) > 0 {
		slices.Sort(shown)
		sum := sha256.Sum256([]byte(strings.Join(shown, "\x01")))
		snap.Tag = hex.EncodeToString(sum[:8])
	}
	return snap
}

// InstitutionStatus is one institution with its health.
type InstitutionStatus struct {
	Institution *kobo.Institution
	InstitutionHealth
}

// InstitutionStatuses lists the institutions a caller reaches (live:
// those a real connector reaches) with their health in its scope.
func (s *Service) InstitutionStatuses(ctx context.Context, live bool, appID string) ([]InstitutionStatus, error) {
	cat, err := s.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	snap, err := s.Health(ctx, live, appID)
	if err != nil {
		return nil, err
	}
	list := s.ReachableInstitutions(cat.All, live)
	out := make([]InstitutionStatus, 0, len(list))
	for _, in := range list {
		out = append(out, InstitutionStatus{Institution: in, InstitutionHealth: snap.Of(in)})
	}
	return out, nil
}

// OperatorInstitutions lists every institution in the catalog with its
// live health and the operator's note.
func (s *Service) OperatorInstitutions(ctx context.Context) ([]InstitutionStatus, error) {
	cat, err := s.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	snap, err := s.Health(ctx, true, "")
	if err != nil {
		return nil, err
	}
	out := make([]InstitutionStatus, 0, len(cat.All))
	for _, in := range cat.All {
		out = append(out, InstitutionStatus{Institution: in, InstitutionHealth: snap.Of(in)})
	}
	return out, nil
}

// SetInstitutionNote is the operator's note on an institution (planned
// maintenance, a known outage), shown to partners and customers in place
// of kobo's own; status "degraded" or "down" also replaces kobo's status,
// "" keeps it. It applies to live and sandbox alike.
func (s *Service) SetInstitutionNote(ctx context.Context, institutionID, status, note string) (*kobo.InstitutionNote, error) {
	ctx = operatorCtx(ctx)
	status, note = strings.ToLower(strings.TrimSpace(status)), strings.TrimSpace(note)
	if status == kobo.InstitutionUp {
		status = ""
	}
	v := kobo.Invalid{}
	if status != "" && status != kobo.InstitutionDegraded && status != kobo.InstitutionDown {
		v.Add("status", "must be degraded, down, or empty to keep kobo's own")
	}
	switch n := len([]rune(note)); {
	case n == 0:
		v.Add("note", "is required: what customers should know (clear the note to remove it)")
	case n > institutionNote:
		v.Add("note", fmt.Sprintf("must be at most %d characters", institutionNote))
	}
	if strings.ContainsAny(note, "\r\n\t") {
		v.Add("note", "must be one line")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	in, err := s.findInstitution(ctx, institutionID)
	if err != nil {
		return nil, err
	}
	n := &kobo.InstitutionNote{InstitutionID: in.ID, Status: status, Note: note, By: operatorName(ctx), UpdatedAt: s.now()}
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		if err := tx.PutInstitutionNote(ctx, n); err != nil {
			return err
		}
		return s.audit(ctx, tx, OperatorAuditOrg, "", AuditInstitutionNoteSet, in.ID+" ("+in.Name+")", strings.TrimSpace(status+" "+note), nil)
	})
	if err != nil {
		return nil, err
	}
	s.healthCache.forgetAll()
	return n, nil
}

// ClearInstitutionNote removes the operator's note: kobo's own status and
// note show again.
func (s *Service) ClearInstitutionNote(ctx context.Context, institutionID string) error {
	ctx = operatorCtx(ctx)
	in, err := s.findInstitution(ctx, institutionID)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx kobo.Tx) error {
		notes, err := tx.InstitutionNotes(ctx)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(notes, func(n *kobo.InstitutionNote) bool { return n.InstitutionID == in.ID }) {
			return nil // nothing to clear, nothing to audit
		}
		if err := tx.DeleteInstitutionNote(ctx, in.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, OperatorAuditOrg, "", AuditInstitutionNoteCleared, in.ID+" ("+in.Name+")", "", nil)
	})
	if err != nil {
		return err
	}
	s.healthCache.forgetAll()
	return nil
}

// findInstitution finds an institution by id or by name (any case), as an
// operator types it.
func (s *Service) findInstitution(ctx context.Context, ref string) (*kobo.Institution, error) {
	ref = strings.TrimSpace(ref)
	cat, err := s.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	for _, in := range cat.All {
		if in.ID == ref {
			return in, nil
		}
	}
	for _, in := range cat.All {
		if strings.EqualFold(in.Name, ref) {
			return in, nil
		}
	}
	return nil, kobo.Errorf(kobo.ENOTFOUND, "no institution %q: give its id or its name as the catalog has it (kobo admin institutions lists them)", ref)
}

// OperatorAudit lists the deployment's own audit lines (institution
// notes), newest first.
func (s *Service) OperatorAudit(ctx context.Context, limit int) ([]*kobo.AuditEntry, error) {
	var out []*kobo.AuditEntry
	err := s.store.View(ctx, func(tx kobo.Tx) error {
		var err error
		out, err = tx.AuditEntries(ctx, kobo.AuditFilter{OrgID: OperatorAuditOrg, Limit: min(max(limit, 1), 1000)})
		return err
	})
	return out, err
}
