package evidence

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
)

// Folding repeated reads (docs/custody-events.md, "Folded reads").
//
// A read (viewed, downloaded, listed) is recorded under its fold key: the
// item, the read's type, the actor and the subject. The first read of a key
// appends an ordinary event at once, before the read is served, and opens a
// fold window of Config.ReadFoldWindow from its time. Further reads of the
// key inside the window append no event: each adds one to the key's fold
// record in bReadFold, in the same group commit that would have appended
// the event, so the count is durable before the read is served. The fold
// closes, becoming one event, when
//
//   - its window has passed: the sweeper (SweepReadFolds, RunReadFolds)
//     closes it, or the next read of the key does, before appending its
//     own event and opening a new window;
//   - the item gets any event that is not a read (shared, unshared,
//     certified, copyright.*): its folds close first, in the same
//     transaction, so that every read a folded event covers lies between the
//     event that opened the window and any later non-read event.
//
// A closed fold that counted one read becomes a version-1 event of that
// read; one that counted n ≥ 2 becomes a version-2 event with reads n, since
// the first read's time and time the last read's. One that counted none
// leaves no event. No read is lost: each is an event of its own or counted
// in exactly one folded event.

// bReadFold holds the open fold windows: seq(8) ‖ type ‖ 0 ‖ actor ‖ 0 ‖
// subject → fold (32 bytes, see fold.encode).
var bReadFold = []byte("readfold")

// DefaultReadFoldWindow is the default Config.ReadFoldWindow.
const DefaultReadFoldWindow = 10 * time.Minute

// sweepBatch bounds the folds one sweep transaction closes.
const sweepBatch = 1000

// fold is an open fold window of one key.
type fold struct {
	opened int64  // Unix ns: the time of the event that opened the window
	count  uint64 // reads counted since that event, not yet in the chain
	first  int64  // Unix ns of the earliest and latest of them
	last   int64
}

func (f fold) encode() []byte {
	b := make([]byte, 0, 32)
	b = binary.BigEndian.AppendUint64(b, uint64(f.opened))
	b = binary.BigEndian.AppendUint64(b, f.count)
	b = binary.BigEndian.AppendUint64(b, uint64(f.first))
	return binary.BigEndian.AppendUint64(b, uint64(f.last))
}

func decodeFold(v []byte) (fold, error) {
	if len(v) != 32 {
		return fold{}, fmt.Errorf("evidence: read fold of %d bytes, want 32", len(v))
	}
	return fold{opened: int64(u64val(v)), count: u64val(v[8:]), first: int64(u64val(v[16:])), last: int64(u64val(v[24:]))}, nil
}

// add counts one more read, made at t.
func (f *fold) add(t int64) {
	if f.count == 0 || t < f.first {
		f.first = t
	}
	if f.count == 0 || t > f.last {
		f.last = t
	}
	f.count++
}

// foldKey is the bReadFold key of reads of type typ by actor, with
// subject, of the item at seq. Types and actors hold no NUL byte (their
// patterns exclude it), so the key splits back unambiguously.
func foldKey(seq uint64, typ, actor, subject string) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(typ)+len(actor)+len(subject)+2), seq)
	k = append(append(k, typ...), 0)
	k = append(append(k, actor...), 0)
	return append(k, subject...)
}

func splitFoldKey(k []byte) (typ, actor, subject string, err error) {
	var parts [][]byte
	if len(k) > 8 {
		parts = bytes.SplitN(k[8:], []byte{0}, 3)
	}
	if len(parts) != 3 {
		return "", "", "", fmt.Errorf("evidence: malformed read fold key %x", k)
	}
	return string(parts[0]), string(parts[1]), string(parts[2]), nil
}

// foldWindow resolves Config.ReadFoldWindow: 0 means the default, a
// negative window turns folding off.
func foldWindow(w time.Duration) time.Duration {
	if w == 0 {
		return DefaultReadFoldWindow
	}
	return max(w, 0)
}

// appendRead records a read of type typ by actor, with subject, of the item
// id at seq, made at now: an ordinary event that opens a fold window, or
// one more read counted in the key's open window. It returns the event, or
// nil if the read was folded.
func (s *Service) appendRead(tx *bolt.Tx, seq uint64, id, actor, typ, subject string, now time.Time) (*custody.Event, error) {
	e := &custody.Event{V: custody.EventVersion, Evidence: id, Type: typ, Time: custody.FormatTime(now), Actor: actor, Subject: subject}
	if s.foldWindow <= 0 || !custody.IsRead(typ) {
		return e, appendEvent(tx, seq, e)
	}
	b := tx.Bucket(bReadFold)
	k := foldKey(seq, typ, actor, subject)
	t := now.UnixNano()
	if v := b.Get(k); v != nil {
		f, err := decodeFold(v)
		if err != nil {
			return nil, err
		}
		if t < f.opened+int64(s.foldWindow) {
			f.add(t)
			return nil, b.Put(k, f.encode())
		}
		if err := closeFold(tx, seq, id, k, f); err != nil {
			return nil, err
		}
	}
	if err := appendEvent(tx, seq, e); err != nil {
		return nil, err
	}
	return e, b.Put(k, fold{opened: t}.encode())
}

