// Package httpapi serves kobo's HTTP API: the Mono-compatible v1 and v2
// endpoints, the Partner API (signup, login, apps and keys), health
// checks, and the operator listener with Prometheus metrics.
//
// It uses the standard library's ServeMux with method patterns. Handlers
// return errors; one table (errors.go) maps kobo error codes to HTTP status
// and to the body shape of the API generation the route belongs to: Mono v1
// routes answer {"message": "..."}, v2 routes the
// {status:"failed", message, timestamp, data} envelope, and the Partner API
// {"message", "errors":[{field, message}]}. Compatibility with Mono's error
// bodies lives only in that file.
//
// Other packages that serve HTTP (widget, dashboard, banksim) are mounted
// on the same mux by cli through Handle, so one listener, one middleware
// chain and one set of metrics cover everything.
package httpapi
