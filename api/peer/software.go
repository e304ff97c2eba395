package peer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/custos-project/custos/internal/problem"
)

// SoftwarePath is where a member's node tells the other members which
// chain state versions its software runs, so that a node can refuse to
// vote for a version that some member's node does not know yet: that
// member would refuse the vote (code 5) where the others count it, and
// the chain would halt (docs/operations.md, "Upgrading the chain state").
const SoftwarePath = "/peer/v1/software"

// Software is a node's answer at SoftwarePath.
type Software struct {
	Member string `json:"member"` // the answering node's member ID
	// Version is the build's version (custos --version); informative.
	Version string `json:"version"`
	// LatestState is the newest chain state version the software runs.
	LatestState int `json:"latest_state_version"`
}

// ErrNoSoftware means a member's node answered SoftwarePath 404: software
// older than the endpoint, which cannot say what it runs.
var ErrNoSoftware = errors.New("peer: the member's node does not say which state versions it runs (custos older than this question, which runs no chain state version after 12)")

func (n *Node) serveSoftware(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		problem.Localized(w, r, http.StatusMethodNotAllowed, "method-not-allowed", problem.M("title.method-not-allowed"), problem.M("method-not-allowed"))
		return
	}
	s := n.cfg.Software
	s.Member = n.self
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s)
}

// AskSoftware asks member's node which state versions it runs: its
// Software, ErrNoSoftware from a node without the endpoint, or
// ErrUnreachable. The answer must name the member asked.
func (n *Node) AskSoftware(ctx context.Context, member string) (*Software, error) {
	asked, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequest(http.MethodGet, SoftwarePath, nil)
	resp, err := n.Do(asked, member, req)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return nil, fmt.Errorf("%w: member %s did not answer %s within 10 s", ErrUnreachable, member, SoftwarePath)
	}
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, ErrNoSoftware
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("peer: %s from member %s: %w", SoftwarePath, member, &statusError{resp.StatusCode})
	}
	var s Software
	dec := json.NewDecoder(io.LimitReader(resp.Body, 64<<10))
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("peer: %s from member %s: %w", SoftwarePath, member, err)
	}
	if s.Member != n.cfg.Current(member) && s.Member != member {
		return nil, fmt.Errorf("%w: asked member %s, answered as %s", ErrWrongMember, member, s.Member)
	}
	return &s, nil
}
