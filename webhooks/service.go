package webhooks

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Event types a webhook may subscribe to.
const (
	EventTimestamped = "evidence.timestamped"
	EventAnchored    = "evidence.anchored"
	EventShared      = "evidence.shared"
	// EventCopyrightTransfer: a step of a copyright transfer offer
	// (offered, accepted, declined, withdrawn, expired), sent to both
	// organizations in the step's own transaction.
	EventCopyrightTransfer = "copyright.transfer"
	// EventCopyrightNumbered: the consortium's register numbered a pending
	// registration, sent to its registrant and owner organizations in the
	// transaction that records the number.
	EventCopyrightNumbered = "copyright.numbered"
	// EventNameConflict: the organization cannot enter the consortium's
	// directory, another member's organization holds its name; sent once
	// per conflict, in the transaction of its org.name_conflict audit
	// event.
	EventNameConflict = "directory.name_conflict"
)

// Events lists the event types, in their canonical order.
var Events = []string{EventTimestamped, EventAnchored, EventShared, EventCopyrightTransfer, EventCopyrightNumbered, EventNameConflict}

// Defaults of Config.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultBackoff     = 30 * time.Second
	DefaultMaxBackoff  = time.Hour
	DefaultMaxAttempts = 8 // with DefaultBackoff: retries over about an hour
	DefaultWorkers     = 5 // at most 4 on one organization's deliveries (Run)
)

// Config configures a Service.
type Config struct {
	// DB holds the webhooks and the outbox; required. It may be shared
	// with other packages: the service uses buckets named "webhooks*".
	DB *bolt.DB
	// Sealer seals the webhooks' secrets in DB: AES-256-GCM under the
	// node's seal key (LoadSealKey, NewSealer); required. New seals the
	// secrets an earlier version kept in clear (SealSecrets).
	Sealer cipher.AEAD
	// Client posts deliveries. The default has an overall Timeout,
	// follows no redirects, uses no proxy and, unless AllowPrivate,
	// connects to public addresses only. A Client given here is used as
	// is (Timeout and AllowPrivate do not apply to it): give it a timeout.
	Client *http.Client
	// Timeout bounds one attempt of the default Client, from connecting
	// to reading the answer (default DefaultTimeout).
	Timeout time.Duration
	// AllowPrivate accepts webhook URLs on loopback, private, link-local
	// and other non-public addresses. Off by default, so that API clients
	// cannot make the node probe its own network.
	AllowPrivate bool
	// Backoff is the delay before the first retry; each later retry
	// waits twice as long as the one before, up to MaxBackoff, with ±25%
	// jitter. Defaults: DefaultBackoff and DefaultMaxBackoff.
	Backoff, MaxBackoff time.Duration
	// MaxAttempts is how many attempts a delivery gets before it is marked
	// failed (default DefaultMaxAttempts).
	MaxAttempts int
	// Workers is how many deliveries are attempted at once (default
	// DefaultWorkers), so that one slow receiver does not hold up others.
	Workers int
	// Retention is how long a finished delivery (delivered or failed)
	// stays in the delivery log; Run prunes older ones every hour
	// (default DefaultRetention).
	Retention time.Duration
	// CreatorActive reports whether the actor that registered a webhook
	// or last adopted it (Webhook.CreatedBy, "<org id>:<key id>") is
	// active at now: in Custos, whether that API key exists in that
	// organization and is neither revoked nor expired. While it is not,
	// the webhook is paused (Webhook.Paused): its events are queued but
	// not posted, until a key of the organization adopts it (Adopt). It
	// is called outside the service's transactions, and may read DB.
	// Nil: every creator is active.
	CreatorActive func(actor string, now time.Time) bool
	Now           func() time.Time
	Log           *slog.Logger
}

// Service keeps webhooks and delivers events to them.
type Service struct {
	cfg    Config
	db     *bolt.DB
	client *http.Client
	log    *slog.Logger
	kick   chan struct{} // wakes Run

	subsMu sync.Mutex
	subs   map[string]int // event → webhooks subscribed to it, all organizations (see Subscribed)
}

// New validates cfg and prepares the service's buckets. Call Run to
// deliver.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.DB == nil:
		return nil, errors.New("webhooks: Config.DB is required")
	case checkSealer(cfg.Sealer) != nil:
		return nil, checkSealer(cfg.Sealer)
	case cfg.Timeout < 0, cfg.Backoff < 0, cfg.MaxBackoff < 0, cfg.MaxAttempts < 0, cfg.Workers < 0, cfg.Retention < 0:
		return nil, errors.New("webhooks: Config.Timeout, Backoff, MaxBackoff, MaxAttempts, Workers and Retention must not be negative")
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.Backoff)
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	client := cfg.Client
	if client == nil {
		client = defaultClient(cfg.AllowPrivate, cfg.Timeout)
	}
	if err := initBuckets(cfg.DB); err != nil {
		return nil, fmt.Errorf("webhooks: init store: %w", err)
	}
	if n, err := SealSecrets(cfg.DB, cfg.Sealer); err != nil {
		return nil, err
	} else if n > 0 {
		cfg.Log.Info("webhooks: sealed the secrets kept in clear by an earlier version", "webhooks", n)
	}
	s := &Service{cfg: cfg, db: cfg.DB, client: client, log: cfg.Log, kick: make(chan struct{}, 1), subs: map[string]int{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bHooks).ForEach(func(k, _ []byte) error {
			var h storedHook
			if getJSON(tx.Bucket(bHooks), k, &h) == nil {
				s.countSubs(h.Events, 1)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("webhooks: reading webhooks: %w", err)
	}
	return s, nil
}

// Subscribed reports whether any organization may have a webhook for
// event, so that a caller can skip building an event nobody receives (the
// evidence service reads a record back for each evidence.anchored). It is
// never false while such a webhook exists: Create counts a webhook before
// storing it, and Delete uncounts it after.
func (s *Service) Subscribed(event string) bool {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	return s.subs[event] > 0
}

func (s *Service) countSubs(events []string, d int) {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	for _, e := range events {
		s.subs[e] += d
	}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// creatorActive reports whether actor, a webhook's CreatedBy, is active
// now (Config.CreatorActive). Never call it inside a transaction on DB:
// it may open its own.
func (s *Service) creatorActive(actor string) bool {
	return s.cfg.CreatorActive == nil || s.cfg.CreatorActive(actor, s.now())
}

// wake tells Run that a delivery may be due.
func (s *Service) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}
