package wire

import (
	"time"
)

// Webhook is a URL registered by an organization to receive some events.
// Its secret is not part of it: it is shown once, by Create.
type Webhook struct {
	ID        string    `json:"id"`
	Org       string    `json:"org"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"` // the creating (or adopting) actor, "<org id>:<key id>"
	// Paused: deliveries are queued but not made, because the key named
	// by CreatedBy is revoked, expired or gone; a key of the organization
	// with the webhooks permission adopts the webhook to resume them.
	Paused       bool   `json:"paused"`
	PausedReason string `json:"paused_reason,omitempty"` // while paused: "creator key inactive"
}

// Delivery is one event sent to one webhook, with its attempts so far.
type Delivery struct {
	ID            string     `json:"id"`
	Webhook       string     `json:"webhook"`
	Event         string     `json:"event"`
	CreatedAt     time.Time  `json:"created_at"`
	State         string     `json:"state"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"` // while pending, unless its webhook is paused
	Attempts      []Attempt  `json:"attempts"`
}

// Attempt is one POST of a delivery, as the organization sees it: what
// went wrong is one of the Reason values, never the dial error itself,
// which can name internal addresses and the node's resolver (that stays
// in the server log).
type Attempt struct {
	At         time.Time `json:"at"`
	Status     int       `json:"status,omitempty"` // the HTTP status; 0 if there was no answer
	Reason     string    `json:"reason,omitempty"` // why it failed (webhooks.Reasons on the server); "" if it succeeded
	DurationMS int64     `json:"duration_ms"`
}

// WebhookInput registers a webhook.
type WebhookInput struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// NewWebhookView answers a webhook registration or adoption: the secret,
// which signs every delivery, is shown this once.
type NewWebhookView struct {
	Webhook Webhook `json:"webhook"`
	Secret  string  `json:"secret"`
}
