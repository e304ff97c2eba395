package api

import (
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

// sharedWithin is the share handler's callback into the share's
// transaction: with a notifier that can write there (TxNotifier, the
// webhooks service), it queues evidence.shared for both organizations in
// the share's own commit, so that no crash commits the share without its
// deliveries, and reports true. Otherwise it is nil and false, and the
// handler calls notifyShared after the commit.
func (s *Server) sharedWithin() (func(tx *bolt.Tx, sh *evidence.Share) error, bool) {
	n, ok := s.hooks.(TxNotifier)
	if !ok {
		return nil, false
	}
	return func(tx *bolt.Tx, sh *evidence.Share) error {
		if err := n.PublishWithin(tx, sh.Owner, "evidence.shared", sh); err != nil {
			return err
		}
		return n.PublishWithin(tx, sh.Grantee, "evidence.shared", sh)
	}, true
}

// notifyShared tells both organizations of a new share, after its commit,
// through a notifier that cannot write in it (see sharedWithin).
func (s *Server) notifyShared(sh *evidence.Share) {
	s.publish(sh.Owner, "evidence.shared", sh)
	s.publish(sh.Grantee, "evidence.shared", sh)
}
