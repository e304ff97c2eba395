package webhooks

import (
	"bytes"
	"context"
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultRetention is how long finished deliveries stay in the log.
const DefaultRetention = 30 * 24 * time.Hour

// pruneBatch bounds the deliveries one pruning transaction deletes, so
// that a first prune of a long log does not hold the writer for long.
const pruneBatch = 1000

// Prune deletes the finished deliveries (delivered or failed) created
// before now minus Config.Retention, with their log entries, and returns
// how many it deleted. Pending deliveries stay whatever their age.
func (s *Service) Prune(now time.Time) (int, error) { return s.prune(now, pruneBatch) }

func (s *Service) prune(now time.Time, batch int) (int, error) {
	cutoff := now.Add(-s.cfg.Retention).UnixNano()
	total := 0
	var from []byte // where the next transaction goes on; nil: the start
	for {
		n, more := 0, false
		err := s.db.Update(func(tx *bolt.Tx) error {
			n, more = 0, false
			logs, dels := tx.Bucket(bLog), tx.Bucket(bDeliveries)
			var keys [][]byte
			c := logs.Cursor()
			k, _ := c.First()
			if from != nil {
				k, _ = c.Seek(from)
			}
			for k != nil {
				switch {
				case len(k) <= idLen+8:
				case int64(binary.BigEndian.Uint64(k[idLen:idLen+8])) >= cutoff:
					// The rest of this webhook's log is newer: go on at the
					// next webhook (IDs are base32, below 0xff).
					k, _ = c.Seek(append(bytes.Clone(k[:idLen]), 0xff))
					continue
				case len(keys) == batch:
					more, from = true, bytes.Clone(k)
				default:
					var r record
					if err := getJSON(dels, k[idLen+8:], &r); err != nil || r.State != StatePending {
						keys = append(keys, bytes.Clone(k))
					}
				}
				if more {
					break
				}
				k, _ = c.Next()
			}
			for _, k := range keys {
				if err := dels.Delete(k[idLen+8:]); err != nil {
					return err
				}
				if err := logs.Delete(k); err != nil {
					return err
				}
			}
			n = len(keys)
			return nil
		})
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// pruneEvery is how often Run prunes the delivery log.
const pruneEvery = time.Hour

// runPrune prunes at start and then every pruneEvery until ctx is done.
// Each time it also resumes the paused webhooks whose creator is active
// again (resumeActive).
func (s *Service) runPrune(ctx context.Context) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		if n, err := s.Prune(s.now()); err != nil {
			s.log.Error("webhooks: pruning the delivery log", "err", err)
		} else if n > 0 {
			s.log.Info("webhooks: pruned the delivery log", "deleted", n, "older_than", s.cfg.Retention.String())
		}
		if n, err := s.resumeActive(); err != nil {
			s.log.Error("webhooks: resuming paused webhooks", "err", err)
		} else if n > 0 {
			s.log.Info("webhooks: resumed paused webhooks whose creator key is active again", "webhooks", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
