package evidence

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/custody"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/storage"
)

// memBlobs is an in-memory blob store with failure injection.
type memBlobs struct {
	mu          sync.Mutex
	staged      map[string]*memStaged
	blobs       map[string][]byte
	failStage   error
	failPromote error
}

type memStaged struct {
	m         *memBlobs
	name      string
	buf       bytes.Buffer
	committed bool
}

func newMemBlobs() *memBlobs {
	return &memBlobs{staged: map[string]*memStaged{}, blobs: map[string][]byte{}}
}

func (m *memBlobs) Stage(_ context.Context, name string) (storage.Staged, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failStage != nil {
		return nil, m.failStage
	}
	s := &memStaged{m: m, name: name}
	m.staged[name] = s
	return s, nil
}

func (s *memStaged) Write(p []byte) (int, error) { return s.buf.Write(p) }
func (s *memStaged) Commit() error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	s.committed = true
	return nil
}
func (s *memStaged) Abort() error { return s.m.Discard(context.Background(), s.name) }

func (m *memBlobs) Promote(_ context.Context, name, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failPromote != nil {
		return m.failPromote
	}
	s, ok := m.staged[name]
	if !ok {
		if _, done := m.blobs[key]; done {
			return nil
		}
		return storage.ErrNotFound
	}
	if !s.committed {
		return fmt.Errorf("promote of uncommitted %s", name)
	}
	if _, ok := m.blobs[key]; !ok {
		m.blobs[key] = bytes.Clone(s.buf.Bytes())
	}
	delete(m.staged, name)
	return nil
}

func (m *memBlobs) Discard(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.staged, name)
	return nil
}

func (m *memBlobs) ListStaged(context.Context) ([]storage.StagedInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []storage.StagedInfo
	for n := range m.staged {
		out = append(out, storage.StagedInfo{Name: n})
	}
	return out, nil
}

type memBlob struct{ *bytes.Reader }

func (memBlob) Close() error { return nil }

func (m *memBlobs) Open(_ context.Context, key string) (storage.Blob, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[key]
	if !ok {
		return nil, storage.ErrNotFound
	}
	return memBlob{bytes.NewReader(b)}, nil
}

func (m *memBlobs) Keys(_ context.Context, fn func(string, int64) error) error {
	m.mu.Lock()
	keys := map[string]int64{}
	for k, b := range m.blobs {
		keys[k] = int64(len(b))
	}
	m.mu.Unlock()
	for k, n := range keys {
		if err := fn(k, n); err != nil {
			return err
		}
	}
	return nil
}

// fakeTSA returns a recognizable reply per digest.
type fakeTSA struct{ err error }

func (f fakeTSA) Stamp(_ context.Context, _ crypto.Hash, d []byte) (*notary.Token, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &notary.Token{TSA: "fake", Time: time.Unix(1700000000, 0), Serial: "1", Reply: append([]byte("reply:"), d...)}, nil
}

