package records

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/ers"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/notary"
)

// countingTSA is the built-in TSA, counting its tokens, that fails while
// down is set.
type countingTSA struct {
	tsa   *notary.TSA
	calls atomic.Int32
	down  atomic.Bool
}

func (c *countingTSA) Stamp(ctx context.Context, h crypto.Hash, d []byte) (*notary.Token, error) {
	if c.down.Load() {
		return nil, errors.New("TSA down")
	}
	c.calls.Add(1)
	return c.tsa.Stamp(ctx, h, d)
}

// ersStore is a store whose service and keeper may be closed and opened
// again (a crash), with a real TSA and its root.
type ersStore struct {
	t     *testing.T
	path  string
	blobs *evidencetest.Blobs
	tsa   *countingTSA
	roots *x509.CertPool
	batch int
	db    *bolt.DB
	ev    *evidence.Service
	k     *Keeper
	// clock, when set, is the service's clock (evidence.Config.Now);
	// renewal the keeper's Config.Renewal.
	clock   time.Time
	renewal RenewalConfig
	// docBytes is the keeper's Config.DocumentBytes.
	docBytes func(ctx context.Context, key string) ([]byte, error)
}

// devTSA is the built-in TSA of a new development PKI, and its root.
func devTSA(t testing.TB) (*notary.TSA, *x509.CertPool) {
	t.Helper()
	pki, err := certs.LoadOrCreateDev(filepath.Join(t.TempDir(), "pki"), "ERS Notary", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := notary.NewTSA(notary.TSAConfig{Cert: pki.TSA.Cert, Chain: pki.TSA.Chain, Signer: pki.TSA.Signer})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(pki.Root.Cert)
	return tsa, roots
}

func newERSStore(t *testing.T, batch int) *ersStore {
	t.Helper()
	tsa, roots := devTSA(t)
	st := &ersStore{t: t, path: filepath.Join(t.TempDir(), "t.db"), blobs: evidencetest.NewBlobs(), tsa: &countingTSA{tsa: tsa}, roots: roots, batch: batch}
	st.open()
	t.Cleanup(func() { st.db.Close() })
	return st
}

// open opens the store (again).
func (st *ersStore) open() {
	st.t.Helper()
	db, err := bolt.Open(st.path, 0o600, nil)
	if err != nil {
		st.t.Fatal(err)
	}
	st.db = db
	now := func() time.Time {
		if st.clock.IsZero() {
			return time.Now()
		}
		return st.clock
	}
	st.ev, err = evidence.New(context.Background(), evidence.Config{DB: db, Blobs: st.blobs, TSA: st.tsa, Now: now})
	if err != nil {
		st.t.Fatal(err)
	}
	st.k, err = New(st.ev, Config{TSA: st.tsa, Batch: st.batch, Renewal: st.renewal, DocumentBytes: st.docBytes})
	if err != nil {
		st.t.Fatal(err)
	}
}

// restart closes the store as a crash would leave it and opens it again.
func (st *ersStore) restart() {
	st.t.Helper()
	st.db.Close()
	st.open()
}

// file files n items and returns them with their bytes.
func (st *ersStore) file(n int) ([]*evidence.Record, []string) {
	st.t.Helper()
	var recs []*evidence.Record
	var bodies []string
	for range n {
		body := fmt.Sprintf("exhibit %d of %s", len(bodies), st.t.Name())
		recs, bodies = append(recs, evidencetest.File(st.t, st.ev, "tester", body)), append(bodies, body)
	}
	return recs, bodies
}

// final makes recs final at height, as the anchor's batcher does.
func (st *ersStore) final(height int64, recs ...*evidence.Record) {
	st.t.Helper()
	var batches []anchor.Batch
	err := st.ev.View(func(tx *bolt.Tx) error {
		for _, r := range recs {
			leaf, err := evidence.EventLeaf(tx, r.Seq, 0)
			if err != nil {
				return err
			}
			batches = append(batches, anchor.Batch{From: leaf, Count: 1, Height: height, Final: true})
		}
		return nil
	})
	if err != nil {
		st.t.Fatal(err)
	}
	if err := st.ev.MarkFinal(batches); err != nil {
		st.t.Fatal(err)
	}
}

// build runs one pass and checks how many items got a record and how many
// tokens it cost.
func (st *ersStore) build(items, tokens int) {
	st.t.Helper()
	before := st.tsa.calls.Load()
	n, err := st.k.Build(context.Background())
	if err != nil {
		st.t.Fatal(err)
	}
	if got := int(st.tsa.calls.Load() - before); n != items || got != tokens {
		st.t.Errorf("Build = %d items with %d token(s), want %d with %d", n, got, items, tokens)
	}
}

// check verifies rec's served record against body, and that it does not
// verify against other bytes; it returns the record's token.
func (st *ersStore) check(rec *evidence.Record, body string) []byte {
	st.t.Helper()
	der, err := st.k.EvidenceRecord(context.Background(), rec.ID)
	if err != nil {
		st.t.Fatalf("EvidenceRecord(%s) = %v", rec.ID, err)
	}
	r, err := ers.Decode(der)
	if err != nil {
		st.t.Fatalf("ers.Decode(record of %s) = %v", rec.ID, err)
	}
	sum := sha256.Sum256([]byte(body))
	if _, err := ers.Verify(r, ers.Hashes{crypto.SHA256: sum[:]}, ers.VerifyOptions{Roots: st.roots}); err != nil {
		st.t.Errorf("ers.Verify(record of %s, its bytes) = %v", rec.ID, err)
	}
	other := sha256.Sum256([]byte(body + "!"))
	if _, err := ers.Verify(r, ers.Hashes{crypto.SHA256: other[:]}, ers.VerifyOptions{Roots: st.roots}); !errors.Is(err, ers.ErrMismatch) {
		st.t.Errorf("ers.Verify(record of %s, other bytes) = %v, want ErrMismatch", rec.ID, err)
	}
	return r.Chains[0][0].TimeStamp
}

func (st *ersStore) checkAll(recs []*evidence.Record, bodies []string) {
	st.t.Helper()
	for i := range recs {
		st.check(recs[i], bodies[i])
	}
}

func (st *ersStore) pending(recs ...*evidence.Record) {
	st.t.Helper()
	for _, r := range recs {
		if _, err := st.k.EvidenceRecord(context.Background(), r.ID); !errors.Is(err, evidence.ErrRecordPending) {
			st.t.Errorf("EvidenceRecord(%s) = %v, want evidence.ErrRecordPending", r.ID, err)
		}
	}
}

// Final items get records in batches of at most Config.Batch, one
// token per batch, in filing order; items not final have none, and a
// pass with nothing to do asks the TSA nothing.
func TestEvidenceRecordsInBatches(t *testing.T) {
	st := newERSStore(t, 3)
	recs, bodies := st.file(7)
	st.final(5, recs[:5]...)
	st.build(5, 2)
	st.pending(recs[5:]...)
	tokens := make([][]byte, 5)
	for i := range 5 {
		tokens[i] = st.check(recs[i], bodies[i])
	}
	if string(tokens[0]) != string(tokens[2]) || string(tokens[2]) == string(tokens[3]) || string(tokens[3]) != string(tokens[4]) {
		t.Errorf("the batches are not items 0-2 and 3-4 with a token each")
	}
	st.build(0, 0)
	st.final(6, recs[5:]...)
	st.build(2, 1)
	for i := 5; i < 7; i++ {
		st.check(recs[i], bodies[i])
	}
	if _, err := st.k.EvidenceRecord(context.Background(), "unknown"); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("EvidenceRecord(unknown) = %v, want evidence.ErrNotFound", err)
	}
	st.db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bERSBatch).Stats().KeyN; n != 3 {
			t.Errorf("%d batch tokens stored, want 3", n)
		}
		return nil
	})
}

