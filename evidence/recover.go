package evidence

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// promote moves a committed upload's staged blob to its final key and
// clears the pending marker. On failure the marker stays and the promoter
// (Run) retries; the record is durable either way, since the staged blob
// was committed before the record.
func (s *Service) promote(ctx context.Context, seq uint64, staged, key string) {
	if err := s.cfg.Blobs.Promote(ctx, staged, key); err != nil {
		s.log.Warn("promoting blob failed; will retry", "upload", staged, "key", key, "err", err)
		select {
		case s.kick <- struct{}{}:
		default:
		}
		return
	}
	// Clearing the marker need not be durable before the reply: if it is
	// lost, recovery promotes again, which is idempotent. It rides along
	// with the next group commit.
	s.commits.commitLater(func(tx *bolt.Tx) error {
		return tx.Bucket(bPending).Delete(u64(seq))
	})
}

type pendingBlob struct {
	seq    uint64
	staged string
	key    string
}

func (s *Service) pending() ([]pendingBlob, error) {
	var out []pendingBlob
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bPending).ForEach(func(k, v []byte) error {
			seq := binary.BigEndian.Uint64(k)
			r, err := getRecord(tx, seq)
			if err != nil {
				return err
			}
			out = append(out, pendingBlob{seq, string(v), r.BlobKey()})
			return nil
		})
	})
	return out, err
}

// promotePending retries every pending promotion once.
func (s *Service) promotePending(ctx context.Context) (left int, err error) {
	ps, err := s.pending()
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		if err := s.cfg.Blobs.Promote(ctx, p.staged, p.key); err != nil {
			left++
			s.log.Warn("promoting blob failed; will retry", "upload", p.staged, "key", p.key, "err", err)
			continue
		}
		if err := s.commits.commit(func(tx *bolt.Tx) error {
			return tx.Bucket(bPending).Delete(u64(p.seq))
		}); err != nil {
			return left, err
		}
	}
	return left, nil
}

// Recover makes the store consistent after a crash; call it once at start,
// before serving uploads. It finishes every committed upload whose blob was
// not yet promoted, and discards staged blobs that no pending marker names:
// uploads that were never acknowledged, and promoted ones whose staged name
// came back because its removal was not yet durable (Folder.Promote does not
// fsync the staging directory after the unlink, relying on this).
//
// Inline blobs need nothing here: their bytes are committed in the record's
// own transaction, so a crash leaves either both or neither.
func (s *Service) Recover(ctx context.Context) error {
	if _, err := s.promotePending(ctx); err != nil {
		return fmt.Errorf("evidence: recover pending promotions: %w", err)
	}
	discarded, err := s.DiscardUnfinished(ctx)
	if err != nil {
		return err
	}
	if len(discarded) > 0 {
		s.log.Info("discarded unacknowledged uploads", "count", len(discarded))
	}
	return nil
}

// Unfinished lists the staged blobs that no pending promotion names: the
// bytes of uploads whose record was never committed, such as the files of
// a copyright registration when the node crashed before the transaction
// that files them with their registration, and the staged names of
// promoted blobs that came back after a crash. Nothing refers to them, so
// Recover discards them at start. The list is only meaningful while no
// upload runs (on a stopped node: custos fsck), since an upload in
// progress is staged too.
func (s *Service) Unfinished(ctx context.Context) ([]string, error) {
	staged, err := s.cfg.Blobs.ListStaged(ctx)
	if err != nil {
		return nil, fmt.Errorf("evidence: list staged blobs: %w", err)
	}
	var out []string
	err = s.db.View(func(tx *bolt.Tx) error {
		for _, st := range staged {
			// A record whose promotion is still pending names its staged
			// blob; the promoter finishes it.
			seq, ok := getSeq(tx, st.Name)
			if !ok || tx.Bucket(bPending).Get(u64(seq)) == nil {
				out = append(out, st.Name)
			}
		}
		return nil
	})
	return out, err
}

// DiscardUnfinished discards the staged blobs Unfinished lists and returns
// their names. Call it only while no upload runs.
func (s *Service) DiscardUnfinished(ctx context.Context) ([]string, error) {
	names, err := s.Unfinished(ctx)
	if err != nil {
		return nil, err
	}
	for i, name := range names {
		if err := s.cfg.Blobs.Discard(ctx, name); err != nil {
			return names[:i], fmt.Errorf("evidence: discard staged blob %s: %w", name, err)
		}
	}
	return names, nil
}

// Run retries failed promotions until ctx is done: every interval, and at
// once when an upload's promotion fails.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
			select { // back off a little so a flapping store is not hammered
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
		if _, err := s.promotePending(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("promoter", "err", err)
		}
	}
}
