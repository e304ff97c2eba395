package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/peer"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
)

// RefusedNotices is the share notices the grantees' home members refused
// for good (peer.Node), for the operator: listed, sent again or dropped.
type RefusedNotices interface {
	RefusedShares(limit int) ([]peer.RefusedShare, int, error)
	Resend(share string, within func(tx *bolt.Tx, rs *peer.RefusedShare) error) (*peer.RefusedShare, error)
	Drop(share string, within func(tx *bolt.Tx, rs *peer.RefusedShare) error) (*peer.RefusedShare, error)
}

// maxRefusedPage bounds a listing of refused notices (?limit=).
const maxRefusedPage = 1000

// refusedRoutes registers the operator's view of the refused share notices
// (docs/operations.md, "A share notice refused"), for its administrators
// (the admin role is the operator's only). On a node without a peer API
// they answer 404.
func (s *Server) refusedRoutes(e *echo.Echo) {
	auth, admin := then(s.requireAuth, s.limits.perKey), need(access.PermAdmin)
	found := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if s.refused == nil {
				return errGone("no-refused-notices")
			}
			return next(c)
		}
	}
	e.GET("/api/v1/admin/peer/refused", s.listRefused, auth, admin, found)
	e.POST("/api/v1/admin/peer/refused/:share/resend", s.resendRefused, auth, admin, found)
	e.DELETE("/api/v1/admin/peer/refused/:share", s.dropRefused, auth, admin, found)
}

func (s *Server) listRefused(c echo.Context) error {
	limit, err := queryLimit(c, 100, maxRefusedPage)
	if err != nil {
		return err
	}
	rs, total, err := s.refused.RefusedShares(limit)
	if err != nil {
		return err
	}
	out := wire.RefusedNotices{Notices: make([]wire.RefusedNotice, len(rs)), Total: total}
	for i := range rs {
		out.Notices[i] = s.refusedView(&rs[i])
	}
	return c.JSON(http.StatusOK, out)
}

// resendRefused queues a share's refused notices again: 202, the outbox
// sends them in their order. The act is recorded, in the same transaction,
// as dropRefused records its own: custody.AuditShareNoticesResent.
func (s *Server) resendRefused(c echo.Context) error {
	operator := principal(c).Org.ID
	rs, err := s.refused.Resend(c.Param("share"), func(tx *bolt.Tx, rs *peer.RefusedShare) error {
		org := rs.Notice.Grantor
		if _, err := s.orgs.Org(org); err != nil {
			org = operator
		}
		return s.auditTx(c, tx, org, custody.AuditShareNoticesResent, droppedSubject(rs))
	})
	if err != nil {
		return refusedErr(err)
	}
	return c.JSON(http.StatusAccepted, wire.RefusedAct{RefusedNotice: s.refusedView(rs), Result: "resent", Notices: rs.Parked + 1})
}

// dropRefused forgets a share's refused notices, and records it, in the
// same transaction, on the audit chain of the share's grantor (the
// operator's own if the grantor is not kept here):
// custody.AuditShareNoticeDropped.
func (s *Server) dropRefused(c echo.Context) error {
	operator := principal(c).Org.ID
	rs, err := s.refused.Drop(c.Param("share"), func(tx *bolt.Tx, rs *peer.RefusedShare) error {
		org := rs.Notice.Grantor
		if _, err := s.orgs.Org(org); err != nil {
			org = operator
		}
		return s.auditTx(c, tx, org, custody.AuditShareNoticeDropped, droppedSubject(rs))
	})
	if err != nil {
		return refusedErr(err)
	}
	return c.JSON(http.StatusOK, wire.RefusedAct{RefusedNotice: s.refusedView(rs), Result: "dropped", Notices: rs.Parked + 1})
}

// droppedSubject is the subject of the audit event of a dropped (or
// resent) share's notices: "share:<id>:member:<member id>:notices:<n>".
func droppedSubject(rs *peer.RefusedShare) string {
	return fmt.Sprintf("share:%s:member:%s:notices:%d", rs.Notice.Share, rs.Member, rs.Parked+1)
}

func refusedErr(err error) error {
	if errors.Is(err, peer.ErrNoRefused) {
		return errGone("no-refused-notice")
	}
	return err
}

func (s *Server) refusedView(rs *peer.RefusedShare) wire.RefusedNotice {
	nt := &rs.Notice
	action := "share"
	if nt.RevokedAt != nil {
		action = "revoke"
	}
	return wire.RefusedNotice{Share: nt.Share, Action: action, Kind: nt.Kind, Target: nt.Target, Grantor: nt.Grantor, Grantee: nt.Grantee,
		Member: rs.Member, MemberName: s.memberName(rs.Member), Status: rs.Status, Type: rs.Type, Detail: rs.Detail,
		RefusedAt: rs.RefusedAt, Parked: rs.Parked}
}
