package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	prob "github.com/custos-project/custos/internal/problem"
)

// ChainAdmin is what the API needs to show and vote state upgrades of the
// consortium chain (the node's anchor.Chain).
type ChainAdmin interface {
	Height() int64
	UpgradeStatus() (version int, plans []anchor.UpgradePlan, err error)
	// VoteUpgrade submits this node's signed vote; an *anchor.TxError
	// says why the chain refused it.
	VoteUpgrade(ctx context.Context, version int, height int64) error
}

// UpgradeReadiness tells which state versions the software of each of
// the chain's current members runs (cmd/custos asks them over the peer
// API): a vote for a version one of them does not know would be refused
// there (code 5) and counted elsewhere, and the chain would halt.
type UpgradeReadiness interface {
	UpgradeReadiness(ctx context.Context) ([]wire.MemberSoftware, error)
}

// HeldDeposits counts the deposits the node keeps off the chain: the
// files of copyright registrations waiting for the consortium's register
// (evidence.Service.DepositHolds).
type HeldDeposits interface {
	DepositHolds() (evidence.DepositHolds, error)
}

// ChainStatusView is the answer of GET /api/v1/admin/chain.
type ChainStatusView struct {
	Height       int64                `json:"height"`
	StateVersion int                  `json:"state_version"`
	Latest       int                  `json:"latest_state_version"` // the newest this node runs
	Upgrades     []anchor.UpgradePlan `json:"upgrades"`
	// Deposits counts the deposits held off the chain, released and
	// unreadable (docs/operations.md, "Held deposits"); absent where the
	// server was given none to count.
	Deposits *evidence.DepositHolds `json:"deposit_holds,omitempty"`
	// Members is, with ?members=true, what each current member's node
	// runs, as it said over the peer API (UpgradeReadiness).
	Members []wire.MemberSoftware `json:"members,omitempty"`
}

// chainAdminRoutes registers the chain administration endpoints, for the
// operator's administrators only: each member's operator votes with its
// node's key (docs/operations.md, "Upgrading the chain state").
func (s *Server) chainAdminRoutes(e *echo.Echo, ca ChainAdmin, holds HeldDeposits, ready UpgradeReadiness) {
	auth, admin := then(s.requireAuth, s.limits.perKey), need(access.PermAdmin)
	operator := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if principal(c).Org.Kind != access.KindOperator {
				return errForbidden("operator-only")
			}
			if ca == nil {
				return errNoChain()
			}
			return next(c)
		}
	}
	e.GET("/api/v1/admin/chain", func(c echo.Context) error {
		var members []wire.MemberSoftware
		switch q := c.QueryParam("members"); {
		case q == "true" && ready != nil:
			var err error
			if members, err = ready.UpgradeReadiness(c.Request().Context()); err != nil {
				return err
			}
		case q != "" && q != "true" && q != "false":
			return errParam("members-bool")
		}
		return s.chainStatus(c, ca, holds, http.StatusOK, members)
	}, auth, admin, operator)
	e.POST("/api/v1/admin/chain/upgrade", func(c echo.Context) error {
		var req wire.UpgradeRequest
		if err := bindStrict(c, &req); err != nil {
			return err
		}
		switch h := ca.Height(); {
		case req.StateVersion < 2 || req.StateVersion > anchor.MaxState:
			return errParam("state-version", "latest", anchor.MaxState)
		case req.Height <= h+1:
			return errParam("upgrade-height", "height", h, "suggest", h+20)
		}
		if ready != nil && !req.Force {
			if err := checkUpgradeReady(c.Request().Context(), ready, req.StateVersion); err != nil {
				return err
			}
		}
		err := ca.VoteUpgrade(c.Request().Context(), req.StateVersion, req.Height)
		var te *anchor.TxError
		if errors.As(err, &te) {
			return chainRefusal(problem(http.StatusConflict, "upgrade-refused", prob.M("title.upgrade-refused"), prob.M("upgrade-refused")), te)
		}
		if err != nil {
			return err
		}
		// The vote is in the chain: recorded on the operator's audit chain,
		// naming the key that asked for it.
		p := principal(c)
		subject := fmt.Sprintf("state_version:%d:height:%d", req.StateVersion, req.Height)
		if _, err := s.trails.AppendAudit(c.Request().Context(), p.Org.ID, p.Actor(), custody.AuditUpgradeVoted, subject); err != nil {
			return err
		}
		return s.chainStatus(c, ca, holds, http.StatusAccepted, nil)
	}, auth, admin, operator)
}

func (s *Server) chainStatus(c echo.Context, ca ChainAdmin, holds HeldDeposits, code int, members []wire.MemberSoftware) error {
	v, plans, err := ca.UpgradeStatus()
	if err != nil {
		return err
	}
	if plans == nil {
		plans = []anchor.UpgradePlan{}
	}
	view := ChainStatusView{Height: ca.Height(), StateVersion: v, Latest: anchor.LatestState, Upgrades: plans, Members: members}
	if holds != nil {
		h, err := holds.DepositHolds()
		if err != nil {
			return err
		}
		view.Deposits = &h
	}
	return c.JSON(code, view)
}

// checkUpgradeReady refuses a vote for version while a current member's
// node does not run software that knows it, or cannot say (409
// upgrade-not-ready, naming them): docs/operations.md, "Upgrading the
// chain state", step 1, checked rather than trusted.
func checkUpgradeReady(ctx context.Context, ready UpgradeReadiness, version int) error {
	members, err := ready.UpgradeReadiness(ctx)
	if err != nil {
		return err
	}
	var behind []wire.MemberSoftware
	var names []string
	for _, m := range members {
		if m.LatestState < version {
			behind = append(behind, m)
			names = append(names, cmp.Or(m.Name, m.Member))
		}
	}
	if len(behind) == 0 {
		return nil
	}
	p := problem(http.StatusConflict, "upgrade-not-ready", prob.M("title.upgrade-not-ready"),
		prob.M("upgrade-not-ready", "version", version, "members", strings.Join(names, ", ")))
	p.Members = behind
	return p
}