// closeFold appends the event of a fold (none if it counted no read) to the
// item id at seq and deletes the fold.
func closeFold(tx *bolt.Tx, seq uint64, id string, k []byte, f fold) error {
	if f.count > 0 {
		typ, actor, subject, err := splitFoldKey(k)
		if err != nil {
			return err
		}
		e := &custody.Event{V: custody.EventVersion, Evidence: id, Type: typ, Time: custody.FormatTime(time.Unix(0, f.last)), Actor: actor, Subject: subject}
		if f.count > 1 {
			e.V, e.Reads, e.Since = custody.FoldedVersion, int64(f.count), custody.FormatTime(time.Unix(0, f.first))
		}
		if err := appendEvent(tx, seq, e); err != nil {
			return err
		}
	}
	return tx.Bucket(bReadFold).Delete(k)
}

// closeItemFolds closes every open fold of the item at seq, whatever its
// window: the item is about to get an event that is not a read.
func closeItemFolds(tx *bolt.Tx, seq uint64) error {
	type open struct {
		k []byte
		f fold
	}
	var folds []open
	prefix := u64(seq)
	c := tx.Bucket(bReadFold).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		f, err := decodeFold(v)
		if err != nil {
			return err
		}
		folds = append(folds, open{bytes.Clone(k), f})
	}
	if len(folds) == 0 {
		return nil
	}
	r, err := getStoredRecord(tx, seq)
	if err != nil {
		return err
	}
	for _, o := range folds {
		if err := closeFold(tx, seq, r.ID, o.k, o.f); err != nil {
			return err
		}
	}
	return nil
}

// SweepReadFolds closes every fold whose window has passed, each into one
// event appended to its item's chain and queued for anchoring. It returns
// how many events it appended. RunReadFolds calls it; a node calls it once
// at start too (RunReadFolds does), for the folds a stop or crash left.
func (s *Service) SweepReadFolds(ctx context.Context) (int, error) {
	if s.foldWindow <= 0 {
		return 0, nil
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var closed, events int
		err := s.commits.commit(func(tx *bolt.Tx) error {
			var err error
			closed, events, err = s.sweepOnce(tx, s.cfg.Now().UnixNano())
			return err
		})
		if err != nil {
			return total, err
		}
		total += events
		if events > 0 {
			s.leavesQueued()
		}
		if closed < sweepBatch {
			return total, nil
		}
	}
}

// sweepOnce closes up to sweepBatch folds whose window has passed at now.
// It returns how many folds it closed and how many events that appended.
func (s *Service) sweepOnce(tx *bolt.Tx, now int64) (closed, events int, err error) {
	type due struct {
		seq uint64
		k   []byte
		f   fold
	}
	var todo []due
	c := tx.Bucket(bReadFold).Cursor()
	for k, v := c.First(); k != nil && len(todo) < sweepBatch; k, v = c.Next() {
		f, err := decodeFold(v)
		if err != nil {
			return 0, 0, err
		}
		if now >= f.opened+int64(s.foldWindow) {
			todo = append(todo, due{u64val(k), bytes.Clone(k), f})
		}
	}
	for _, d := range todo {
		r, err := getStoredRecord(tx, d.seq)
		if err != nil {
			return 0, 0, err
		}
		if err := closeFold(tx, d.seq, r.ID, d.k, d.f); err != nil {
			return 0, 0, err
		}
		if d.f.count > 0 {
			events++
		}
	}
	return len(todo), events, nil
}

// RunReadFolds sweeps the read folds (SweepReadFolds) at once and then
// every tenth of the fold window (at least a second, at most a minute),
// until ctx is done.
func (s *Service) RunReadFolds(ctx context.Context) {
	if s.foldWindow <= 0 {
		return
	}
	interval := min(max(s.foldWindow/10, time.Second), time.Minute)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.SweepReadFolds(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("read folds", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PendingRead is an open fold: reads already counted (durably) that are not
// yet in the item's custody chain. They will be, as one event, when the
// fold closes.
type PendingRead struct {
	Type    string    `json:"type"`
	Actor   string    `json:"actor"`
	Subject string    `json:"subject,omitempty"`
	Reads   uint64    `json:"reads"`
	Since   time.Time `json:"since"` // the first of them
	Last    time.Time `json:"last"`  // the latest of them
}

// PendingReads lists the item's open folds that have counted reads.
func (s *Service) PendingReads(ctx context.Context, id string) ([]PendingRead, error) {
	_, out, err := s.custodyOf(id, false)
	return out, err
}

// CustodyPending returns the item's custody events in order and its
// pending reads, read in one transaction, so that each read counted is in
// exactly one of them (a fold that closes meanwhile is in neither or both
// otherwise).
func (s *Service) CustodyPending(ctx context.Context, id string) ([]*custody.Event, []PendingRead, error) {
	return s.custodyOf(id, true)
}

func (s *Service) custodyOf(id string, events bool) (evs []*custody.Event, pending []PendingRead, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		seq, ok := getSeq(tx, id)
		if !ok {
			return ErrNotFound
		}
		if events {
			if evs, err = getEvents(tx, seq); err != nil {
				return err
			}
		}
		pending, err = pendingReads(tx, seq)
		return err
	})
	return evs, pending, err
}

// pendingReads lists the open folds of the item at seq that counted reads.
func pendingReads(tx *bolt.Tx, seq uint64) ([]PendingRead, error) {
	out := []PendingRead{}
	prefix := u64(seq)
	c := tx.Bucket(bReadFold).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		f, err := decodeFold(v)
		if err != nil {
			return nil, err
		}
		if f.count == 0 {
			continue
		}
		typ, actor, subject, err := splitFoldKey(k)
		if err != nil {
			return nil, err
		}
		out = append(out, PendingRead{Type: typ, Actor: actor, Subject: subject, Reads: f.count,
			Since: time.Unix(0, f.first).UTC(), Last: time.Unix(0, f.last).UTC()})
	}
	return out, nil
}
