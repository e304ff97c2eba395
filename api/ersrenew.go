package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence/records"
)

// Renewals is what the API needs to renew the node's RFC 4998 evidence
// records (records.Keeper).
type Renewals interface {
	Renew(ctx context.Context, opts records.RenewOptions) (*records.RenewalRun, error)
	RenewalStatus() (*records.RenewalStatus, error)
}

// renewalRoutes registers the evidence-record renewal endpoints, for the
// operator's administrators: a run covers every item of the node
// (docs/operations.md, "Renewing evidence records"). With r nil they
// answer 404.
//
// POST runs the renewal and answers with what it did (200), or with what
// it would do (dry_run). A run that started goes on to its end if the
// client leaves: each renewal is committed with its token, and GET shows
// the last run.
func (s *Server) renewalRoutes(e *echo.Echo, r Renewals) {
	auth, admin := then(s.requireAuth, s.limits.perKey), need(access.PermAdmin)
	// The admin role is the operator's only (access): an admin key is the
	// operator's.
	found := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if r == nil {
				return errGone("no-renewal")
			}
			return next(c)
		}
	}
	e.GET("/api/v1/admin/evidence-records/status", func(c echo.Context) error {
		st, err := r.RenewalStatus()
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, st)
	}, auth, admin, found)
	e.POST("/api/v1/admin/evidence-records/renew", func(c echo.Context) error {
		var req wire.RenewRequest
		if err := bindOptional(c, &req); err != nil {
			return err
		}
		run, err := r.Renew(context.WithoutCancel(c.Request().Context()), records.RenewOptions{DryRun: req.DryRun, Actor: principal(c).Actor()})
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, run)
	}, auth, admin, found)
}
