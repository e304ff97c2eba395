package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/anchor"
	prob "github.com/custos-project/custos/internal/problem"
)

// Leaving (docs/governance.md, "Leaving the consortium"). A member removed
// by vote leaves its records where they are: the answers here only say so.
// The directory and the lookup mark what belongs to a former member, a
// grantee asking for an item only a former member holds is told that, in
// place of a relay, and a removed member's own node refuses new uploads
// (the chain would refuse to anchor them) while it goes on serving what it
// holds.

// Leaving is what the API needs to know who left the consortium
// (anchor.Chain).
type Leaving interface {
	Member() string // this node's member ID (Tx.Member)
	// FormerMembers maps every node member ID a removed member ran to
	// that member.
	FormerMembers() (map[string]anchor.Member, error)
}

// formerMembers is the removed members by node member ID; none without a
// chain.
func (s *Server) formerMembers() (map[string]anchor.Member, error) {
	if s.leaving == nil {
		return nil, nil
	}
	return s.leaving.FormerMembers()
}

// removedAt is the height at which this node's member was removed from
// the consortium, 0 while it is a member. Removal is final, so once seen
// it is kept.
func (s *Server) removedAt() (int64, error) {
	if h := s.removed.Load(); h != 0 || s.leaving == nil {
		return h, nil
	}
	former, err := s.leaving.FormerMembers()
	if err != nil {
		return 0, err
	}
	m, ok := former[s.leaving.Member()]
	if !ok {
		return 0, nil
	}
	s.removed.Store(m.Removed)
	return m.Removed, nil
}

// refuseRemoved refuses a write that the chain would never anchor: this
// node's member was removed.
func (s *Server) refuseRemoved() error {
	h, err := s.removedAt()
	if err != nil || h == 0 {
		return err
	}
	return problem(http.StatusForbidden, "member-removed", prob.M("title.member-removed"), prob.M("member-removed", "height", h))
}

// heldByFormer is the answer to a read relayed to member, when member was
// removed from the consortium: only its node held the item, and no member
// relays to it any more. Nil while member is a member.
func (s *Server) heldByFormer(member string) error {
	former, err := s.formerMembers()
	if err != nil {
		return err
	}
	m, ok := former[member]
	if !ok {
		return nil
	}
	return problem(http.StatusGone, "evidence-held-by-former-member", prob.M("title.evidence-held-by-former-member"),
		prob.M("evidence-held-by-former-member", "name", orUnknown(m.Name, m.ID), "height", m.Removed))
}

// healthz answers 200 "ok" while the node runs; a node whose member was
// removed adds the line "removed_at=H" and the Custos-Member-Removed
// header (the height H): it still serves reads. A node whose chain's
// consensus stopped (anchor.Chain.Halted: a panic in CometBFT's state
// machine, as on a full disk) answers 503 "halted": it still serves reads
// and records uploads, but anchors nothing until it is restarted, which
// is what a supervisor watching this probe should do.
func (s *Server) healthz(c echo.Context) error {
	if h, ok := s.chain.(halter); ok && h.Halted() {
		return c.String(http.StatusServiceUnavailable, "halted: the chain's consensus stopped (see the log); fix the cause, often a full disk, and restart the node\n")
	}
	h, err := s.removedAt()
	if err != nil {
		return err
	}
	if h == 0 {
		return c.String(http.StatusOK, "ok\n")
	}
	c.Response().Header().Set(HeaderMemberRemoved, strconv.FormatInt(h, 10))
	return c.String(http.StatusOK, "ok\nremoved_at="+strconv.FormatInt(h, 10)+"\n")
}

// halter is what healthz asks of the chain (anchor.Chain).
type halter interface{ Halted() bool }

// syncer is what awaitSynced asks of the chain (anchor.Chain).
type syncer interface{ Syncing() bool }

// syncWait bounds how long a request that acts on the consortium's
// replicated state waits for a node that is still fetching the blocks it
// missed (a variable for tests).
var syncWait = 10 * time.Second

// awaitSynced holds a request that acts on the consortium's replicated
// state (the directory of organizations, the copyright register, shares
// announced to other members) while this node is still fetching the
// blocks it missed after a start (block sync, usually a second or two):
// its state is behind the chain's until then, so a name could look free
// that is taken, a registration be numbered against an old register, a
// share's grantee look local. Past syncWait it answers 503 catching-up.
func (s *Server) awaitSynced(ctx context.Context) error {
	sc, ok := s.chain.(syncer)
	if !ok || !sc.Syncing() {
		return nil
	}
	deadline := time.Now().Add(syncWait)
	for sc.Syncing() {
		if time.Now().After(deadline) {
			p := problem(http.StatusServiceUnavailable, "catching-up", prob.M("title.catching-up"), prob.M("catching-up"))
			p.retryAfter = 10
			return p
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// HeaderMemberRemoved, on /healthz, is the height at which this node's
// member was removed from the consortium.
const HeaderMemberRemoved = "Custos-Member-Removed"
