package kobo

import "time"

// DeliveryStatus is where a webhook delivery is.
type DeliveryStatus string

const (
	DeliveryPending    DeliveryStatus = "pending"    // waiting for its (next) attempt
	DeliveryDelivering DeliveryStatus = "delivering" // a worker holds it
	DeliverySucceeded  DeliveryStatus = "succeeded"  // the endpoint answered 2xx
	DeliveryFailed     DeliveryStatus = "failed"     // out of attempts, or the endpoint is disabled
)

// Delivery is one event on its way to one app's webhook endpoint. The
// event id stays the same across every retry and redelivery.
type Delivery struct {
	ID             string
	EventID        string
	EventSeq       int64
	EventType      string
	AppID          string
	Live           bool
	AccountID      string
	Status         DeliveryStatus
	Attempts       int
	NextAttemptAt  *time.Time
	LockedBy       string
	LockedUntil    *time.Time
	URL            string // the URL of the last attempt
	LastStatusCode int
	LastError      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DeliveredAt    *time.Time
	Event          *Event // filled by ClaimDeliveries and Delivery
}

// DeliveryAttempt is the log of one POST.
type DeliveryAttempt struct {
	ID           string
	DeliveryID   string
	Attempt      int
	AttemptedAt  time.Time
	URL          string
	StatusCode   int // 0 when no response came
	Latency      time.Duration
	ResponseBody string // the first KiB
	Error        string // timeout, connection refused, blocked address, ...
}

// DeliveryOutcome is what a worker learned from one attempt.
type DeliveryOutcome struct {
	DeliveryID    string
	Attempt       DeliveryAttempt
	Status        DeliveryStatus // succeeded, pending (retry at NextAttemptAt) or failed
	NextAttemptAt *time.Time
}

// DeliveryFilter selects deliveries for the delivery log, newest first,
// with keyset paging on (CreatedAt, ID).
type DeliveryFilter struct {
	AppID         string
	Status        DeliveryStatus
	EventType     string
	AccountID     string
	BeforeCreated *time.Time
	BeforeID      string
	Limit         int
}

// EventFilter selects events of an app for the pull feed and replays.
type EventFilter struct {
	AppID    string
	Live     bool
	AfterSeq int64      // feed cursor
	From, To *time.Time // replay range (inclusive from, exclusive to)
	Types    []string
	Before   *time.Time // only events created before this (see the feed's commit-lag note)
	Limit    int
}

// ReauthToken lets the widget re-authorise one account for 10 minutes.
type ReauthToken struct {
	Hash      string
	AccountID string
	AppID     string
	Live      bool
	ExpiresAt time.Time
	CreatedAt time.Time
}
