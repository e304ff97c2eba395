package webhooks

import (
	"bytes"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A webhook is paused while the key that registered it (or last adopted
// it) is not active: revoked, expired or gone (Config.CreatorActive).
// Whoever held that key chose the receiver and knows the secret, so the
// organization's events must not reach it any more; nor may they be lost.
//
// So a delivery of a paused webhook is parked: the worker that finds it
// due makes no request, moves it out of the outbox into bParked, records
// ReasonPaused in its log (not counted toward MaxAttempts) and leaves it
// pending without a next attempt. Parked deliveries cost the worker
// nothing: due reads the outbox only. Adopt resumes them, due at once;
// so does Run's hourly check (resumeActive) if the creator is active
// again (a read of the key store that failed).

// park moves delivery id, found due, of webhook h, whose creator was
// found inactive, out of the outbox (see above). It does nothing if the
// delivery has ended, or if the webhook was adopted meanwhile (its
// creator is no longer the one found inactive): the delivery then stays
// due.
func (s *Service) park(id string, h *storedHook) (parked bool, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		var r record
		if err := getJSON(tx.Bucket(bDeliveries), []byte(id), &r); err != nil {
			return err
		}
		if r.State != StatePending || r.NextAttemptAt == nil {
			return nil
		}
		var now storedHook
		if err := getHook(tx, r.Org, r.Webhook, &now); err != nil || now.CreatedBy != h.CreatedBy {
			return err
		}
		if err := tx.Bucket(bDue).Delete(dueKey(r.Org, *r.NextAttemptAt, id)); err != nil {
			return err
		}
		r.NextAttemptAt = nil
		r.Attempts = append(r.Attempts, Attempt{At: s.now(), Reason: ReasonPaused})
		if err := tx.Bucket(bParked).Put(parkKey(r.Webhook, id), []byte(r.Org)); err != nil {
			return err
		}
		// A parked delivery leaves the organization's backlog (MaxPending),
		// so that a webhook left paused cannot fill it and refuse the
		// events of its other webhooks; resume counts it again.
		if err := addPending(tx, r.Org, -1); err != nil {
			return err
		}
		parked = true
		return putRecord(tx, &r)
	})
	return parked, err
}

// resume makes the parked deliveries of webhook hook due at now, in tx.
func resume(tx *bolt.Tx, hook string, now time.Time) error {
	parked, dels := tx.Bucket(bParked), tx.Bucket(bDeliveries)
	prefix := []byte(hook)
	var keys [][]byte
	c := parked.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		var r record
		if err := getJSON(dels, k[idLen:], &r); err == nil && r.State == StatePending && r.NextAttemptAt == nil {
			at := now
			r.NextAttemptAt = &at
			if err := putRecord(tx, &r); err != nil {
				return err
			}
			if err := addPending(tx, r.Org, 1); err != nil {
				return err
			}
		}
		if err := parked.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// resumeActive resumes the parked deliveries of every webhook whose
// creator is active again, and returns how many webhooks it resumed. It
// reads one key per paused webhook, not per delivery.
func (s *Service) resumeActive() (int, error) {
	type paused struct{ org, id, creator string }
	var hooks []paused
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bParked).Cursor()
		k, v := c.First()
		for k != nil {
			if len(k) <= idLen {
				k, v = c.Next() // cannot be: only park writes here
				continue
			}
			var h storedHook
			if getHook(tx, string(v), string(k[:idLen]), &h) == nil {
				hooks = append(hooks, paused{h.Org, h.ID, h.CreatedBy})
			}
			// The next webhook: past every key of this one (IDs are
			// base32, below 0xff).
			k, v = c.Seek(append(bytes.Clone(k[:idLen]), 0xff))
		}
		return nil
	})
	n := 0
	for _, p := range hooks {
		if err != nil || !s.creatorActive(p.creator) {
			continue
		}
		resumed := false
		err = s.db.Update(func(tx *bolt.Tx) error {
			var h storedHook
			if err := getHook(tx, p.org, p.id, &h); err != nil || h.CreatedBy != p.creator {
				return nil // deleted or adopted meanwhile
			}
			resumed = true
			return resume(tx, p.id, s.now())
		})
		if err == nil && resumed {
			n++
		}
	}
	if n > 0 {
		s.wake()
	}
	return n, err
}
