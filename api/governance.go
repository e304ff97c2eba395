package api

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/internal/poll"
	prob "github.com/custos-project/custos/internal/problem"
)

// Governance is what the consortium governance endpoints need of the
// chain (anchor.Chain): the members, the proposals, and a way to submit a
// proposal or vote that a member's governance key already signed.
type Governance interface {
	Height() int64
	// StateVersion is the committed chain state version: from 9 a vote
	// is of transaction version 9 and names its proposal's SHA-256.
	StateVersion() int
	Members() ([]anchor.Member, error)
	Proposals() ([]anchor.ProposalState, error)
	Proposal(id string) (anchor.ProposalState, bool, error)
	// SubmitGovernance broadcasts a signed governance transaction; an
	// *anchor.TxError says why CheckTx refused it.
	SubmitGovernance(ctx context.Context, raw []byte) error
}

// maxGovTx bounds a governance transaction's body: two certificates (three
// for an admission) and a few fixed fields.
const maxGovTx = 64 << 10

// governanceRoutes registers /api/v1/consortium. Every route is public and
// rate-limited per client IP, like /api/v1/lookup: the member list and the
// proposals are what every member must be able to see (docs/governance.md,
// "every step is visible to all members"), and they are in the replicated
// chain state already. No API token authorizes a proposal or a vote: the
// governance key's signature inside the transaction does, and the chain
// checks it exactly as CheckTx does for any transaction.
func (s *Server) governanceRoutes(e *echo.Echo, gov Governance) {
	h := &govHandlers{gov: gov}
	has := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if gov == nil {
				return problem(http.StatusNotFound, "no-chain", prob.M("title.no-chain"), prob.M("no-chain"))
			}
			return next(c)
		}
	}
	ip := s.limits.perIP
	e.GET("/api/v1/consortium/members", h.members, ip, has)
	e.GET("/api/v1/consortium/proposals", h.proposals, ip, has)
	e.GET("/api/v1/consortium/proposals/:id", h.proposal, ip, has)
	e.POST("/api/v1/consortium/proposals", h.propose, ip, has)
	e.POST("/api/v1/consortium/proposals/:id/votes", h.vote, ip, has)
	e.POST("/api/v1/consortium/revocations", h.revoke, ip, has)
}

type govHandlers struct{ gov Governance }

func (h *govHandlers) members(c echo.Context) error {
	height := h.gov.Height()
	ms, err := h.gov.Members()
	if err != nil {
		return err
	}
	v := wire.Members{Height: height, StateVersion: h.gov.StateVersion(), Members: make([]wire.Member, 0, len(ms))}
	for _, m := range ms {
		v.Members = append(v.Members, memberView(m))
	}
	return c.JSON(http.StatusOK, v)
}

var proposalStatuses = map[string]bool{anchor.StatusOpen: true, anchor.StatusPassed: true, anchor.StatusApplied: true,
	anchor.StatusFailed: true, anchor.StatusRejected: true, anchor.StatusExpired: true}

func (h *govHandlers) proposals(c echo.Context) error {
	status := c.QueryParam("status")
	if status != "" && !proposalStatuses[status] {
		return errParam("gov-status")
	}
	height := h.gov.Height()
	ps, err := h.gov.Proposals()
	if err != nil {
		return err
	}
	v := wire.Proposals{Height: height, Proposals: []wire.Proposal{}}
	for _, p := range ps {
		if status == "" || p.Status == status {
			v.Proposals = append(v.Proposals, proposalView(p))
		}
	}
	return c.JSON(http.StatusOK, v)
}

func (h *govHandlers) proposal(c echo.Context) error {
	p, ok, err := h.gov.Proposal(proposalParam(c))
	if err != nil {
		return err
	}
	if !ok {
		return errNoProposal()
	}
	return c.JSON(http.StatusOK, proposalView(p))
}

