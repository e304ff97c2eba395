// Package sharing keeps the matters (case files: evidence filed together
// for one dispute) and the acts of sharing: an organization shares an
// item or a whole matter with another organization, lists the shares it
// made or received, and revokes them, each act with a "shared" or
// "unshared" custody event on every item it covers, in the act's
// transaction.
//
// The share records themselves are the evidence service's (evidence.Share
// and its indexes), because every read path checks them (who may see an
// item: its owner, the organizations it or its matter is shared with) and
// the core ends shares itself when a register moves an item's ownership
// (evidence.Service.GiveItem). So the line runs here: the core keeps the
// grants and their reads, and tells evidence.Config.OnShare of every
// share made or revoked, whoever made it; this package decides what may
// be shared, by whom, and keeps the matters' records, writing the grants
// through the kernel (evidence.Service.PutShare, EndShare). The core does
// not import this package.
package sharing

import (
	"fmt"

	"github.com/custos-project/custos/evidence"
)

// Registry keeps the matters and makes, lists and revokes shares in an
// evidence service's database.
type Registry struct{ ev *evidence.Service }

// New returns the matters and shares kept by ev, creating the matters'
// buckets.
func New(ev *evidence.Service) (*Registry, error) {
	if err := ev.CreateBuckets(bMatters, bOrgMatt); err != nil {
		return nil, fmt.Errorf("evidence: init store: %w", err)
	}
	return &Registry{ev: ev}, nil
}
