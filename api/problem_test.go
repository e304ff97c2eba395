package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/custos-project/custos/webhooks"
)

// TestSealUnavailableProblem: a webhook registered while the seal key's
// token does not answer is 503 unavailable with Retry-After, as storage
// that does not answer is, not 500.
func TestSealUnavailableProblem(t *testing.T) {
	p := toProblem(fmt.Errorf("creating a webhook: %w", webhooks.ErrSealUnavailable))
	if p.Status != http.StatusServiceUnavailable || p.retryAfter == 0 {
		t.Errorf("problem = %d (Retry-After %d), want 503 with Retry-After", p.Status, p.retryAfter)
	}
}