// proposalParam is the path's proposal ID. An ID may hold any printable
// ASCII character, so a client percent-encodes it; echo gives it decoded
// unless the path was encoded otherwise than Go's default (URL.RawPath
// set), and then as sent.
func proposalParam(c echo.Context) string {
	v := c.Param("id")
	if c.Request().URL.RawPath != "" {
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
	}
	return v
}

func errNoProposal() *Problem {
	return problem(http.StatusNotFound, "no-proposal", prob.M("title.no-proposal"), prob.M("no-proposal"))
}

// propose handles POST /api/v1/consortium/proposals: a kind-5
// transaction.
func (h *govHandlers) propose(c echo.Context) error {
	return h.submit(c, anchor.KindPropose, "")
}

// vote handles POST /api/v1/consortium/proposals/{id}/votes: a kind-6
// transaction on proposal id.
func (h *govHandlers) vote(c echo.Context) error {
	return h.submit(c, anchor.KindVote, proposalParam(c))
}

// revoke handles POST /api/v1/consortium/revocations: a kind-7
// transaction (state version 10), by which a member's organization CA
// revokes one of its governance certificates.
func (h *govHandlers) revoke(c echo.Context) error {
	wait, raw, t, err := readGovRequest(c)
	if err != nil {
		return err
	}
	if t.Kind != anchor.KindRevokeGov {
		return errBadRequest("malformed-tx", prob.M("gov-want-revocation"))
	}
	if err := h.gov.SubmitGovernance(c.Request().Context(), raw); err != nil {
		return govProblem(err, t.Kind)
	}
	sum := t.RevokedHash()
	ans := wire.RevocationAccepted{Member: fmt.Sprintf("%x", t.GovMember), CertSHA256: hex.EncodeToString(sum[:])}
	if err := h.awaitRevocation(c.Request().Context(), &ans, wait); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, ans)
}

// awaitRevocation waits up to wait for ans's revocation to be in a block,
// and fills in its height.
func (h *govHandlers) awaitRevocation(ctx context.Context, ans *wire.RevocationAccepted, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		ms, err := h.gov.Members()
		if err != nil {
			return err
		}
		for _, m := range ms {
			for _, r := range m.RevokedGov {
				if m.ID == ans.Member && r.SHA256 == ans.CertSHA256 {
					ans.Height = r.Revoked
					return nil
				}
			}
		}
		if !time.Now().Before(deadline) {
			return nil
		}
		if err := poll.Pause(ctx); err != nil {
			return err
		}
	}
}

// readGovRequest reads a governance route's request: its ?wait= and the
// signed transaction in its body, decoded.
func readGovRequest(c echo.Context) (time.Duration, []byte, *anchor.Tx, error) {
	wait, err := numberWait(c)
	if err != nil {
		return 0, nil, nil, err
	}
	raw, err := readGovTx(c)
	if err != nil {
		return 0, nil, nil, err
	}
	t, err := anchor.DecodeTx(raw)
	if err != nil {
		return 0, nil, nil, errMalformedTx(raw, err)
	}
	return wait, raw, t, nil
}

// submit reads a signed governance transaction of kind (on proposal id,
// for a vote), submits it, and answers 202; with ?wait= it first waits
// for the transaction to be recorded in a block.
func (h *govHandlers) submit(c echo.Context, kind uint8, id string) error {
	wait, raw, t, err := readGovRequest(c)
	if err != nil {
		return err
	}
	pid, what := govTxTarget(t)
	switch {
	case t.Kind != kind && kind == anchor.KindPropose:
		return errBadRequest("malformed-tx", prob.M("gov-want-proposal"))
	case t.Kind != kind:
		return errBadRequest("malformed-tx", prob.M("gov-want-vote"))
	case kind == anchor.KindVote && pid != id:
		return errBadRequest("malformed-tx", prob.M("gov-vote-other", "voted", pid, "path", id))
	}
	if err := h.gov.SubmitGovernance(c.Request().Context(), raw); err != nil {
		return govProblem(err, t.Kind)
	}
	member := fmt.Sprintf("%x", t.GovMember)
	ans := wire.GovernanceAccepted{Proposal: pid, Kind: what, Member: member}
	if err := h.await(c.Request().Context(), &ans, t, wait); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, ans)
}

