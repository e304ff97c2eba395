package evidence

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func newTestCommitter(t *testing.T) (*committer, *bolt.DB) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "c.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }); err != nil {
		t.Fatal(err)
	}
	return &committer{db: db, log: slog.New(slog.DiscardHandler)}, db
}

func put(key string) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error { return tx.Bucket([]byte("b")).Put([]byte(key), []byte("v")) }
}

func has(t *testing.T, db *bolt.DB, key string) bool {
	t.Helper()
	var ok bool
	db.View(func(tx *bolt.Tx) error { ok = tx.Bucket([]byte("b")).Get([]byte(key)) != nil; return nil })
	return ok
}

// Many concurrent callers all commit, in fewer transactions than callers.
func TestCommitterConcurrent(t *testing.T) {
	c, db := newTestCommitter(t)
	writes := func() int64 { st := db.Stats(); return st.TxStats.GetWrite() }
	before := writes()
	const n = 500
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := c.commit(put(fmt.Sprint(i))); err != nil {
				t.Errorf("commit(%d) = %v", i, err)
			}
		})
	}
	wg.Wait()
	for i := range n {
		if !has(t, db, fmt.Sprint(i)) {
			t.Errorf("key %d missing after its commit returned", i)
		}
	}
	t.Logf("%d requests in %d transactions", n, writes()-before)
}

// A failing request fails alone: its writes are rolled back, the others of
// its group are committed, and each caller gets its own answer.
func TestCommitterFailureIsolated(t *testing.T) {
	c, db := newTestCommitter(t)
	// Hold the committer in a transaction so that the requests below all
	// queue and share the next group.
	hold, held := make(chan struct{}), make(chan struct{})
	go c.commit(func(tx *bolt.Tx) error {
		select {
		case <-held:
		default:
			close(held)
		}
		<-hold
		return nil
	})
	<-held
	errBad := errors.New("bad request")
	const n = 100
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = c.commit(func(tx *bolt.Tx) error {
				if err := put(fmt.Sprint(i))(tx); err != nil {
					return err
				}
				if i%7 == 3 {
					return fmt.Errorf("request %d: %w", i, errBad)
				}
				return nil
			})
		})
	}
	for { // wait until all n are queued behind the held transaction
		c.mu.Lock()
		q := len(c.queue)
		c.mu.Unlock()
		if q == n {
			break
		}
		runtime.Gosched()
	}
	close(hold)
	wg.Wait()
	for i := range n {
		wantFail := i%7 == 3
		if got := errors.Is(errs[i], errBad); got != wantFail {
			t.Errorf("commit(%d) = %v; want failure %v", i, errs[i], wantFail)
		}
		if has(t, db, fmt.Sprint(i)) == wantFail {
			t.Errorf("key %d present = %v after commit = %v", i, !wantFail, errs[i])
		}
	}
}

// commitLater applies its function with the next group, without a waiter.
func TestCommitterLater(t *testing.T) {
	c, db := newTestCommitter(t)
	c.commitLater(put("later"))
	c.commitLater(func(*bolt.Tx) error { return errors.New("logged, not returned") })
	if err := c.commit(put("now")); err != nil {
		t.Fatal(err)
	}
	if !has(t, db, "later") || !has(t, db, "now") {
		t.Error("commitLater's write was not committed with (or before) the next commit")
	}
}