// A batch of one item has no hash tree: its token is over the item's hash.
func TestEvidenceRecordOfOne(t *testing.T) {
	st := newERSStore(t, 0)
	recs, bodies := st.file(1)
	st.final(2, recs...)
	st.build(1, 1)
	st.check(recs[0], bodies[0])
}

// A crash between finality and the build leaves the items to the next
// pass; a crash after it leaves the records as they were, and no item is
// given a second one. A TSA outage fails the pass without writing
// anything, and the next pass builds what it could not.
func TestEvidenceRecordsResume(t *testing.T) {
	st := newERSStore(t, 0)
	recs, bodies := st.file(4)
	st.final(3, recs[:2]...)
	st.restart() // final, no records yet
	st.pending(recs...)
	st.build(2, 1)
	before, err := st.k.EvidenceRecord(context.Background(), recs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	st.restart()
	st.build(0, 0)
	after, err := st.k.EvidenceRecord(context.Background(), recs[0].ID)
	if err != nil || string(after) != string(before) {
		t.Errorf("the record changed after a restart (%v)", err)
	}
	st.final(4, recs[2:]...)
	st.tsa.down.Store(true)
	if n, err := st.k.Build(context.Background()); err == nil || n != 0 {
		t.Errorf("Build with the TSA down = %d, %v; want 0 and an error", n, err)
	}
	st.pending(recs[2:]...)
	st.tsa.down.Store(false)
	st.build(2, 1)
	st.checkAll(recs, bodies)
}

// A store made before evidence records existed (no buckets for them)
// gets records for every item it made final, in the same way.
func TestEvidenceRecordsOlderStore(t *testing.T) {
	st := newERSStore(t, 2)
	recs, bodies := st.file(5)
	st.final(3, recs...)
	st.db.Close()
	db, err := bolt.Open(st.path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range ersBuckets {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	st.open()
	st.build(5, 3)
	st.checkAll(recs, bodies)
}

// RunBuilds wakes when items become final, without waiting for
// its interval.
func TestRunBuildsWakesOnFinality(t *testing.T) {
	st := newERSStore(t, 0)
	recs, bodies := st.file(2)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { st.k.RunBuilds(ctx, time.Hour); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	st.final(2, recs...)
	for deadline := time.Now().Add(30 * time.Second); ; {
		_, err := st.k.EvidenceRecord(context.Background(), recs[1].ID)
		if err == nil {
			break
		}
		if !errors.Is(err, evidence.ErrRecordPending) || time.Now().After(deadline) {
			t.Fatalf("EvidenceRecord after finality = %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	st.check(recs[0], bodies[0])
}

// A record whose JSON does not decode gets no evidence record, and does
// not hold back the items filed after it; it is remembered (ersskip,
// reported by RenewalStatus) across restarts, and once its record is
// repaired the next pass gives it its record.
func TestEvidenceRecordsPassOverDamagedRecord(t *testing.T) {
	st := newERSStore(t, 0)
	recs, bodies := st.file(3)
	st.final(2, recs...)
	var good []byte
	err := st.ev.View(func(tx *bolt.Tx) error {
		good = append([]byte(nil), evidence.StoredRecord(tx, recs[1].Seq)...)
		return nil
	})
	if err != nil || len(good) == 0 {
		t.Fatalf("stored record of %s = %q, %v", recs[1].ID, good, err)
	}
	evidencetest.Put(t, st.ev, evidencetest.RecordsBucket, u64(recs[1].Seq), []byte(`{"id":`))
	st.restart() // the facts of the records just filed are remembered (evidence/facts.go): read the stored JSON
	st.build(2, 1)
	st.check(recs[0], bodies[0])
	st.check(recs[2], bodies[2])
	st.pending(recs[1])
	st.skipped(recs[1].ID)

	// Still damaged: every pass retries it, and it stays skipped, across
	// a restart, at no token.
	st.restart()
	st.build(0, 0)
	st.pending(recs[1])
	st.skipped(recs[1].ID)

	// Repaired (its bytes restored from a backup): the next pass gives it
	// its record, with the items filed since, in one batch.
	more, moreBodies := st.file(1)
	st.final(3, more...)
	evidencetest.Put(t, st.ev, evidencetest.RecordsBucket, u64(recs[1].Seq), good)
	st.restart()
	st.build(2, 1)
	st.check(recs[1], bodies[1])
	st.check(more[0], moreBodies[0])
	st.skipped()
	st.build(0, 0)
}

// A store whose passes ran before ersskip existed kept the items they
// passed over nowhere: at its first start with ersskip, the final items
// below the cursor without a record are added to it, and get their
// records once repaired.
func TestEvidenceRecordsSkippedBeforeVersion(t *testing.T) {
	st := newERSStore(t, 0)
	recs, bodies := st.file(3)
	st.final(2, recs...)
	var good []byte
	err := st.ev.View(func(tx *bolt.Tx) error {
		good = append([]byte(nil), evidence.StoredRecord(tx, recs[0].Seq)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	evidencetest.Put(t, st.ev, evidencetest.RecordsBucket, u64(recs[0].Seq), []byte(`[`))
	st.restart()
	st.build(2, 1)
	st.db.Close() // as the version before ersskip left it: the cursor past recs[0], kept nowhere
	db, err := bolt.Open(st.path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bERSSkip) })
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	st.open()
	st.skipped(recs[0].ID)
	st.build(0, 0)
	evidencetest.Put(t, st.ev, evidencetest.RecordsBucket, u64(recs[0].Seq), good)
	st.build(1, 1)
	st.checkAll(recs, bodies)
	st.skipped()
	st.restart() // the bucket exists now: nothing is added again
	st.skipped()
	st.build(0, 0)
}

// skipped checks that RenewalStatus reports exactly the items ids as
// skipped, in order.
func (st *ersStore) skipped(ids ...string) {
	st.t.Helper()
	status, err := st.k.RenewalStatus()
	if err != nil {
		st.t.Fatal(err)
	}
	got := status.Skipped
	switch {
	case len(ids) == 0 && got != nil:
		st.t.Errorf("RenewalStatus().Skipped = %+v, want none", got)
	case len(ids) > 0 && (got == nil || got.Items != len(ids) || fmt.Sprint(got.Names) != fmt.Sprint(ids) || got.Since.IsZero()):
		st.t.Errorf("RenewalStatus().Skipped = %+v, want %d items %v", got, len(ids), ids)
	}
}
