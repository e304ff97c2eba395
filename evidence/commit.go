package evidence

import (
	"log/slog"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// maxGroup bounds the requests one group transaction applies, so that one
// commit stays short and a queue of thousands is served in a few rounds.
const maxGroup = 1000

// committer is the group commit of the service's bbolt writes: record
// commits, custody appends and pending-marker clears. A single committer
// goroutine owns the write transactions. Each transaction takes every
// request that queued while the previous one was committing, applies them
// in order, commits once (one fsync for the lot) and then answers all of
// them. Batches therefore grow with the commit time, with no fixed delay:
// an idle store commits a lone request at once, a busy one commits hundreds
// together. (bbolt's DB.Batch instead closes a batch after MaxBatchDelay,
// which under load makes many small batches that queue on the writer lock.)
//
// The goroutine runs only while there is work: the first request on an
// idle committer starts it, and it exits when the queue is empty, so the
// committer needs no Close.
//
// A request whose function fails fails alone. bbolt has no savepoints, so
// the committer rolls the whole transaction back, answers that request
// with its error, and applies the others again in a new transaction. So,
// as with DB.Batch, request functions may run more than once and must be
// idempotent: assign sequence numbers inside the transaction and set
// results afresh on every run. Validating up front instead would need every
// request to describe its checks, and failures are rare (a record that
// vanished, a corrupt value), so the retry is the simpler correct choice.
type committer struct {
	db  *bolt.DB
	log *slog.Logger

	mu      sync.Mutex
	queue   []*commitReq
	running bool // a run goroutine is draining the queue

	// inline maps the digest of each body that the transaction being
	// applied put in inlseq to its record's sequence number, so that a
	// second upload of the same bytes in one group commit finds the first
	// (putInline). Only the run goroutine uses it, inside the transaction.
	inline map[[32]byte]uint64
}

type commitReq struct {
	fn   func(*bolt.Tx) error
	done chan error // nil: nobody waits, failures are logged
}

// commit applies fn in a group transaction and returns once that
// transaction is durable, or with fn's error (nothing of fn is then
// committed), or with the commit's error.
func (c *committer) commit(fn func(*bolt.Tx) error) error {
	done := make(chan error, 1)
	c.enqueue(&commitReq{fn: fn, done: done})
	return <-done
}

// commitLater queues fn for the next group transaction without waiting;
// a failure is logged. For writes whose loss a crash tolerates (clearing a
// pending marker: recovery redoes the promotion).
func (c *committer) commitLater(fn func(*bolt.Tx) error) {
	c.enqueue(&commitReq{fn: fn})
}

func (c *committer) enqueue(r *commitReq) {
	c.mu.Lock()
	c.queue = append(c.queue, r)
	start := !c.running
	c.running = true
	c.mu.Unlock()
	if start {
		go c.run()
	}
}

// run commits groups until the queue is empty.
func (c *committer) run() {
	for {
		c.mu.Lock()
		n := min(len(c.queue), maxGroup)
		if n == 0 {
			c.running = false
			c.queue = nil // drop the backing array after a burst
			c.mu.Unlock()
			return
		}
		group := append([]*commitReq(nil), c.queue[:n]...)
		c.queue = c.queue[n:]
		c.mu.Unlock()
		c.commitGroup(group)
	}
}

// commitGroup applies group in one transaction. A failing request is
// answered with its error and dropped, and the transaction is redone
// without it.
func (c *committer) commitGroup(group []*commitReq) {
	for len(group) > 0 {
		failed := -1
		var ferr error
		err := c.db.Update(func(tx *bolt.Tx) error {
			c.inline = nil // a new attempt: nothing of a rolled-back one is in tx
			for i, r := range group {
				if err := r.fn(tx); err != nil {
					failed, ferr = i, err
					return err // rolls back everything applied so far
				}
			}
			return nil
		})
		if failed >= 0 {
			c.answer(group[failed], ferr)
			group = append(group[:failed:failed], group[failed+1:]...)
			continue
		}
		for _, r := range group {
			c.answer(r, err) // err is nil, or the commit's own failure
		}
		return
	}
}

func (c *committer) answer(r *commitReq, err error) {
	if r.done != nil {
		r.done <- err
		return
	}
	if err != nil {
		c.log.Error("group commit", "err", err)
	}
}
