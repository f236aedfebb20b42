package kobo

import "context"

type priorityKey struct{}

// Background marks ctx as background work (jobs, webhook deliveries, the
// request log): a store with a single writer lets requests that a person
// or a partner's server is waiting on write first.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, priorityKey{}, true)
}

// IsBackground reports whether ctx was marked by Background.
func IsBackground(ctx context.Context) bool {
	b, _ := ctx.Value(priorityKey{}).(bool)
	return b
}
