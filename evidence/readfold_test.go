package evidence

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
)

// testClock is a clock that moves only when a test moves it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const (
	foldFirm  = "firmaaaaaaaaaaaaaaaaaaaaaa"
	foldCourt = "courtaaaaaaaaaaaaaaaaaaaaa"
	foldOther = "otheraaaaaaaaaaaaaaaaaaaaa"
)

// openFoldService opens a service on the bbolt file at path with the clock
// and fold window given; the database closes at the test's end unless the
// test closes it first. It skips fsync (the reopening tests close the file
// cleanly), so that thousands of reads take little time.
func openFoldService(t *testing.T, path string, clock *testClock, window time.Duration) (*Service, *bolt.DB) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(context.Background(), Config{DB: db, Blobs: newMemBlobs(), TSA: fakeTSA{}, Now: clock.Now, ReadFoldWindow: window})
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

// readCounts checks the item's chain and returns the reads its events
// record, per actor (folded events count their reads).
func readCounts(t *testing.T, s *Service, id string) (map[string]int64, []*custody.Event) {
	t.Helper()
	evs, err := s.Custody(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if i, err := custody.CheckChain(evs); err != nil {
		t.Fatalf("CheckChain = %d, %v", i, err)
	}
	got := map[string]int64{}
	for _, e := range evs {
		if custody.IsRead(e.Type) {
			got[e.Actor] += e.Count()
		}
	}
	return got, evs
}

// TestReadFoldsLoseNoRead: many reads by three actors, over several fold
// windows, become few events whose counts add up to every read.
func TestReadFoldsLoseNoRead(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	s, _ := openFoldService(t, filepath.Join(t.TempDir(), "t.db"), clock, 10*time.Minute)
	rec := uploadAs(t, s, foldFirm+":k", "exhibit")
	shareItem(t, s, foldFirm+":k", rec, foldCourt)
	actors := []string{foldCourt + ":examiner", foldCourt + ":clerk", foldFirm + ":k"}
	want := map[string]int64{}
	// 1,500 rounds, 2 s apart (50 minutes): the examiner reads the metadata
	// every round, the clerk downloads every third, the owner lists every
	// hundredth.
	for i := range 1500 {
		if _, _, err := s.Access(ctx, rec.ID, actors[0], custody.EventViewed, "metadata"); err != nil {
			t.Fatal(err)
		}
		want[actors[0]]++
		if i%3 == 0 {
			if _, _, err := s.Access(ctx, rec.ID, actors[1], custody.EventDownloaded, ""); err != nil {
				t.Fatal(err)
			}
			want[actors[1]]++
		}
		if i%100 == 0 {
			if _, err := s.List(ctx, foldFirm, actors[2], Query{}); err != nil {
				t.Fatal(err)
			}
			want[actors[2]]++
		}
		clock.Advance(2 * time.Second)
	}
	// Before the sweep, the chain and the pending folds hold every read.
	got, _ := readCounts(t, s, rec.ID)
	pending, err := s.PendingReads(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pending {
		got[p.Actor] += int64(p.Reads)
	}
	for _, a := range actors {
		if got[a] != want[a] {
			t.Errorf("before the sweep, %s: chain + pending = %d reads, want %d", a, got[a], want[a])
		}
	}
	clock.Advance(10 * time.Minute)
	if _, err := s.SweepReadFolds(ctx); err != nil {
		t.Fatal(err)
	}
	got, evs := readCounts(t, s, rec.ID)
	for _, a := range actors {
		if got[a] != want[a] {
			t.Errorf("after the sweep, %s: the events record %d reads, want %d", a, got[a], want[a])
		}
	}
	if pending, err := s.PendingReads(ctx, rec.ID); err != nil || len(pending) != 0 {
		t.Errorf("PendingReads after the sweep = %v, %v; want none", pending, err)
	}
	// At most two events per key and window: 5 windows for each of the
	// examiner and the clerk, and the owner's listings, 20 minutes apart
	// (each opens a window that closes with nothing in it); plus created
	// and shared.
	if max := 2 + 2*5 + 2*5 + 15; len(evs) > max {
		t.Errorf("%d events for %d reads, want at most %d", len(evs), want[actors[0]]+want[actors[1]]+want[actors[2]], max)
	}
	folded := 0
	for _, e := range evs {
		if e.V == custody.FoldedVersion {
			folded++
			if e.Since > e.Time || e.Reads < 2 {
				t.Errorf("folded event %+v", e)
			}
		}
	}
	if folded == 0 {
		t.Error("no folded event")
	}
	// Nothing is left to sweep.
	if n, err := s.SweepReadFolds(ctx); n != 0 || err != nil {
		t.Errorf("SweepReadFolds again = %d, %v; want 0, nil", n, err)
	}
}

// TestReadFoldWindow: the exact events of one key around its window's end.
func TestReadFoldWindow(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	s, _ := openFoldService(t, filepath.Join(t.TempDir(), "t.db"), clock, time.Minute)
	rec := uploadAs(t, s, foldFirm+":k", "exhibit")
	read := func() *custody.Event {
		t.Helper()
		_, ev, err := s.Access(ctx, rec.ID, foldFirm+":k", custody.EventViewed, "metadata")
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	t0 := clock.Now()
	if ev := read(); ev == nil || ev.V != custody.EventVersion || ev.Seq != 1 {
		t.Fatalf("first read: event %+v, want a version-1 event at seq 1", ev)
	}
	clock.Advance(time.Second)
	if ev := read(); ev != nil {
		t.Errorf("second read in the window: event %+v, want it folded", ev)
	}
	clock.Advance(time.Minute - time.Second - 1) // the window's last nanosecond
	if ev := read(); ev != nil {
		t.Errorf("read at the window's last instant: event %+v, want it folded", ev)
	}
	clock.Advance(1) // the window has passed: this read closes the fold and opens a window
	if ev := read(); ev == nil || ev.Seq != 3 || ev.V != custody.EventVersion {
		t.Fatalf("read after the window: event %+v, want a version-1 event at seq 3", ev)
	}
	_, evs := readCounts(t, s, rec.ID)
	if len(evs) != 4 {
		t.Fatalf("%d events, want 4", len(evs))
	}
	want := custody.Event{V: custody.FoldedVersion, Evidence: rec.ID, Seq: 2, Type: custody.EventViewed,
		Time: custody.FormatTime(t0.Add(time.Minute - 1)), Actor: foldFirm + ":k", Prev: evs[2].Prev, Subject: "metadata",
		Reads: 2, Since: custody.FormatTime(t0.Add(time.Second))}
	if !reflect.DeepEqual(*evs[2], want) {
		t.Errorf("folded event = %+v\nwant %+v", *evs[2], want)
	}
	// One read in a window closes as a plain version-1 event at its time.
	clock.Advance(10 * time.Second)
	read()
	clock.Advance(time.Minute)
	if n, err := s.SweepReadFolds(ctx); n != 1 || err != nil {
		t.Fatalf("SweepReadFolds = %d, %v; want 1", n, err)
	}
	_, evs = readCounts(t, s, rec.ID)
	last := evs[len(evs)-1]
	if len(evs) != 5 || last.V != custody.EventVersion || last.Reads != 0 || last.Time != custody.FormatTime(t0.Add(time.Minute+10*time.Second)) {
		t.Errorf("after one folded read: %d events, last %+v", len(evs), last)
	}
	// A window with no further read closes with no event.
	clock.Advance(time.Hour)
	if n, err := s.SweepReadFolds(ctx); n != 0 || err != nil {
		t.Errorf("SweepReadFolds of a window that counted nothing = %d, %v; want 0", n, err)
	}
}

// TestReadFoldKeys: reads differing in actor, type or subject are not
// folded together.
func TestReadFoldKeys(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	s, _ := openFoldService(t, filepath.Join(t.TempDir(), "t.db"), clock, time.Minute)
	rec := uploadAs(t, s, foldFirm+":k", "exhibit")
	reads := []struct{ actor, typ, subject string }{
		{foldFirm + ":a", custody.EventViewed, "metadata"},
		{foldFirm + ":b", custody.EventViewed, "metadata"},
		{foldFirm + ":a", custody.EventViewed, "custody"},
		{foldFirm + ":a", custody.EventDownloaded, ""},
		{foldFirm + ":a", custody.EventViewed, "metadata\x00x"}, // a NUL in a subject stays in the subject
	}
	for range 3 {
		for _, r := range reads {
			if _, _, err := s.Access(ctx, rec.ID, r.actor, r.typ, r.subject); err != nil {
				t.Fatal(err)
			}
		}
	}
	clock.Advance(time.Minute)
	if n, err := s.SweepReadFolds(ctx); n != len(reads) || err != nil {
		t.Fatalf("SweepReadFolds = %d, %v; want %d", n, err, len(reads))
	}
	_, evs := readCounts(t, s, rec.ID)
	if len(evs) != 1+2*len(reads) {
		t.Fatalf("%d events, want %d", len(evs), 1+2*len(reads))
	}
	// The opening events come in the order of the reads; the folded ones
	// in the sweep's order. Each key has one of each.
	type key struct{ actor, typ, subject string }
	opened, folded := map[key]int64{}, map[key]int64{}
	for i, e := range evs[1:] {
		k := key{e.Actor, e.Type, e.Subject}
		if i < len(reads) {
			if k != key(reads[i]) {
				t.Errorf("event %d: %+v, want %+v", i+1, e, reads[i])
			}
			opened[k] += e.Count()
		} else {
			folded[k] += e.Reads
		}
	}
	for _, r := range reads {
		if k := key(r); opened[k] != 1 || folded[k] != 2 {
			t.Errorf("%+v: %d read(s) in its opening event and %d folded, want 1 and 2", r, opened[k], folded[k])
		}
	}
}

// TestReadFoldClosedByOtherEvents: an event that is not a read closes the
// item's folds first, so that the reads before it are recorded before it.
func TestReadFoldClosedByOtherEvents(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	s, _ := openFoldService(t, filepath.Join(t.TempDir(), "t.db"), clock, 10*time.Minute)
	rec := uploadAs(t, s, foldFirm+":k", "exhibit")
	sh := shareItem(t, s, foldFirm+":k", rec, foldCourt)
	examiner := foldCourt + ":examiner"
	for range 5 {
		clock.Advance(time.Second)
		if _, _, err := s.Access(ctx, rec.ID, examiner, custody.EventViewed, "metadata"); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Second)
	unshareItem(t, s, foldFirm+":k", sh)
	got, evs := readCounts(t, s, rec.ID)
	types := make([]string, len(evs))
	for i, e := range evs {
		types[i] = fmt.Sprintf("%s/%d", e.Type, e.Count())
	}
	if want := "created/1 shared/1 viewed/1 viewed/4 unshared/1"; strings.Join(types, " ") != want {
		t.Errorf("events %s, want %s", strings.Join(types, " "), want)
	}
	if got[examiner] != 5 {
		t.Errorf("%d reads recorded, want 5", got[examiner])
	}
	if pending, err := s.PendingReads(ctx, rec.ID); err != nil || len(pending) != 0 {
		t.Errorf("PendingReads after unshared = %v, %v; want none", pending, err)
	}
}

// TestReadFoldSurvivesRestart: the counts of an open window are durable
// once the read is answered: closing and reopening the database mid-window
// loses none, reads after the restart join the same window, and a window
// that passed while the node was down is closed by the first sweep.
func TestReadFoldSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	path := filepath.Join(t.TempDir(), "t.db")
	s, db := openFoldService(t, path, clock, 10*time.Minute)
	rec := uploadAs(t, s, foldFirm+":k", "exhibit")
	actors := []string{foldFirm + ":a", foldFirm + ":b", foldFirm + ":c"}
	want := map[string]int64{}
	read := func(s *Service, n int) {
		for i := range n {
			a := actors[i%len(actors)]
			if _, _, err := s.Access(ctx, rec.ID, a, custody.EventViewed, "metadata"); err != nil {
				t.Fatal(err)
			}
			want[a]++
			clock.Advance(time.Second)
		}
	}
	read(s, 30)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, db = openFoldService(t, path, clock, 10*time.Minute)
	read(s, 31)
	_, evs := readCounts(t, s, rec.ID)
	if len(evs) != 1+len(actors) {
		t.Errorf("%d events after the restart, want %d: reads after it join the open windows", len(evs), 1+len(actors))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour) // down past the window's end
	s, _ = openFoldService(t, path, clock, 10*time.Minute)
	if n, err := s.SweepReadFolds(ctx); n != len(actors) || err != nil {
		t.Fatalf("SweepReadFolds at start = %d, %v; want %d", n, err, len(actors))
	}
	got, _ := readCounts(t, s, rec.ID)
	for _, a := range actors {
		if got[a] != want[a] {
			t.Errorf("%s: %d reads recorded, want %d", a, got[a], want[a])
		}
	}
}

// TestReadFoldOff: a negative window records every read as its own event,
// as before folding existed.
func TestReadFoldOff(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	s, _ := openFoldService(t, filepath.Join(t.TempDir(), "t.db"), clock, -1)
	rec := uploadAs(t, s, foldFirm+":k", "exhibit")
	for range 5 {
		if _, ev, err := s.Access(ctx, rec.ID, foldFirm+":k", custody.EventViewed, "metadata"); err != nil || ev == nil {
			t.Fatalf("Access = %v, %v; want an event", ev, err)
		}
	}
	if _, evs := readCounts(t, s, rec.ID); len(evs) != 6 {
		t.Errorf("%d events, want 6", len(evs))
	}
}

func uploadAs(t testing.TB, s *Service, owner, data string) *Record {
	t.Helper()
	ctx := context.Background()
	u, err := s.NewUpload(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.ReadFrom(strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	r, err := u.Finish(ctx, Meta{Title: data})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// shareItem shares rec, as actor of its owner organization, with grantee
// through the kernel, as evidence/sharing's ShareTarget does: the share
// and a "shared" custody event in one transaction. (The core's tests
// cannot import evidence/sharing, which imports the core.)
func shareItem(t *testing.T, s *Service, actor string, rec *Record, grantee string) *Share {
	t.Helper()
	sh := &Share{ID: NewID(), Kind: ShareEvidence, Target: rec.ID, Owner: OwnerOrg(rec), Grantee: grantee, CreatedBy: actor, CreatedAt: s.Now().UTC()}
	err := s.Update(func(tx *bolt.Tx) error {
		if err := s.PutShare(tx, sh); err != nil {
			return err
		}
		return s.AppendEach(tx, []uint64{rec.Seq}, actor, custody.EventShared, "org:"+grantee)
	})
	if err != nil {
		t.Fatal(err)
	}
	return sh
}

// unshareItem revokes sh, as actor, as evidence/sharing's RevokeShare
// does: the revocation and an "unshared" custody event in one
// transaction.
func unshareItem(t *testing.T, s *Service, actor string, sh *Share) {
	t.Helper()
	err := s.Update(func(tx *bolt.Tx) error {
		seq, ok := ItemSeq(tx, sh.Target)
		if !ok {
			return ErrNotFound
		}
		if err := s.EndShare(tx, sh, actor, s.Now().UTC()); err != nil {
			return err
		}
		return s.AppendEach(tx, []uint64{seq}, actor, custody.EventUnshared, "org:"+sh.Grantee)
	})
	if err != nil {
		t.Fatal(err)
	}
}