func newTestService(t testing.TB, blobs *memBlobs, ext ...Stamper) *Service {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(context.Background(), Config{DB: db, Blobs: blobs, TSA: fakeTSA{}, External: ext})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ingest(t testing.TB, s *Service, data string) (*Record, error) {
	t.Helper()
	u, err := s.NewUpload(context.Background(), "tester")
	if err != nil {
		return nil, err
	}
	defer u.Abort()
	if _, err := u.ReadFrom(strings.NewReader(data)); err != nil {
		return nil, err
	}
	return u.Finish(context.Background(), Meta{Title: "t"})
}

// waitPromoted waits for the lazy clearing of pending markers.
func waitPromoted(t *testing.T, s *Service) {
	t.Helper()
	// A generous bound: the promoter backs off after failures, and a busy
	// machine (the race detector, other tests) slows it further.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		ps, err := s.pending()
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("pending markers never cleared")
}

func TestIngestCommitsRecordEventsAndLeaves(t *testing.T) {
	blobs := newMemBlobs()
	s := newTestService(t, blobs)
	rec, err := ingest(t, s, "exhibit")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != StatusTimestamped || rec.Size != 7 || len(rec.Tokens) != 1 || rec.MediaType != "text/plain; charset=utf-8" {
		t.Errorf("record = %+v", rec)
	}
	evs, err := s.Custody(context.Background(), rec.ID)
	if err != nil || len(evs) != 1 || evs[0].Type != custody.EventCreated || evs[0].SHA256 != rec.SHA256 {
		t.Fatalf("Custody = %v, %v", evs, err)
	}
	tok, err := s.Token(context.Background(), rec, 0)
	if err != nil || !bytes.HasPrefix(tok, []byte("reply:")) {
		t.Errorf("Token(0) = %q, %v", tok, err)
	}
	waitPromoted(t, s)
	b, err := s.Open(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(b)
	if string(got) != "exhibit" {
		t.Errorf("Open = %q", got)
	}
	if len(blobs.staged) != 0 {
		t.Errorf("%d staged blobs left after promotion", len(blobs.staged))
	}
}

func TestIngestFailuresLeaveNothing(t *testing.T) {
	down := fmt.Errorf("s3 down: %w", storage.ErrUnavailable)
	tests := []struct {
		name    string
		blobs   func() *memBlobs
		ext     []Stamper
		data    string
		wantErr error
	}{
		{"empty", newMemBlobs, nil, "", ErrEmpty},
		{"store down", func() *memBlobs { m := newMemBlobs(); m.failStage = down; return m }, nil, "x", ErrUnavailable},
		{"external TSA down", newMemBlobs, []Stamper{fakeTSA{err: notary.ErrUnavailable}}, "x", ErrUnavailable},
		{"external TSA untrusted", newMemBlobs, []Stamper{fakeTSA{err: notary.ErrUntrusted}}, "x", ErrTSAFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blobs := tt.blobs()
			s := newTestService(t, blobs, tt.ext...)
			if _, err := ingest(t, s, tt.data); !errors.Is(err, tt.wantErr) {
				t.Fatalf("ingest = %v, want %v", err, tt.wantErr)
			}
			if len(blobs.staged)+len(blobs.blobs) != 0 {
				t.Errorf("failed ingest left %d staged and %d blobs", len(blobs.staged), len(blobs.blobs))
			}
			rep, err := audit(context.Background(), s, false)
			if err != nil || rep.Records != 0 {
				t.Errorf("failed ingest left records: %+v, %v", rep, err)
			}
		})
	}
}

// A promotion that fails after the commit keeps the record (the bytes are
// durable in staging); reads say "not yet stored"; the promoter finishes it.
func TestPromotionRetried(t *testing.T) {
	blobs := newMemBlobs()
	blobs.failPromote = fmt.Errorf("flaky: %w", storage.ErrUnavailable)
	s := newTestService(t, blobs)
	rec, err := ingest(t, s, "durable before promotion")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(context.Background(), rec); !errors.Is(err, ErrNotStored) {
		t.Fatalf("Open before promotion = %v, want ErrNotStored", err)
	}
	if left, err := s.promotePending(context.Background()); left != 1 || err != nil {
		t.Fatalf("promotePending while failing = %d, %v; want 1 left", left, err)
	}
	blobs.mu.Lock()
	blobs.failPromote = nil
	blobs.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx, 10*time.Millisecond)
	waitPromoted(t, s)
	if _, err := s.Open(context.Background(), rec); err != nil {
		t.Errorf("Open after the promoter ran = %v", err)
	}
}

// Recover rolls forward committed uploads and rolls back the rest.
func TestRecover(t *testing.T) {
	blobs := newMemBlobs()
	blobs.failPromote = errors.New("crash before promotion")
	s := newTestService(t, blobs)
	rec, err := ingest(t, s, "committed, not promoted")
	if err != nil {
		t.Fatal(err)
	}
	// An upload that crashed before its commit: staged, no record.
	st, _ := blobs.Stage(context.Background(), NewID())
	st.Write([]byte("never acknowledged"))
	st.Commit()
	blobs.failPromote = nil

	if err := s.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(blobs.staged) != 0 {
		t.Errorf("Recover left %d staged blobs", len(blobs.staged))
	}
	if len(blobs.blobs) != 1 {
		t.Errorf("Recover left %d blobs, want 1", len(blobs.blobs))
	}
	if ps, _ := s.pending(); len(ps) != 0 {
		t.Errorf("Recover left %d pending markers", len(ps))
	}
	rep, err := audit(context.Background(), s, true)
	if err != nil || !rep.OK() || rep.Records != 1 || rep.Blobs != 1 {
		t.Errorf("Audit after Recover = %+v, %v", rep, err)
	}
	if _, err := s.Open(context.Background(), rec); err != nil {
		t.Errorf("Open after Recover = %v", err)
	}
}

// Concurrent accesses to one item still form one valid chain, and every
// event is queued exactly once as a leaf, in commit order.
func TestConcurrentAccessKeepsChain(t *testing.T) {
	s := newTestService(t, newMemBlobs())
	rec, err := ingest(t, s, "popular exhibit")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Go(func() {
			typ := custody.EventViewed
			if i%2 == 0 {
				typ = custody.EventDownloaded
			}
			if _, _, err := s.Access(context.Background(), rec.ID, fmt.Sprintf("reader-%d", i), typ, ""); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	evs, err := s.Custody(context.Background(), rec.ID)
	if err != nil || len(evs) != 51 {
		t.Fatalf("Custody = %d events, %v; want 51", len(evs), err)
	}
	if i, err := custody.CheckChain(evs); err != nil {
		t.Errorf("custody.CheckChain = %d, %v", i, err)
	}
	var leaves int
	s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bLeaves).ForEach(func(k, v []byte) error {
			if u64val(k) != uint64(leaves) {
				t.Errorf("leaf %d has index %d", leaves, u64val(k))
			}
			leaves++
			return nil
		})
	})
	if leaves != 51 {
		t.Errorf("%d leaves queued, want 51", leaves)
	}
	if _, _, err := s.Access(context.Background(), NewID(), "x", custody.EventViewed, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("Access(unknown) = %v, want ErrNotFound", err)
	}
}
