package webhooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Payload is the JSON body of every delivery.
type Payload struct {
	ID        string          `json:"id"`   // the delivery ID (also in Custos-Delivery-Id)
	Type      string          `json:"type"` // the event type (also in Custos-Event)
	CreatedAt time.Time       `json:"created_at"`
	Org       string          `json:"org"` // the organization told
	Data      json.RawMessage `json:"data"`
}

// Delivery states.
const (
	StatePending   = "pending"   // waiting for its first or next attempt
	StateDelivered = "delivered" // an attempt got a 2xx answer
	StateFailed    = "failed"    // Config.MaxAttempts attempts failed
)

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
	Reason     string    `json:"reason,omitempty"` // why it failed (see Reasons); "" if it succeeded
	DurationMS int64     `json:"duration_ms"`
}

// OK reports whether the attempt succeeded (a 2xx answer).
func (a Attempt) OK() bool { return a.Status >= 200 && a.Status < 300 }

// record is a delivery as kept in the outbox.
type record struct {
	Delivery
	Org     string          `json:"org"`
	Payload json.RawMessage `json:"payload,omitempty"` // the exact body posted; none if never posted (ReasonBacklog)
}

// Publish queues event, with data as its payload's data, for each of org's
// webhooks subscribed to it, and wakes Run. The deliveries are committed
// before Publish returns, in one small write shared with concurrent
// callers (bbolt Batch); an organization without such a webhook costs one
// read. Publish implements api.Notifier: it reports failures to the log,
// not to the caller, whose act has already happened.
func (s *Service) Publish(org, event string, data any) {
	n, err := s.publish(org, event, data)
	if err != nil {
		s.log.Error("webhooks: queueing event failed", "org", org, "event", event, "err", err)
		return
	}
	if n > 0 {
		s.wake()
	}
}

func (s *Service) publish(org, event string, data any) (int, error) {
	if !s.Subscribed(event) {
		return 0, nil
	}
	hooks, err := s.subscribed(org, event)
	if err != nil || len(hooks) == 0 {
		return 0, err
	}
	recs, err := s.deliveries(hooks, org, event, data)
	if err != nil {
		return 0, err
	}
	// Batch may run this function twice: it writes the same keys and
	// values each time.
	return len(recs), s.db.Batch(func(tx *bolt.Tx) error { return queue(tx, recs) })
}

// deliveries makes one pending delivery of event, with data, per hook.
func (s *Service) deliveries(hooks []*storedHook, org, event string, data any) ([]*record, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("webhooks: encoding %s data: %w", event, err)
	}
	now := s.now()
	recs := make([]*record, len(hooks))
	for i, h := range hooks {
		if recs[i], err = newRecord(h, org, event, now, raw); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// MaxPending is how many pending deliveries an organization's outbox holds.
// Past it, a delivery is kept in the delivery log as failed at once, with
// the reason ReasonBacklog and without its payload: receivers that do not
// answer cannot make the outbox, and the disk under it, grow without
// bound, nor keep workers busy with attempts for ever.
const MaxPending = 10_000

// queue writes deliveries to the outbox and the delivery log in tx; those
// over MaxPending are written as failed (see MaxPending). recs are not
// changed, so that tx may be run again (bbolt Batch).
func queue(tx *bolt.Tx, recs []*record) error {
	for _, r := range recs {
		q := *r
		if pendingOf(tx, q.Org) >= MaxPending {
			q.State, q.NextAttemptAt, q.Payload = StateFailed, nil, nil
			q.Attempts = []Attempt{{At: q.CreatedAt, Reason: ReasonBacklog}}
		} else if err := addPending(tx, q.Org, 1); err != nil {
			return err
		}
		if err := putRecord(tx, &q); err != nil {
			return err
		}
		if err := tx.Bucket(bLog).Put(logKey(q.Webhook, q.CreatedAt, q.ID), nil); err != nil {
			return err
		}
	}
	return nil
}

// PublishWithin is Publish inside tx, the transaction of the act itself,
// so that the act and its deliveries are durable together: no crash can
// commit one without the other. Run is woken when tx commits. It may run
// more than once, in transactions that are rolled back (a group commit
// redone); each run queues fresh deliveries in its own tx. An error fails
// the act's transaction.
func (s *Service) PublishWithin(tx *bolt.Tx, org, event string, data any) error {
	if !s.Subscribed(event) {
		return nil
	}
	hooks := subscribedIn(tx, org, event)
	if len(hooks) == 0 {
		return nil
	}
	recs, err := s.deliveries(hooks, org, event, data)
	if err != nil {
		return err
	}
	if err := queue(tx, recs); err != nil {
		return err
	}
	tx.OnCommit(s.wake)
	return nil
}

func newRecord(h *storedHook, org, event string, now time.Time, data json.RawMessage) (*record, error) {
	id := newID()
	body, err := json.Marshal(Payload{ID: id, Type: event, CreatedAt: now, Org: org, Data: data})
	if err != nil {
		return nil, err
	}
	return &record{
		Delivery: Delivery{ID: id, Webhook: h.ID, Event: event, CreatedAt: now, State: StatePending, NextAttemptAt: &now, Attempts: []Attempt{}},
		Org:      org, Payload: body,
	}, nil
}

// subscribed returns org's webhooks that subscribe to event.
func (s *Service) subscribed(org, event string) ([]*storedHook, error) {
	var out []*storedHook
	err := s.db.View(func(tx *bolt.Tx) error {
		out = subscribedIn(tx, org, event)
		return nil
	})
	return out, err
}

// subscribedIn returns org's webhooks subscribed to event, as tx sees them.
func subscribedIn(tx *bolt.Tx, org, event string) []*storedHook {
	var out []*storedHook
	for _, h := range hooksOf(tx, org) {
		if slices.Contains(h.Events, event) {
			out = append(out, h)
		}
	}
	return out
}

// putRecord writes r and keeps its outbox entry in step with its state.
func putRecord(tx *bolt.Tx, r *record) error {
	if r.NextAttemptAt != nil {
		if err := tx.Bucket(bDue).Put(dueKey(r.Org, *r.NextAttemptAt, r.ID), nil); err != nil {
			return err
		}
	}
	return putJSON(tx.Bucket(bDeliveries), []byte(r.ID), r)
}

// DefaultDeliveries is how many deliveries Deliveries returns.
const DefaultDeliveries = 100

// Deliveries returns the delivery log of one of org's webhooks, newest
// first, at most limit entries (DefaultDeliveries if limit is not
// positive). ErrNotFound if org has no webhook id.
func (s *Service) Deliveries(org, id string, limit int) ([]Delivery, error) {
	if limit <= 0 {
		limit = DefaultDeliveries
	}
	out := []Delivery{}
	err := s.db.View(func(tx *bolt.Tx) error {
		var h storedHook
		if err := getHook(tx, org, id, &h); err != nil {
			return err
		}
		prefix := []byte(id)
		c := tx.Bucket(bLog).Cursor()
		k, _ := c.Seek(append(bytes.Clone(prefix), bytes.Repeat([]byte{0xff}, 9)...)) // past every key of id
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = c.Prev() {
			var r record
			if err := getJSON(tx.Bucket(bDeliveries), k[idLen+8:], &r); err != nil {
				return fmt.Errorf("webhooks: delivery log entry %x: %w", k, err)
			}
			out = append(out, r.Delivery)
		}
		return nil
	})
	return out, err
}
