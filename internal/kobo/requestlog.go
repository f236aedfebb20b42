package kobo

import "context"

// RequestLogCapStore bounds the API request log by size: retention alone
// does not, since a busy install writes millions of lines a day.
type RequestLogCapStore interface {
	// TrimAPIRequests deletes the oldest lines of the whole log (every app)
	// beyond the newest keep, at most limit of them, and says how many it
	// deleted. Lines sharing the cut-off's timestamp may go with it.
	TrimAPIRequests(ctx context.Context, keep, limit int) (int, error)
}
