package webhook

import (
	"encoding/json"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Renderer renders Mono's webhook payloads (reference §6.2). Webhook
// account objects stay camelCase with _id even in the v2 era, as Mono's do.
type Renderer struct{}

var _ kobo.EventRenderer = Renderer{}

type institutionJSON struct {
	Name     string `json:"name"`
	BankCode string `json:"bankCode"`
	Type     string `json:"type"`
}

type accountJSON struct {
	ID            string          `json:"_id"`
	Name          string          `json:"name"`
	AccountNumber string          `json:"accountNumber"`
	Currency      string          `json:"currency"`
	Balance       int64           `json:"balance"`
	Type          string          `json:"type"`
	BVN           string          `json:"bvn"`
	AuthMethod    string          `json:"authMethod"`
	Institution   institutionJSON `json:"institution"`
	Scope         []string        `json:"scope"`
	LiveMode      bool            `json:"liveMode"`
	AccessType    string          `json:"accessType"`
	CreatedAt     string          `json:"created_at"`
	UpdatedAt     string          `json:"updated_at"`
}

type metaJSON struct {
	DataStatus    kobo.DataStatus `json:"data_status"`
	AuthMethod    string          `json:"auth_method"`
	Ref           string          `json:"ref,omitempty"`
	SyncStatus    string          `json:"sync_status,omitempty"`
	JobID         string          `json:"job_id,omitempty"`
	HasNewData    *bool           `json:"has_new_data,omitempty"`
	RetrievedData []string        `json:"retrieved_data"`
}

func stamp(a *kobo.Account) (string, string) {
	return a.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"), a.UpdatedAt.UTC().Format("2006-01-02T15:04:05.000Z")
}

func account(a *kobo.Account) accountJSON {
	c, u := stamp(a)
	return accountJSON{ID: a.ID, Name: a.Name, AccountNumber: string(a.AccountNumber), Currency: a.Currency, Balance: a.Balance, Type: a.Type,
		BVN: a.BVNLast4, AuthMethod: a.AuthMethod,
		Institution: institutionJSON{Name: a.Institution.Name, BankCode: a.Institution.BankCode, Type: string(a.Institution.Type)},
		Scope:       []string{"financial_data"}, LiveMode: a.Live, AccessType: "PERSISTENT", CreatedAt: c, UpdatedAt: u}
}

func meta(f kobo.EventFacts) metaJSON {
	m := metaJSON{DataStatus: f.DataStatus, SyncStatus: f.SyncStatus, JobID: f.JobID, HasNewData: f.HasNewData, RetrievedData: f.RetrievedData}
	if m.RetrievedData == nil {
		m.RetrievedData = []string{}
	}
	if f.Account != nil {
		m.AuthMethod, m.Ref = f.Account.AuthMethod, f.Account.Reference
		if m.DataStatus == "" {
			m.DataStatus = f.Account.DataStatus
		}
	}
	return m
}

func ids(f kobo.EventFacts) (app, business string) {
	if f.App != nil {
		return f.App.ID, f.App.PartnerID
	}
	return "", ""
}

// Render implements kobo.EventRenderer.
func (Renderer) Render(f kobo.EventFacts) (json.RawMessage, error) {
	app, business := ids(f)
	var v any
	switch f.Type {
	case kobo.EventAccountConnected:
		type connected struct {
			ID       string  `json:"id"`
			Customer *string `json:"customer"`
			Meta     struct {
				DataStatus kobo.DataStatus `json:"data_status"`
				AuthMethod string          `json:"auth_method"`
				Ref        string          `json:"ref,omitempty"`
			} `json:"meta"`
			App      string `json:"app"`
			Business string `json:"business"`
		}
		c := connected{ID: f.Account.ID, App: app, Business: business}
		if f.Account.CustomerID != "" {
			c.Customer = &f.Account.CustomerID
		}
		c.Meta.DataStatus, c.Meta.AuthMethod, c.Meta.Ref = f.DataStatus, f.Account.AuthMethod, f.Account.Reference
		v = c
	case kobo.EventAccountUpdated, kobo.EventSyncFailed:
		v = struct {
			Account accountJSON `json:"account"`
			Meta    metaJSON    `json:"meta"`
		}{account(f.Account), meta(f)}
	case kobo.EventReauthRequired, kobo.EventAccountReauthorized:
		v = map[string]any{"account": map[string]string{"_id": f.Account.ID}, "app": app, "business": business}
	case kobo.EventAccountUnlinked:
		// Mono's example says "id", its field table "_id": send both
		v = map[string]any{"account": map[string]string{"id": f.Account.ID, "_id": f.Account.ID}, "app": app, "business": business}
	case kobo.EventJobUpdate:
		v = map[string]any{"account": f.Account.ID, "business": business, "app": app, "id": f.JobID, "name": f.JobName, "status": f.JobStatus}
	case kobo.EventWebhookTest:
		v = map[string]any{"message": "This is a test webhook from kobo. Your endpoint received it.", "app": app, "business": business}
	default:
		m := map[string]any{"app": app, "business": business}
		if f.Account != nil {
			m["account"] = f.Account.ID
		}
		for k, x := range f.Extra {
			m[k] = x
		}
		v = m
	}
	return json.Marshal(v)
}
