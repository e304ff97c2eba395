package main

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/audittrail"
	"github.com/custos-project/custos/webhooks"
)

// directoryEvery is how often registerOrgs compares this node's
// organizations with the consortium's directory.
const directoryEvery = 2 * time.Second

// registerOrgs keeps the consortium's directory (chain state version 4)
// in step with this node's organizations: it registers each one the
// directory does not list as it is (new, created before the upgrade, or
// whose registration was lost with a halted chain), all but the operator
// organization, which is the member itself (the trust bundle names it).
// An organization whose name another holds in the directory is left out
// and told so, once per conflict (teller): it must rename (a name is
// unique consortium-wide, the first registration keeps it;
// docs/operations.md). From state version 8 ch.RegisterOrgs gives each
// organization one more than the revision the directory holds; one built
// just before the upgrade height (refused, code 5) or that lost a race
// with another of the same revision (code 4) is built again on the next
// round.
//
// Its first round caught up re-creates the organizations the directory
// homes here that this node lost (restoreOrgs), then sets restored, which
// the share sync waits for (a share with a lost organization is taken
// only once it exists again).
func registerOrgs(ctx context.Context, ch *anchor.Chain, orgs *access.Store, tell *conflictTeller, restored *atomic.Bool, log *slog.Logger) {
	tick := time.NewTicker(directoryEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// Not while catching up: the directory of an old height could show
		// a conflict long over, and tell the organization so for good.
		if ch.Syncing() {
			continue
		}
		if !restored.Load() {
			if ch.StateVersion() >= anchor.StateV4 {
				if err := restoreOrgs(ch, orgs, tell, log); err != nil {
					log.Warn("re-creating organizations the directory homes here; will retry", "err", err)
					continue
				}
			}
			restored.Store(true)
		}
		if ch.StateVersion() < anchor.StateV4 {
			continue
		}
		todo, err := unregistered(ch, orgs, tell, log)
		if err == nil && ch.StateVersion() >= anchor.StateV5 {
			var claims []anchor.OrgEntry
			if claims, err = claimsToFile(ch, orgs); err == nil {
				todo = append(todo, claims...)
			}
			if err == nil {
				err = tellHolders(ch, orgs, tell, log)
			}
		}
		if err == nil && len(todo) > 0 {
			err = ch.RegisterOrgs(ctx, todo)
		}
		var te *anchor.TxError
		if errors.As(err, &te) {
			log.Warn("directory registration refused; will retry", "code", te.Code, "reason", te.Log)
		} else if err != nil && ctx.Err() == nil {
			log.Warn("directory registration; will retry", "err", err)
		}
	}
}

// restoreOrgs re-creates, once a start has caught up with the chain, each
// organization the consortium's directory homes on this member that this
// node does not have: one created after the backup its store was
// restored from (docs/operations.md, "Recovering a member"). Only this
// member's node registers organizations homed on it, and organizations
// are never deleted, so such an entry is always one of its own it lost.
// The organization keeps its ID, kind and directory name, and so its
// place in the directory and the shares other members made with it (the
// share sync brings them back); it gets the default settings, no key,
// and a new audit chain whose org.created event is by "node:<member>".
// The operator gives it keys again.
func restoreOrgs(ch *anchor.Chain, orgs *access.Store, tell *conflictTeller, log *slog.Logger) error {
	entries, err := ch.Orgs()
	if err != nil {
		return err
	}
	self := current(ch, ch.Member())
	trails := audittrail.New(tell.ev)
	for _, e := range entries {
		if current(ch, e.Member) != self {
			continue
		}
		if o, err := orgs.Org(e.ID); err == nil {
			if o.Name != e.Name {
				// One organization's trouble (its audit chain unreadable)
				// must not hold up the others, nor the share sync.
				if err := adoptRename(ch, orgs, trails, tell.member, o, e, log); err != nil {
					log.Error("comparing an organization's name with the consortium's directory's", "org", o.ID, "err", err)
				}
			}
			continue
		} else if !errors.Is(err, access.ErrNotFound) {
			return err
		}
		_, err := orgs.RestoreOrgWithin(e.ID, e.Kind, e.Name, func(tx *bolt.Tx, o *access.Org) error {
			_, err := trails.AppendAuditTx(tx, o.ID, "node:"+tell.member, custody.AuditOrgCreated, "kind:"+o.Kind)
			return err
		})
		if err != nil { // a kind or name this software does not take, say: the others go on
			log.Error("an organization the consortium's directory homes on this member is not on this node and cannot be re-created", "org", e.ID, "name", e.Name, "kind", e.Kind, "err", err)
			continue
		}
		log.Warn("re-created an organization the consortium's directory homes on this member and this node did not have (restored from an older backup?): it has no keys; create them (custos key create --org ID)",
			"org", e.ID, "name", e.Name, "kind", e.Kind, "registered_height", e.Height)
	}
	return nil
}