// errMalformedTx is 400 malformed-tx for a body anchor.DecodeTx refused:
// the catalog's detail, in the caller's language, and the decoder's own
// words (after anchor.ErrMalformedTx's), which are English and technical,
// in the member reason, quoted as a problem quotes input.
func errMalformedTx(raw []byte, err error) *Problem {
	detail := prob.M("gov-malformed")
	if !bytes.HasPrefix(raw, []byte(anchor.TxMagic)) {
		detail = prob.M("gov-not-tx")
	}
	p := errBadRequest("malformed-tx", detail)
	p.Reason = quote(strings.TrimPrefix(err.Error(), anchor.ErrMalformedTx.Error()+": "))
	return p
}

// govTxTarget is the proposal ID a governance transaction is about and
// its kind's name.
func govTxTarget(t *anchor.Tx) (string, string) {
	switch {
	case t.Proposal != nil:
		return t.Proposal.ID, "proposal"
	case t.Ballot != nil:
		return t.Ballot.ID, "vote"
	}
	return "", ""
}

// readGovTx reads the body: JSON {"tx": base64} or the raw bytes
// (application/octet-stream).
func readGovTx(c echo.Context) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
	body := http.MaxBytesReader(c.Response(), c.Request().Body, maxGovTx)
	switch mt {
	case "application/json":
		var req wire.GovernanceTx
		if err := bindStrict(c, &req); err != nil {
			return nil, err
		}
		if len(req.Tx) == 0 {
			return nil, errBadRequest("malformed-tx", prob.M("gov-no-tx"))
		}
		return req.Tx, nil
	case "application/octet-stream":
		raw, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		return raw, nil
	}
	return nil, problem(http.StatusUnsupportedMediaType, "unsupported-media-type", prob.M("title.unsupported-media-type"), prob.M("gov-media-type"))
}

// govProblem maps the chain's refusal of a governance transaction to a
// problem that names the reason (docs/governance.md, "Rules and
// refusals"): the catalog's detail, in the caller's language, and the
// chain's log in the member reason (chainRefusal). kind is the
// transaction's.
func govProblem(err error, kind uint8) error {
	var te *anchor.TxError
	if !errors.As(err, &te) {
		return err
	}
	switch te.Code {
	case anchor.CodeMalformed:
		return chainRefusal(errBadRequest("malformed-tx", prob.M("gov-chain-malformed")), te)
	case anchor.CodeNotMember:
		return chainRefusal(problem(http.StatusForbidden, "not-a-member", prob.M("title.gov-not-member"), prob.M("gov-not-member")), te)
	case anchor.CodeDuplicate:
		if kind == anchor.KindRevokeGov {
			return chainRefusal(problem(http.StatusConflict, "governance-duplicate", prob.M("title.governance-duplicate"), prob.M("gov-revoke-duplicate")), te)
		}
		return chainRefusal(problem(http.StatusConflict, "governance-duplicate", prob.M("title.governance-duplicate"), prob.M("gov-duplicate")), te)
	case anchor.CodeStale:
		return chainRefusal(problem(http.StatusConflict, "proposal-closed", prob.M("title.proposal-closed"), prob.M("gov-stale")), te)
	case anchor.CodeRevoked:
		return chainRefusal(problem(http.StatusForbidden, "governance-cert-revoked", prob.M("title.governance-cert-revoked"), prob.M("gov-cert-revoked")), te)
	case anchor.CodeVersion:
		if kind == anchor.KindRevokeGov {
			return chainRefusal(problem(http.StatusConflict, "no-revocation", prob.M("title.no-revocation"), prob.M("gov-revoke-version")), te)
		}
		if kind == anchor.KindVote {
			return chainRefusal(problem(http.StatusConflict, "vote-version", prob.M("title.vote-version"), prob.M("gov-vote-version")), te)
		}
		return chainRefusal(problem(http.StatusConflict, "no-governance", prob.M("title.no-governance"), prob.M("gov-version")), te)
	case anchor.CodeRefused:
		if kind == anchor.KindVote {
			return chainRefusal(problem(http.StatusUnprocessableEntity, "change-refused", prob.M("title.change-refused"), prob.M("gov-vote-hash")), te)
		}
	}
	return chainRefusal(problem(http.StatusUnprocessableEntity, "change-refused", prob.M("title.change-refused"), prob.M("gov-refused")), te)
}

