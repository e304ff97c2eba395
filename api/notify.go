package api

import (
	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
)

// publish sends an integration event to an organization's webhooks, if
// any are configured.
func (s *Server) publish(org, event string, data any) {
	if s.hooks != nil {
		s.hooks.Publish(org, event, data)
	}
}

// notifyShared tells both organizations of a new share, after its commit
// (a notifier that cannot queue within a transaction).
func (s *Server) notifyShared(c echo.Context, sh *evidence.Share) {
	s.publish(sh.Owner, "evidence.shared", sh)
	s.publish(sh.Grantee, "evidence.shared", sh)
}

// notifySharedWithin queues the new share's evidence.shared deliveries to
// both organizations in tx, the share's transaction.
func notifySharedWithin(tx *bolt.Tx, n TxNotifier, sh *evidence.Share) error {
	if err := n.PublishWithin(tx, sh.Owner, "evidence.shared", sh); err != nil {
		return err
	}
	return n.PublishWithin(tx, sh.Grantee, "evidence.shared", sh)
}