// adoptRename takes the directory's name for o when the directory got it
// well after o was last named here (renameMargin): a rename this node made
// after the backup its store was restored from, and lost with it.
// (Registering the older name would rename the organization back,
// consortium-wide.) A local name set after the directory's block, or
// within renameMargin of it (a rename made while the registration of the
// name before was in flight), is a rename not registered yet, which
// registerOrgs files as usual; so is one whose name another organization
// holds (a conflict it was told of). The rename is an org.renamed event by
// "node:<member>".
func adoptRename(ch *anchor.Chain, orgs *access.Store, trails *audittrail.Trails, member string, o *access.Org, e anchor.DirEntry, log *slog.Logger) error {
	if st, err := api.DirectoryStatus(ch, *o); err != nil || st == nil || st.Status == wire.DirectoryConflict {
		return err
	}
	evs, err := trails.AuditTrail(context.Background(), o.ID)
	if err != nil {
		return err
	}
	var named time.Time // when the local name was set
	for _, ev := range evs {
		if ev.Type == custody.AuditOrgCreated || ev.Type == custody.AuditOrgRenamed {
			if t, err := time.Parse(custody.TimeFormat, ev.Time); err == nil {
				named = t
			}
		}
	}
	registered, err := ch.BlockTime(context.Background(), e.Height)
	if err != nil || named.IsZero() || !registered.After(named.Add(renameMargin)) {
		return nil // the block is not held (pruned), or the local name is the newer
	}
	_, _, err = orgs.UpdateOrgWithin(o.ID, access.OrgPatch{Name: &e.Name}, func(tx *bolt.Tx, before, after *access.Org) error {
		_, err := trails.AppendAuditTx(tx, o.ID, "node:"+member, custody.AuditOrgRenamed, "name:"+after.Name)
		return err
	})
	if errors.Is(err, access.ErrBadInput) {
		log.Error("the consortium's directory names an organization of this member otherwise than this node, and the name cannot be taken here", "org", o.ID, "name_here", o.Name, "name", e.Name, "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	log.Warn("renamed an organization as the consortium's directory names it: the directory registered that name after this node last named it (a rename lost in a restore from an older backup?)",
		"org", o.ID, "name_here", o.Name, "name", e.Name, "registered_height", e.Height)
	return nil
}

// renameMargin is how much later than an organization's local name the
// directory must have registered its name for adoptRename to take it:
// more than a registration takes (a round of registerOrgs, every 2 s, and
// a block) and than the node's clock may be off the block time.
const renameMargin = 10 * time.Second

// current is the current node member ID of the member that ran node
// member ID id (itself if the chain knows no other).
func current(ch *anchor.Chain, id string) string {
	if cur, _, err := ch.CurrentNode(id); err == nil && cur != "" {
		return cur
	}
	return id
}

// unregistered lists this node's organizations the directory does not
// list as they are and whose name is free, at most anchor.MaxOrgs, and
// has tell settle what each organization was told of name conflicts.
func unregistered(ch api.Directory, orgs *access.Store, tell *conflictTeller, log *slog.Logger) ([]anchor.OrgEntry, error) {
	all, err := orgs.Orgs()
	if err != nil {
		return nil, err
	}
	told, err := orgs.ToldConflicts()
	if err != nil {
		return nil, err
	}
	var out []anchor.OrgEntry
	for _, o := range all {
		st, err := api.DirectoryStatus(ch, o)
		if err != nil {
			return nil, err
		}
		if c, forget := conflictStep(o, told[o.ID], st); c != nil || forget {
			if err := tell.settle(o.ID, c); err != nil {
				log.Warn("telling an organization of a name conflict; will retry", "org", o.ID, "err", err)
			} else if c != nil {
				log.Warn("organization not in the consortium's directory: another organization holds its name; it was told to rename",
					"org", o.ID, "name", o.Name, "holder", c.Holder, "holder_member", c.HolderMember)
			}
		}
		if st != nil && st.Status == wire.DirectoryPending && len(out) < anchor.MaxOrgs {
			out = append(out, anchor.OrgEntry{ID: o.ID, Kind: o.Kind, Name: o.Name})
		}
	}
	return out, nil
}

// conflictStep decides, from what organization o was last told of a name
// conflict (told, nil if nothing) and where it stands in the directory
// now (st, api.DirectoryStatus), whether to tell it of a conflict (a new
// one, or another holder or name than it was told of) or to forget the
// one it was told of (it is registered now, so a later conflict is told
// again). While it is pending (renamed, not yet registered), what it was
// told stands.
func conflictStep(o access.Org, told *access.NameConflict, st *wire.OrgDirectory) (tell *access.NameConflict, forget bool) {
	switch {
	case st == nil:
		return nil, false
	case st.Status == wire.DirectoryConflict:
		c := access.NameConflict{Name: o.Name, Holder: st.Holder, HolderMember: st.HolderMember}
		if told != nil && *told == c {
			return nil, false
		}
		return &c, false
	case st.Status == wire.DirectoryRegistered:
		return nil, told != nil
	}
	return nil, false
}

// conflictTeller tells an organization of a name conflict: in one
// transaction, an org.name_conflict event on its audit chain (actor
// "node:<member>"), a directory.name_conflict webhook delivery to each of
// its webhooks subscribed to it, and the record that it was told
// (access.PutToldConflictTx), so that each conflict is told once, across
// restarts too.
type conflictTeller struct {
	ev     *evidence.Service
	hooks  *webhooks.Service   // nil: no webhooks
	member string              // this node's member ID
	name   func(string) string // a member's name by its node member ID (node.memberName)
}

// settle records that org was told of c (telling it), or, with a nil c,
// forgets what it was told.
func (t *conflictTeller) settle(org string, c *access.NameConflict) error {
	return t.ev.Update(func(tx *bolt.Tx) error {
		if err := access.PutToldConflictTx(tx, org, c); err != nil || c == nil {
			return err
		}
		e := &custody.Event{V: custody.EventVersion, Evidence: org, Type: custody.AuditOrgNameConflict,
			Time: custody.FormatTime(t.ev.Now()), Actor: "node:" + t.member,
			Subject: "holder:" + c.Holder + ":member:" + c.HolderMember + ":name:" + c.Name}
		if err := evidence.AppendAuditTx(tx, e); err != nil {
			return err
		}
		if t.hooks == nil {
			return nil
		}
		return t.hooks.PublishWithin(tx, org, webhooks.EventNameConflict, wire.NameConflict{
			Org: org, Name: c.Name, Holder: c.Holder, HolderMember: c.HolderMember, HolderMemberName: t.name(c.HolderMember),
		})
	})
}

// claimsToFile lists this node's organizations whose name another
// organization holds in the directory and whose claim to it the directory
// does not record yet (chain state version 5): registering them records
// the claim, so that the holder's member tells the holder.
func claimsToFile(ch *anchor.Chain, orgs *access.Store) ([]anchor.OrgEntry, error) {
	all, err := orgs.Orgs()
	if err != nil {
		return nil, err
	}
	claims, err := ch.Claims()
	if err != nil {
		return nil, err
	}
	filed := map[string]string{} // claimant → name
	for _, c := range claims {
		filed[c.Org] = c.Name
	}
	var out []anchor.OrgEntry
	for _, o := range all {
		st, err := api.DirectoryStatus(ch, o)
		if err != nil {
			return nil, err
		}
		if st != nil && st.Status == wire.DirectoryConflict && filed[o.ID] != o.Name && len(out) < anchor.MaxOrgs {
			out = append(out, anchor.OrgEntry{ID: o.ID, Kind: o.Kind, Name: o.Name})
		}
	}
	return out, nil
}

// tellHolders tells each of this node's organizations of every standing
// claim to its name by another member's organization, once per claimant
// and name.
func tellHolders(ch *anchor.Chain, orgs *access.Store, tell *conflictTeller, log *slog.Logger) error {
	claims, err := ch.Claims()
	if err != nil {
		return err
	}
	for _, c := range claims {
		if _, err := orgs.Org(c.Holder); err != nil {
			continue // another member's organization
		}
		told, err := orgs.ToldClaim(c.Holder, c.Org, c.Name)
		if err != nil || told {
			if err != nil {
				return err
			}
			continue
		}
		if err := tell.tellHolder(c); err != nil {
			return err
		}
		log.Warn("another member's organization claimed the name of one of this node's; both are told",
			"holder", c.Holder, "claimant", c.Org, "claimant_member", c.Member, "name", c.Name)
	}
	return nil
}

// tellHolder tells a holder of another organization's claim to its name,
// as settle tells a claimant: an org.name_claimed event on its audit
// chain, a directory.name_conflict webhook (with the claimant), and the
// record that it was told, in one transaction.
func (t *conflictTeller) tellHolder(c anchor.Claim) error {
	return t.ev.Update(func(tx *bolt.Tx) error {
		if access.ToldClaimTx(tx, c.Holder, c.Org, c.Name) {
			return nil
		}
		if err := access.PutToldClaimTx(tx, c.Holder, c.Org, c.Name); err != nil {
			return err
		}
		e := &custody.Event{V: custody.EventVersion, Evidence: c.Holder, Type: custody.AuditOrgNameClaimed,
			Time: custody.FormatTime(t.ev.Now()), Actor: "node:" + t.member,
			Subject: "claimant:" + c.Org + ":member:" + c.Member + ":name:" + c.Name}
		if err := evidence.AppendAuditTx(tx, e); err != nil {
			return err
		}
		if t.hooks == nil {
			return nil
		}
		return t.hooks.PublishWithin(tx, c.Holder, webhooks.EventNameConflict, wire.NameConflict{
			Org: c.Holder, Name: c.Name, Holder: c.Holder, HolderMember: t.member, HolderMemberName: t.name(t.member),
			Claimant: c.Org, ClaimantMember: c.Member, ClaimantMemberName: t.name(c.Member),
		})
	})
}
