package certificates

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/evidence/integrity"
	"github.com/custos-project/custos/evidence/records"
	"github.com/custos-project/custos/evidence/sharing"
)

const (
	certFirm   = "firmaaaaaaaaaaaaaaaaaaaaaa"
	certNotary = "notaryaaaaaaaaaaaaaaaaaaaa"
	certOther  = "otheraaaaaaaaaaaaaaaaaaaaa"
)

// world is an evidence service with its certificate records, wired as
// cmd/custos wires them: the service's methods and the register's, side
// by side.
type world struct {
	*Register
	*evidence.Service
	*sharing.Registry // the share tests make and revoke shares
}

// newWorld returns certificate records over a new evidence service with
// cfg (see evidencetest.New).
func newWorld(t testing.TB, cfg evidence.Config) *world {
	t.Helper()
	ev := evidencetest.New(t, cfg)
	recs, err := records.New(ev, records.Config{TSA: evidencetest.TSA{}})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := New(ev, recs)
	if err != nil {
		t.Fatal(err)
	}
	shares, err := sharing.New(ev)
	if err != nil {
		t.Fatal(err)
	}
	return &world{reg, ev, shares}
}

// audit runs the service's integrity audit with the certificates'.
func (w *world) audit(ctx context.Context, opts integrity.Options) (*integrity.Report, error) {
	opts.Documents = append(opts.Documents, w.Register.Audit())
	return integrity.Audit(ctx, w.Service, opts)
}

// uploadAs files data, titled data, as evidence uploaded by owner
// ("<org>:<key>").
func uploadAs(t *testing.T, s *world, owner, data string) *evidence.Record {
	t.Helper()
	ctx := context.Background()
	u, err := s.NewUpload(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Abort()
	if _, err := u.ReadFrom(strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	r, err := u.Finish(ctx, evidence.Meta{Title: data})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// shareWithNotary shares each item with certNotary, as its owner.
func shareWithNotary(t *testing.T, s *world, recs ...*evidence.Record) {
	t.Helper()
	for _, r := range recs {
		if _, _, err := s.ShareTarget(context.Background(), evidence.OwnerOrg(r), r.Owner, evidence.ShareEvidence, r.ID, certNotary, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// put replaces the value under key in bucket with v (nil: deletes it),
// returning the value it had.
func put(t *testing.T, s *world, bucket, key, v []byte) []byte {
	return evidencetest.Put(t, s.Service, bucket, key, v)
}

// flip flips the lowest bit of the byte at(v) of the value v under key in
// bucket, returning the value it had.
func flip(t *testing.T, s *world, bucket, key []byte, at func(v []byte) int) []byte {
	t.Helper()
	v := evidencetest.Get(t, s.Service, bucket, key)
	v[at(v)] ^= 0x01
	return put(t, s, bucket, key, v)
}

// testClock is a clock the test moves.
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

// readCounts checks the item's chain and returns the reads its events
// record, per actor (folded events count their reads).
func readCounts(t *testing.T, s *world, id string) (map[string]int64, []*custody.Event) {
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
