package api

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custos-project/custos/receipt"
)

// syncingChain is a Chain whose node fetches missed blocks for the next
// polls looks at it, or for ever.
type syncingChain struct {
	polls   atomic.Int32
	forever bool
}

func (c *syncingChain) Syncing() bool { return c.forever || c.polls.Add(-1) >= 0 }
func (*syncingChain) Checkpoint(context.Context) (*receipt.Checkpoint, error) {
	return nil, errors.New("no checkpoint")
}
func (*syncingChain) CheckpointAt(context.Context, int64) (*receipt.Checkpoint, error) {
	return nil, errors.New("no checkpoint")
}
func (*syncingChain) ConsistencyProof(uint64, uint64) ([][]byte, error) { return nil, nil }

// TestAwaitSynced: a request that acts on the replicated state goes on at
// once on a node that is not catching up, waits while it is, and past
// syncWait is answered 503 catching-up with Retry-After, changing nothing.
func TestAwaitSynced(t *testing.T) {
	saved := syncWait
	defer func() { syncWait = saved }()
	syncWait = 300 * time.Millisecond
	ctx := context.Background()

	if err := (&Server{chain: &syncingChain{}}).awaitSynced(ctx); err != nil {
		t.Errorf("a node not syncing: %v", err)
	}
	brief := &syncingChain{}
	brief.polls.Store(2) // caught up after two looks
	if err := (&Server{chain: brief}).awaitSynced(ctx); err != nil {
		t.Errorf("a node that catches up within the wait: %v", err)
	}
	err := (&Server{chain: &syncingChain{forever: true}}).awaitSynced(ctx)
	var p *Problem
	if !errors.As(err, &p) || p.Status != http.StatusServiceUnavailable || p.Type != ProblemBase+"catching-up" || p.retryAfter != 10 {
		t.Errorf("a node still syncing past the wait = %v, want 503 catching-up with Retry-After 10", err)
	}
}
