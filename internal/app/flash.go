package app

import (
	"context"
	"encoding/json"
	"time"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// flashTTL is how long a redirect's message waits for its page. The GET
// follows the redirect at once; minutes cover a slow phone.
const flashTTL = 5 * time.Minute

// FlashMessage is what one dashboard redirect carries to the next page.
type FlashMessage struct {
	Kind    string            // "ok" or "warn"
	Message string            // plain words
	Secrets map[string]string // shown once: mode or "webhook" → value
	Link    string            // a link shown once (a re-auth or invitation link)
}

// PutFlash stores a one-time message for partnerID and returns its id. It
// lives in the database so whichever replica serves the redirected GET
// finds it.
func (s *Service) PutFlash(ctx context.Context, partnerID string, m FlashMessage) (string, error) {
	payload, err := json.Marshal(struct {
		Secrets map[string]string `json:"secrets,omitempty"`
		Link    string            `json:"link,omitempty"`
	}{m.Secrets, m.Link})
	if err != nil {
		return "", err
	}
	now := s.now()
	f := &kobo.Flash{ID: kobo.RandomToken(32), PartnerID: partnerID, Kind: m.Kind, Message: m.Message, Payload: payload, CreatedAt: now, ExpiresAt: now.Add(flashTTL)}
	if err := s.store.Update(ctx, func(tx kobo.Tx) error { return tx.PutFlash(ctx, f) }); err != nil {
		return "", err
	}
	return f.ID, nil
}

// TakeFlash returns and deletes the partner's flash; ENOTFOUND when it
// was shown already, expired, or is someone else's.
func (s *Service) TakeFlash(ctx context.Context, partnerID, id string) (*FlashMessage, error) {
	var f *kobo.Flash
	err := s.store.Update(ctx, func(tx kobo.Tx) error {
		var err error
		f, err = tx.TakeFlash(ctx, id, partnerID, s.now())
		return err
	})
	if err != nil {
		return nil, err
	}
	var p struct {
		Secrets map[string]string `json:"secrets"`
		Link    string            `json:"link"`
	}
	if len(f.Payload) > 0 {
		if err := json.Unmarshal(f.Payload, &p); err != nil {
			return nil, err
		}
	}
	return &FlashMessage{Kind: f.Kind, Message: f.Message, Secrets: p.Secrets, Link: p.Link}, nil
}
