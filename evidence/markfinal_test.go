package evidence

import (
	"bytes"
	"context"
	"errors"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
)

// MarkFinal anchors records without rewriting them: the stored JSON and its
// checksum stay as created, reads show "anchored" with the height, each
// record is announced once, and a batch reported again changes nothing.
func TestMarkFinalLeavesRecordsWriteOnce(t *testing.T) {
	s := newTestService(t, newMemBlobs())
	var announced []string
	s.cfg.OnAnchored = func(tx *bolt.Tx, r *Record) error {
		if r.Status != StatusAnchored || r.AnchoredHeight != 7 || !tx.Writable() {
			t.Errorf("OnAnchored(%s): status %q, height %d, in a write transaction %v", r.ID, r.Status, r.AnchoredHeight, tx.Writable())
		}
		announced = append(announced, r.ID)
		return nil
	}
	var recs []*Record
	for _, body := range []string{"first", "second", "third"} {
		r, err := ingest(t, s, body)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	stored := func() (vals, sums [][]byte, leaves []uint64) {
		s.db.View(func(tx *bolt.Tx) error {
			for _, r := range recs {
				vals = append(vals, bytes.Clone(tx.Bucket(bRecords).Get(u64(r.Seq))))
				sums = append(sums, bytes.Clone(tx.Bucket(bRecSum).Get(u64(r.Seq))))
				leaves = append(leaves, u64val(tx.Bucket(bEvLeaf).Get(eventKey(r.Seq, 0))))
			}
			return nil
		})
		return vals, sums, leaves
	}
	vals0, sums0, leaves := stored()
	// The first two become final at height 7; the third stays pending.
	batch := []anchor.Batch{{From: leaves[0], Count: int(leaves[1] - leaves[0] + 1), Height: 7, Final: true}}
	for range 2 {
		if err := s.MarkFinal(batch); err != nil {
			t.Fatal(err)
		}
	}
	if len(announced) != 2 || announced[0] != recs[0].ID || announced[1] != recs[1].ID {
		t.Errorf("announced %v, want the first two records once each", announced)
	}
	for i, want := range []string{StatusAnchored, StatusAnchored, StatusTimestamped} {
		r, err := s.Get(context.Background(), recs[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != want || (want == StatusAnchored) != (r.AnchoredHeight == 7) {
			t.Errorf("record %d: status %q height %d, want %q", i, r.Status, r.AnchoredHeight, want)
		}
	}
	vals1, sums1, _ := stored()
	for i := range recs {
		if !bytes.Equal(vals0[i], vals1[i]) || !bytes.Equal(sums0[i], sums1[i]) {
			t.Errorf("record %d was rewritten by MarkFinal", i)
		}
	}
	if rep, err := audit(context.Background(), s, false); err != nil || len(rep.BadRecords) != 0 {
		t.Errorf("Audit after MarkFinal: %v, bad records %v", err, rep.BadRecords)
	}
}

// OnAnchored writes in MarkFinal's transaction: its error rolls the
// anchoring back, to be done again; with nobody listening (WantAnchored) it
// is not called, and records are anchored all the same.
func TestMarkFinalOnAnchoredInTransaction(t *testing.T) {
	s := newTestService(t, newMemBlobs())
	r, err := ingest(t, s, "exhibit")
	if err != nil {
		t.Fatal(err)
	}
	var leaf uint64
	s.db.View(func(tx *bolt.Tx) error { leaf = u64val(tx.Bucket(bEvLeaf).Get(eventKey(r.Seq, 0))); return nil })
	batch := []anchor.Batch{{From: leaf, Count: 1, Height: 9, Final: true}}
	status := func() string {
		got, err := s.Get(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}
	errHook := errors.New("the hook failed")
	s.cfg.OnAnchored = func(*bolt.Tx, *Record) error { return errHook }
	if err := s.MarkFinal(batch); !errors.Is(err, errHook) {
		t.Fatalf("MarkFinal with a failing hook = %v, want its error", err)
	}
	if st := status(); st != StatusTimestamped {
		t.Fatalf("status after a failed MarkFinal = %q, want it rolled back", st)
	}
	calls := 0
	s.cfg.OnAnchored = func(*bolt.Tx, *Record) error { calls++; return nil }
	s.cfg.WantAnchored = func() bool { return false }
	if err := s.MarkFinal(batch); err != nil {
		t.Fatal(err)
	}
	if st := status(); st != StatusAnchored || calls != 0 {
		t.Errorf("status %q, hook called %d times; want anchored without the hook", st, calls)
	}
}
