// Package poll paces the loops that wait for something another part of the
// node does, such as anchoring an item.
package poll

import (
	"context"
	"time"
)

// Interval is how often a waiting loop looks again.
const Interval = 50 * time.Millisecond

// Pause waits one Interval, or until ctx ends (its error).
func Pause(ctx context.Context) error {
	t := time.NewTimer(Interval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
