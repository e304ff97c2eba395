package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
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
// and logged once: rename it (a name is unique consortium-wide, the first
// registration keeps it; docs/operations.md).
func registerOrgs(ctx context.Context, ch *anchor.Chain, orgs *access.Store, log *slog.Logger) {
	tick := time.NewTicker(directoryEvery)
	defer tick.Stop()
	told := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if ch.StateVersion() < anchor.StateV4 {
			continue
		}
		todo, err := unregistered(ch, orgs, told, log)
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

// unregistered lists this node's organizations the directory does not
// list as they are, at most anchor.MaxOrgs.
func unregistered(ch *anchor.Chain, orgs *access.Store, told map[string]bool, log *slog.Logger) ([]anchor.OrgEntry, error) {
	all, err := orgs.Orgs()
	if err != nil {
		return nil, err
	}
	var out []anchor.OrgEntry
	for _, o := range all {
		if o.Kind == access.KindOperator || len(out) == anchor.MaxOrgs {
			continue
		}
		e, ok, err := ch.Org(o.ID)
		if err != nil {
			return nil, err
		}
		if ok && e.Name == o.Name && e.Kind == o.Kind {
			continue
		}
		holder, taken, err := ch.OrgByName(o.Name)
		if err != nil {
			return nil, err
		}
		if taken && holder.ID != o.ID {
			if !told[o.ID] {
				told[o.ID] = true
				log.Warn("organization not in the consortium's directory: another organization holds its name; rename it",
					"org", o.ID, "name", o.Name, "holder", holder.ID, "holder_member", holder.Member)
			}
			continue
		}
		out = append(out, anchor.OrgEntry{ID: o.ID, Kind: o.Kind, Name: o.Name})
	}
	return out, nil
}
