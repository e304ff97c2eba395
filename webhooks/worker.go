package webhooks

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Run delivers the outbox until ctx is done: first whatever was pending
// when the node stopped, then each delivery as Publish queues it or its
// retry falls due, up to Config.Workers at a time and up to Workers-1 (at
// least 1) of one organization's, so that an organization whose receivers
// stall cannot hold up the others' deliveries (see due). It also prunes
// the delivery log (Prune) at start and every hour. It returns once the
// attempts under way have ended; an attempt cut short by ctx is made again
// at the next Run.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { s.runPrune(ctx) })
	inflight := map[string]string{}          // delivery id → its organization
	done := make(chan string, s.cfg.Workers) // never blocks: at most Workers in flight
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		due, next, err := s.due(inflight, s.cfg.Workers-len(inflight))
		if err != nil {
			s.log.Error("webhooks: reading the outbox", "err", err)
			next = s.now().Add(time.Second)
		}
		for _, d := range due {
			inflight[d.id] = d.org
			wg.Go(func() {
				s.attempt(ctx, d.id)
				done <- d.id
			})
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = max(next.Sub(s.now()), 0)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case id := <-done:
			delete(inflight, id)
		case <-s.kick:
		case <-timer.C:
		}
	}
}

// dueDelivery is a delivery whose time has come, as due finds it.
type dueDelivery struct {
	org, id string
	at      int64 // due time, unix ns
}

// perOrg is how many deliveries of one organization may be in flight at
// once: all workers but one, so that one is always left for the others.
func (s *Service) perOrg() int { return max(1, s.cfg.Workers-1) }

// due returns up to room deliveries whose time has come and that are not
// in flight, and the time the next one falls due (zero if none is known).
// It takes at most perOrg of an organization's deliveries in flight, and
// shares room among organizations: each time, the organization with the
// fewest in flight (then the earliest due) goes first. The outbox is kept
// by organization, so this reads at most perOrg entries of each (plus
// those in flight), however long one organization's backlog.
func (s *Service) due(inflight map[string]string, room int) (out []dueDelivery, next time.Time, err error) {
	if room <= 0 {
		return nil, time.Time{}, nil
	}
	now := s.now().UnixNano()
	busy := map[string]int{}
	for _, org := range inflight {
		busy[org]++
	}
	var heads [][]dueDelivery // each organization's due deliveries, in due order
	nextAt := int64(0)
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bDue).Cursor()
		k, _ := c.First()
		for k != nil {
			slash := bytes.IndexByte(k, '/')
			if slash < 0 {
				k, _ = c.Next() // cannot be: only dueKey writes here
				continue
			}
			prefix := bytes.Clone(k[:slash+1])
			org := string(k[:slash])
			var mine []dueDelivery
			for want := s.perOrg() - busy[org]; k != nil && bytes.HasPrefix(k, prefix) && len(mine) < want; k, _ = c.Next() {
				if len(k) != slash+1+8+idLen {
					continue
				}
				at := int64(binary.BigEndian.Uint64(k[slash+1:]))
				if at > now {
					if nextAt == 0 || at < nextAt {
						nextAt = at
					}
					break
				}
				if id := string(k[slash+9:]); inflight[id] == "" {
					mine = append(mine, dueDelivery{org: org, id: id, at: at})
				}
			}
			if len(mine) > 0 {
				heads = append(heads, mine)
			}
			// The next organization: past every key of this one ("/" + 1 is "0").
			k, _ = c.Seek(append(prefix[:slash:slash], '/'+1))
		}
		return nil
	})
	for len(out) < room && len(heads) > 0 {
		best := 0
		for i, h := range heads {
			b, o := heads[best][0], h[0]
			if busy[o.org] < busy[b.org] || busy[o.org] == busy[b.org] && o.at < b.at {
				best = i
			}
		}
		d := heads[best][0]
		out = append(out, d)
		busy[d.org]++
		if heads[best] = heads[best][1:]; len(heads[best]) == 0 {
			heads = append(heads[:best], heads[best+1:]...)
		}
	}
	if nextAt != 0 {
		next = time.Unix(0, nextAt)
	}
	return out, next, err
}

// attempt makes one attempt of a delivery and records it.
func (s *Service) attempt(ctx context.Context, id string) {
	r, h, err := s.load(id)
	if errors.Is(err, ErrNotFound) {
		return // done, or its webhook was deleted, meanwhile
	}
	if err != nil {
		s.log.Error("webhooks: loading a delivery", "delivery", id, "err", err)
		return
	}
	if !s.creatorActive(h.CreatedBy) {
		// Paused (A6): no request; parked until the webhook is adopted.
		parked, err := s.park(id, h)
		if errors.Is(err, ErrNotFound) {
			return // its webhook was deleted meanwhile
		}
		if err != nil {
			s.log.Error("webhooks: parking a delivery of a paused webhook", "delivery", id, "err", err)
		} else if parked {
			s.log.Info("webhook delivery paused: the key that registered the webhook is not active; a key of the organization adopts it to resume",
				"delivery", id, "webhook", h.ID, "org", h.Org, "created_by", h.CreatedBy)
		}
		return
	}
	var a Attempt
	var detail error
	if secret, err := openSecret(s.cfg.Sealer, h); err != nil && !s.sealerAnswers() {
		// The seal key (a PKCS#11 token) does not answer: retried later.
		a, detail = Attempt{At: s.now(), Reason: ReasonSealKey}, err
		s.log.Error("webhooks: the seal key does not answer (its PKCS#11 token?); the delivery is retried",
			"delivery", id, "webhook", h.ID, "org", h.Org, "err", err)
	} else if err != nil {
		// Not worth a retry: fail this delivery, and only this one.
		a, detail = Attempt{At: s.now(), Reason: ReasonSecret}, err
		s.log.Error("webhooks: the webhook's sealed secret does not open (tampered with?); the delivery fails",
			"delivery", id, "webhook", h.ID, "org", h.Org)
	} else {
		a, detail = s.post(ctx, h, secret, r)
		if ctx.Err() != nil && a.Status == 0 {
			return // shutting down: try again at the next Run
		}
	}
	state, err := s.record(id, a)
	if err != nil {
		s.log.Error("webhooks: recording an attempt", "delivery", id, "err", err)
		return
	}
	s.log.Info("webhook attempt", "delivery", id, "webhook", h.ID, "event", r.Event,
		"attempt", r.tries()+1, "status", a.Status, "reason", a.Reason, "err", detail,
		"duration_ms", a.DurationMS, "state", state)
}

