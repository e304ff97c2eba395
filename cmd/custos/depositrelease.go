package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/evidence"
)

// Timing of releaseDeposits.
const (
	releaseIdle  = 5 * time.Second // without a block
	releaseRetry = 5 * time.Second // after a failed submission
)

// releaseDeposits submits the deposits the copyright register released
// (evidence.Service.SubmitReleased): those of the files filed with a
// registration in its own request, held while the registration waited for
// the consortium's register, released by copyright.Register.Numbered once
// the register holds it (docs/security.md K7). It looks at each block (a
// registration is numbered only after one) and every releaseIdle. The
// queue is durable and emptied only once the batcher has taken a batch, so
// it resumes after a crash; the chain counts a created event once.
func releaseDeposits(ctx context.Context, ch *anchor.Chain, ev *evidence.Service, log *slog.Logger) {
	for {
		next := ch.NextBlock() // before the round: a block during it wakes the next
		wait := releaseIdle
		if ch.StateVersion() >= anchor.StateV4 {
			n, err := ev.SubmitReleased(ctx, ch.SubmitDeposits)
			switch {
			case errors.Is(err, anchor.ErrSyncing): // catching up after a start: quietly, after the next block
			case err != nil && ctx.Err() == nil:
				log.Warn("submitting released deposits; will retry", "err", err)
				next, wait = nil, releaseRetry
			case n > 0:
				log.Info("released deposits submitted to the consortium's digest index", "items", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-next:
		case <-time.After(wait):
		}
	}
}