// chainRefusal is p with the chain's log of its refusal te (CheckTx's,
// English and technical) in the member reason, quoted as a problem quotes
// input: the detail is the catalog's, in the caller's language.
func chainRefusal(p *Problem, te *anchor.TxError) *Problem {
	p.Reason = quote(te.Log)
	return p
}

// await waits up to wait for ans's transaction t to be in a block, and
// fills in the height and the proposal as it stands. A proposal whose ID
// the chain recorded for another proposal (another member's that came
// first: governance review finding G1) is 409 governance-duplicate: its
// proposer must not ask the members to vote on the ID.
func (h *govHandlers) await(ctx context.Context, ans *wire.GovernanceAccepted, t *anchor.Tx, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		p, ok, err := h.gov.Proposal(ans.Proposal)
		if err != nil {
			return err
		}
		if ok && t.Kind == anchor.KindPropose && !p.Matches(t) {
			return problem(http.StatusConflict, "governance-duplicate", prob.M("title.governance-duplicate"),
				prob.M("gov-id-taken", "id", p.ID, "proposer", p.Proposer, "action", p.Action, "height", p.Height))
		}
		if ok {
			if at := recordedAt(p, ans); at > 0 {
				ans.Height = at
				v := proposalView(p)
				ans.State = &v
				return nil
			}
		}
		if !time.Now().Before(deadline) {
			return nil
		}
		if err := poll.Pause(ctx); err != nil {
			return err
		}
	}
}

// recordedAt is the height of the block that recorded ans's transaction
// in p, or 0.
func recordedAt(p anchor.ProposalState, ans *wire.GovernanceAccepted) int64 {
	if ans.Kind == "proposal" {
		if p.Proposer == ans.Member {
			return p.Height
		}
		return 0
	}
	for _, v := range p.Votes {
		if v.Member == ans.Member {
			return v.Height
		}
	}
	return 0
}

func memberView(m anchor.Member) wire.Member {
	v := wire.Member{ID: m.ID, Name: m.Name, Kind: m.Kind, ValidatorKey: m.ValidatorKey, Power: m.Power,
		Place: m.Place, Admitted: m.Admitted, Removed: m.Removed}
	for _, ca := range m.OrgCAs {
		v.OrgCAs = append(v.OrgCAs, wire.MemberCA{SHA256: ca.SHA256, Cert: ca.Cert, Bound: ca.Bound, Retired: ca.Retired})
	}
	for _, r := range m.RevokedGov {
		v.RevokedGov = append(v.RevokedGov, wire.RevokedCert{SHA256: r.SHA256, TBS: r.TBS, Revoked: r.Revoked})
	}
	return v
}

func proposalView(p anchor.ProposalState) wire.Proposal {
	v := wire.Proposal{ID: p.ID, Proposer: p.Proposer, Action: p.Action, Target: p.Target, OrgCA: p.OrgCA,
		ValidatorKey: p.ValidatorKey, Power: p.Power, CAHash: p.CAHash, Override: p.Override, Height: p.Height,
		Expires: p.Expires, Votes: []wire.Vote{}, YesPower: p.YesPower, NoPower: p.NoPower, TotalPower: p.TotalPower,
		Status: p.Status, Passed: p.Passed, Effective: p.Effective, Closed: p.Closed, Reason: p.Reason}
	h := p.Hash()
	v.SHA256 = hex.EncodeToString(h[:])
	for _, g := range p.Votes {
		v.Votes = append(v.Votes, wire.Vote{Member: g.Member, Yes: g.Yes, Height: g.Height, Cert: g.Cert, CertTBS: g.CertTBS})
	}
	return v
}
