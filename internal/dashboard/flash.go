package dashboard

// flashes are the messages a redirect may carry. The URL names one by id
// (?flash=welcome): text taken from the query string would let anyone
// send a partner a kobo link that shows kobo saying whatever they like
// ("your keys leaked: rotate them at evil.example").
var flashes = map[string]string{
	"welcome":          "Welcome to kobo. Create your first app to get sandbox keys.",
	"logged-out":       "You are logged out.",
	"expired":          "Your session has expired. Please log in again.",
	"password-changed": "Password changed. Other sessions were logged out.",
	"settings-saved":   "Settings saved.",
	"sync-limited":     "This account was synced moments ago. Try again in a couple of minutes.",
	"sync-none":        "Synced: no new data.",
	"sync-new":         "Synced: new data arrived.",
	"sync-reauth":      "The bank wants the customer to log in again. Get a re-auth link below and send it to them.",
	"sync-failed":      "The sync failed. The bank did not answer as expected; try again later.",
	"unlinked":         "Account unlinked and its data deleted.",
	"redelivery":       "Queued for redelivery with the same event id.",
	"test-sent":        "Test event sent. It appears below within a second or two.",
	"webhooks-enabled": "Webhooks re-enabled.",
	"test-linked":      "Test account linked. Its data is being fetched.",
	"clock-advanced":   "Sandbox clock advanced. New transactions appear at the next sync.",
	"event-fired":      "Webhook fired. It appears in the delivery log within a second or two.",
	"login-reset":      "The next sync of this account will need re-authorisation.",
	"user-created":     "Sandbox user created. Log in as it in the widget or with the Partners API.",
	"user-deleted":     "Sandbox user deleted.",
	"provider-saved":   "Provider keys saved and sealed. They are never shown again.",
	"provider-checked": "Provider keys checked.",
	"provider-deleted": "Provider keys forgotten; the deployment's defaults apply, if any.",
}