// load returns a delivery and its webhook. A delivery whose webhook is gone
// is dropped, and reported as ErrNotFound.
func (s *Service) load(id string) (*record, *storedHook, error) {
	var r record
	var h storedHook
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := getJSON(tx.Bucket(bDeliveries), []byte(id), &r); err != nil {
			return err
		}
		return getHook(tx, r.Org, r.Webhook, &h)
	})
	if errors.Is(err, ErrNotFound) && r.ID != "" {
		// The webhook was deleted after Publish read it.
		err = errors.Join(ErrNotFound, s.db.Update(func(tx *bolt.Tx) error { return dropLog(tx, r.Webhook) }))
	}
	if err != nil {
		return nil, nil, err
	}
	if r.State != StatePending {
		return nil, nil, ErrNotFound
	}
	return &r, &h, nil
}

// maxResponse is how much of an answer's body is read (and discarded), so
// that the connection can be reused.
const maxResponse = 64 << 10

// post makes one POST of r's payload to h, signed with secret. It returns
// the attempt as recorded, and the error behind a failure, for the server
// log only.
func (s *Service) post(ctx context.Context, h *storedHook, secret string, r *record) (a Attempt, detail error) {
	start := s.cfg.Now()
	a.At = start.UTC()
	defer func() { a.DurationMS = s.cfg.Now().Sub(start).Milliseconds() }()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(r.Payload))
	if err != nil {
		a.Reason = reason(err)
		return a, withoutURL(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Custos-Webhooks/1")
	req.Header.Set(HeaderWebhookID, h.ID)
	req.Header.Set(HeaderDeliveryID, r.ID)
	req.Header.Set(HeaderEvent, r.Event)
	req.Header.Set(HeaderSignature, Sign(secret, start, r.Payload))
	resp, err := s.client.Do(req)
	if err != nil {
		a.Reason = reason(err)
		return a, withoutURL(err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	resp.Body.Close()
	a.Status = resp.StatusCode
	if !a.OK() {
		a.Reason = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return a, nil
}

// withoutURL is err, for the server log, with the URL a *url.Error names
// cut to its scheme and host: a webhook URL's path or query often holds
// the receiver's own secret (a chat robot's access_token=, a secret path),
// which the log must not spread. The webhook's ID, logged beside it, finds
// the whole URL.
func withoutURL(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	short := *ue
	short.URL = "(the webhook's URL)"
	if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
		short.URL = u.Scheme + "://" + u.Host
	}
	return &short
}

// record appends a to the delivery's attempts and moves it on: delivered,
// failed after MaxAttempts (or at once for ReasonSecret), or due again
// after a backoff. It returns the new state.
func (s *Service) record(id string, a Attempt) (string, error) {
	var state string
	err := s.db.Update(func(tx *bolt.Tx) error {
		var r record
		if err := getJSON(tx.Bucket(bDeliveries), []byte(id), &r); err != nil {
			return err
		}
		if r.State != StatePending || r.NextAttemptAt == nil {
			return nil // recorded already
		}
		if err := tx.Bucket(bDue).Delete(dueKey(r.Org, *r.NextAttemptAt, id)); err != nil {
			return err
		}
		r.Attempts = append(r.Attempts, a)
		r.NextAttemptAt = nil
		switch {
		case a.OK():
			r.State = StateDelivered
		case r.tries() >= s.cfg.MaxAttempts, a.Reason == ReasonSecret:
			r.State = StateFailed
		default:
			next := s.now().Add(s.backoff(r.tries()))
			r.NextAttemptAt = &next
		}
		if r.State != StatePending {
			if err := addPending(tx, r.Org, -1); err != nil {
				return err
			}
		}
		state = r.State
		return putRecord(tx, &r)
	})
	if errors.Is(err, ErrNotFound) {
		return "dropped", nil // its webhook was deleted during the attempt
	}
	return state, err
}

// tries is how many of r's attempts count toward Config.MaxAttempts:
// all but the entries that say it was paused (ReasonPaused).
func (r *record) tries() int {
	n := 0
	for _, a := range r.Attempts {
		if a.Reason != ReasonPaused {
			n++
		}
	}
	return n
}

// backoff is the delay after the n-th failed attempt (n ≥ 1): Backoff
// doubled n-1 times, at most MaxBackoff, then ±25% jitter so that many
// deliveries failing together do not retry together.
func (s *Service) backoff(n int) time.Duration {
	d := s.cfg.Backoff
	for i := 1; i < n && d < s.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.cfg.MaxBackoff)
	return time.Duration(float64(d) * (0.75 + rand.Float64()/2))
}
