package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/custos-project/custos/anchor"
)

// watchRemoval logs, once, that this node's member was removed from the
// consortium (docs/governance.md, "Leaving the consortium"): from then on
// the API refuses uploads (403 member-removed), since the chain would
// never anchor them, and keeps serving what the node holds. It checks the
// member list as often as registerOrgs compares the directory.
func watchRemoval(ctx context.Context, ch *anchor.Chain, log *slog.Logger) {
	tick := time.NewTicker(directoryEvery)
	defer tick.Stop()
	self := ch.Member()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		former, err := ch.FormerMembers()
		if err != nil {
			continue
		}
		if m, ok := former[self]; ok {
			log.Error("this node's member was removed from the consortium; uploads are refused, what the node holds is still served",
				"member", m.ID, "name", m.Name, "removed_at", m.Removed)
			return
		}
	}
}
