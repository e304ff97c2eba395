package api

import (
	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/evidence"
)

// publish sends an integration event to an organization's webhooks, if
// any are configured.
func (s *Server) publish(org, event string, data any) {
	if s.hooks != nil {
		s.hooks.Publish(org, event, data)
	}
}

// notifyShared tells both organizations of a new share.
func (s *Server) notifyShared(c echo.Context, sh *evidence.Share) {
	s.publish(sh.Owner, "evidence.shared", sh)
	s.publish(sh.Grantee, "evidence.shared", sh)
}
