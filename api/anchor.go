package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	prob "github.com/custos-project/custos/internal/problem"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/proofs"
	"github.com/custos-project/custos/internal/poll"
	"github.com/custos-project/custos/receipt"
)

// Chain is what the API needs from the consortium chain.
type Chain interface {
	Checkpoint(ctx context.Context) (*receipt.Checkpoint, error)
	CheckpointAt(ctx context.Context, height int64) (*receipt.Checkpoint, error)
	ConsistencyProof(size1, size2 uint64) ([][]byte, error)
}

// getReceipt serves the item's receipt. With ?wait=DURATION it waits (up
// to MaxReceiptWait) for the item to be anchored; while it is not, the
// answer is 202 with the plain status. After waiting, and before it
// answers anything, it authorizes the caller again: a key revoked, or a
// share withdrawn, during the wait gets what it would get asking now.
func (s *Server) getReceipt(c echo.Context) error {
	var wait time.Duration
	if q := c.QueryParam("wait"); q != "" {
		d, err := time.ParseDuration(q)
		if err != nil || d < 0 {
			return errParam("wait-duration", "example", "20s")
		}
		wait = min(d, wire.MaxReceiptWait)
	}
	opts, err := receiptPage(c)
	if err != nil {
		return err
	}
	rec, err := s.readable(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	deadline := time.Now().Add(wait)
	for waited := false; ; waited = true {
		r, err := s.proofs.ReceiptWith(ctx, rec.ID, opts)
		if waited {
			if err := s.reauthorize(c); err != nil {
				return err
			}
		}
		if err == nil {
			b, err := r.Encode()
			if err != nil {
				return err
			}
			if _, err := s.recordRead(c, rec.ID, custody.EventViewed, "receipt"); err != nil {
				return err
			}
			return c.Blob(http.StatusOK, "application/json", b)
		}
		if !errors.Is(err, proofs.ErrNotAnchored) {
			return err
		}
		if time.Now().After(deadline) {
			break
		}
		if err := poll.Pause(ctx); err != nil {
			return err
		}
	}
	c.Response().Header().Set("Retry-After", "1")
	return c.JSON(http.StatusAccepted, wire.PendingView{ID: rec.ID, Status: evidence.StatusTimestamped,
		Detail: "The evidence is recorded and time-stamped but not yet anchored in the consortium chain, so no receipt exists yet. Retry shortly, or ask with ?wait=20s."})
}

// receiptPage reads ?from=S&limit=L: a page of the custody history (the
// events with seq in [S, S+L), and always the created event), each proven
// against the same custody head.
func receiptPage(c echo.Context) (proofs.ReceiptOptions, error) {
	var o proofs.ReceiptOptions
	from, limit := c.QueryParam("from"), c.QueryParam("limit")
	if from == "" && limit == "" {
		return o, nil
	}
	f, err1 := strconv.Atoi(from)
	l, err2 := strconv.Atoi(limit)
	if from == "" {
		f, err1 = 0, nil
	}
	if err1 != nil || err2 != nil || f < 0 || l < 1 || l > proofs.MaxReceiptEvents {
		return o, errParam("receipt-page", "max", proofs.MaxReceiptEvents)
	}
	o.From, o.Limit = f, l
	return o, nil
}

// reauthorize repeats the checks that let the caller in (its key, its
// permission to read, the item's visibility to its organization), for a
// handler that has waited since they were made. It spends no shared-read
// token: the one readable took pays for the request, however often the
// wait checks again. An item its organization may no longer see (a share
// revoked or expired during the wait, answered 404) gives that token
// back, as a read refused when it is recorded does (recordRead).
func (s *Server) reauthorize(c echo.Context) error {
	if err := s.reauthenticate(c, access.PermRead); err != nil {
		return err
	}
	_, _, err := s.seen(c)
	if err != nil {
		s.refundSharedRead(c)
	}
	return err
}

// reauthenticate repeats the checks of requireAuth and need(perm), for a
// handler that has waited since they were made: a key revoked or expired
// during the wait gets what it would get asking now (401), never what it
// waited for.
func (s *Server) reauthenticate(c echo.Context, perm access.Permission) error {
	p, err := s.authenticate(c)
	if err != nil {
		return err
	}
	if !p.Can(perm) {
		return errRole(p, perm)
	}
	c.Set(principalKey, p)
	return nil
}

// isNoCheckpoint reports a chain too young to have a checkpoint.
func isNoCheckpoint(err error) bool { return errors.Is(err, anchor.ErrNoCheckpoint) }

// lookup answers, without authentication, whether and when a SHA-256 (or
// SM3) digest was anchored, at this node or, through the consortium's
// digest index, at any member, and by which member's node. It reveals
// nothing about owners or metadata.
func (s *Server) lookup(c echo.Context) error {
	q := c.QueryParams()
	sha, sm3 := q["sha256"], q["sm3"]
	if len(sha)+len(sm3) != 1 {
		return errParam("one-digest")
	}
	// With a token (optional), items filed unlisted that the caller's
	// organization may read count too.
	reader := ""
	if c.Request().Header.Get("Authorization") != "" {
		p, err := s.authenticate(c)
		if err != nil {
			return err
		}
		if p.Can(access.PermRead) {
			reader = p.Key.OrgID
		}
	}
	var l *proofs.Lookup
	var err error
	name := "sha256"
	if len(sha) == 1 {
		l, err = s.proofs.LookupSHA256(c.Request().Context(), sha[0], reader)
	} else {
		name = "sm3"
		l, err = s.proofs.LookupSM3(c.Request().Context(), sm3[0], reader)
	}
	if errors.Is(err, evidence.ErrBadDigest) {
		return errParam("digest-hex", "name", name)
	}
	if err != nil {
		return err
	}
	out := lookupView{Lookup: *l}
	if l.Member != "" && out.MemberName == "" {
		out.MemberName = s.memberName(l.Member) // a rotated or joined member
	}
	if l.Member != "" {
		former, err := s.formerMembers()
		if err != nil {
			return err
		}
		if m, left := former[l.Member]; left {
			out.FormerMember, out.MemberRemovedAt = true, m.Removed
			if out.MemberName == "" {
				out.MemberName = m.Name
			}
		}
	}
	return c.JSON(http.StatusOK, out)
}

// lookupView is the lookup's answer (wire.Lookup): the filing member is
// marked when it was removed from the consortium.
type lookupView struct {
	proofs.Lookup
	FormerMember    bool  `json:"former_member,omitempty"`
	MemberRemovedAt int64 `json:"member_removed_at,omitempty"`
}

// getCheckpoint serves the latest checkpoint of the log, or the one at
// ?height=H.
func (s *Server) getCheckpoint(c echo.Context) error {
	if s.chain == nil {
		return errNoChain()
	}
	var cp *receipt.Checkpoint
	var err error
	if q := c.QueryParam("height"); q != "" {
		h, perr := strconv.ParseInt(q, 10, 64)
		if perr != nil || h < 2 {
			return errParam("height-min")
		}
		if cp, err = s.chain.CheckpointAt(c.Request().Context(), h); isNoCheckpoint(err) {
			return errGone("no-block", "height", h)
		}
	} else {
		cp, err = s.chain.Checkpoint(c.Request().Context())
	}
	if err != nil {
		if isNoCheckpoint(err) {
			c.Response().Header().Set("Retry-After", "1")
			return problem(http.StatusServiceUnavailable, "no-checkpoint", prob.M("title.no-checkpoint"), prob.M("no-checkpoint"))
		}
		return err
	}
	return c.JSON(http.StatusOK, cp)
}

// getConsistency proves that the log at size first is a prefix of the log
// at size second, so anyone holding an older checkpoint can check that the
// history was not rewritten.
func (s *Server) getConsistency(c echo.Context) error {
	if s.chain == nil {
		return errNoChain()
	}
	first, err1 := strconv.ParseUint(c.QueryParam("first"), 10, 64)
	second, err2 := strconv.ParseUint(c.QueryParam("second"), 10, 64)
	if err1 != nil || err2 != nil || first > second {
		return errParam("tree-sizes")
	}
	proof, err := s.chain.ConsistencyProof(first, second)
	if errors.Is(err, anchor.ErrBadSize) {
		return errParam("no-consistency", "first", first, "second", second).because(err)
	}
	if err != nil {
		return err
	}
	v := wire.ConsistencyView{First: first, Second: second, Proof: make([]string, len(proof))}
	for i, p := range proof {
		v.Proof[i] = fmt.Sprintf("%x", p)
	}
	return c.JSON(http.StatusOK, v)
}
