// Package banksim is kobo's sandbox bank: a simulated group of Nigerian
// banks that serves every institution in the catalog with its own login
// form and second factor, deterministic test users, and realistic NGN
// account data, behind an HTTP API shaped like an open-banking Account
// Information API.
//
// It owns the institution catalog (Catalog), which kobo seeds into its
// database at start, so the banks partners pick from and the banks the
// simulator serves can never disagree.
package banksim
