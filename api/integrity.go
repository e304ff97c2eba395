package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence/integrity"
)

// Integrity is what the API needs from the node's integrity auditor
// (integrity.Auditor).
type Integrity interface {
	Status() integrity.AuditStatus
	// Start starts an audit unless one is in progress; either way the
	// status it returns shows the audit in progress.
	Start(trigger string) integrity.AuditStatus
}

// integrityRoutes registers the integrity audit endpoints, for the
// operator's administrators. With in nil they answer 404.
//
// POST answers 202 at once: a deep audit reads every blob and may take
// hours, longer than any request should wait. The caller polls GET until
// "running" is gone and "latest" holds the report. A POST while an audit
// runs starts nothing: it answers 202 with the audit in progress.
func (s *Server) integrityRoutes(e *echo.Echo, in Integrity) {
	auth, admin := then(s.requireAuth, s.limits.perKey), need(access.PermAdmin)
	found := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if in == nil {
				return errGone("no-audit")
			}
			return next(c)
		}
	}
	e.GET("/api/v1/admin/integrity", func(c echo.Context) error {
		return c.JSON(http.StatusOK, in.Status())
	}, auth, admin, found)
	e.POST("/api/v1/admin/integrity", func(c echo.Context) error {
		// Recorded before the audit starts: the administrator's ask is on
		// the operator's audit chain even if the audit then fails (or one
		// was in progress, which the ask joins).
		p := principal(c)
		if _, err := s.trails.AppendAudit(c.Request().Context(), p.Org.ID, p.Actor(), custody.AuditIntegrityRequested, "trigger:"+integrity.TriggerManual); err != nil {
			return err
		}
		c.Response().Header().Set("Location", "/api/v1/admin/integrity")
		return c.JSON(http.StatusAccepted, in.Start(integrity.TriggerManual))
	}, auth, admin, found)
}
