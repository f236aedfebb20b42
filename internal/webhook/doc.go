// Package webhook delivers kobo's events to partners' endpoints: it renders
// Mono's webhook payloads, signs them, POSTs them safely, and runs the
// delivery engine over the deliveries table.
//
// Every delivery is a POST of {event, event_id, timestamp, data} with:
//   - mono-webhook-secret: the app's webhook secret, verbatim (Mono's scheme:
//     the receiver compares it to its copy);
//   - Standard Webhooks headers webhook-id (the event id, the same on every
//     retry and redelivery), webhook-timestamp (unix seconds of the attempt)
//     and webhook-signature ("v1," + base64 HMAC-SHA256 of
//     "id.timestamp.body" keyed with the base64 part of the whsec_ secret),
//     so receivers can use the standardwebhooks libraries and reject
//     replays.
//
// Delivery rules: 10 s timeout; any non-2xx, redirect, timeout or
// connection error is retried; redirects are not followed. Guarded
// deliveries may not reach loopback, private, link-local (cloud metadata),
// CGNAT, multicast, reserved or unspecified addresses, nor the IPv6 forms
// that carry one (kobo.InternalAddr); the check runs on the resolved
// address at dial time, so DNS rebinding cannot slip past it, and a blocked
// attempt keeps no status or body and always reads ErrBlockedAddress. A live
// app's deliveries are always guarded, its test-mode events included (the
// guard follows the app that owns the URL, not the event). A sandbox app's
// are guarded unless DispatcherConfig.SandboxPrivate is set: cli sets it
// when kobo runs on loopback only (a developer's machine) or the operator
// asks for it with --webhook-allow-private.
//
// Retry schedule (Backoff; ±20% jitter), about two days in all (48 h 52 m
// nominal, 39 h to 59 h with jitter):
//
//	attempt:     1   2    3   4   5    6    7   8   9   10  11  12  13  14
//	wait before: —   30s  2m  5m  15m  30m  1h  2h  4h  6h  8h  8h  9h  10h
//
// Order: an account's deliveries go one at a time in event order while its
// endpoint answers. A delivery is ready when recorded unless an earlier
// delivery of its account is in flight or untried, and the one after a
// delivery becomes ready when that one has been tried (succeeded, failed,
// or waiting for a retry: one failing event does not hold its account's
// later events back for the two days of its retries). The dispatcher only
// ever claims ready deliveries, so a backlog of any size costs a claim no
// more than the deliveries it takes. Each turn of the dispatcher is one
// write transaction: it records the outcomes that came back since the last
// turn, which makes each account's next delivery ready, and claims what is
// due, those included.
//
// After MaxAttempts the delivery is failed (it stays in the log and can be
// redelivered). An endpoint that fails every delivery for three days is
// disabled until the partner re-enables it; events keep accruing in the
// pull feed meanwhile.
package webhook
