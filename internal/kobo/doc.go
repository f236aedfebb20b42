// Package kobo is the domain of the kobo open-banking platform.
//
// It owns the types every other package speaks (partners, apps and their
// keys, institutions, connect sessions, accounts, transactions, identity,
// events and jobs), the one error type with its machine codes, and the
// interfaces the rest of the program depends on: Store and Tx for
// persistence, Provider for reaching banks, Clock for time.
//
// It imports nothing from the project, so every adapter (sqlite, postgres,
// httpapi, provider/...) can depend on it without cycles. Business rules that
// need more than one of these types live in package app, above the storage
// seam, so both database engines share one implementation of each rule.
//
// Money is always an int64 count of minor units (kobo for NGN, as Mono does);
// IDs are generated in Go so they are known before insert and identical on
// both engines; time always comes from an injected Clock.
package kobo
