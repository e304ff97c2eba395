package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/peer"
)

// TestMemberSoftware: each member's answer in UpgradeReadiness: this node
// (under its key or a rotated one) runs this build without being asked;
// the others are asked, and one that answers 404 (older software), one
// that fails (its reason kept) and one that answers are each reported as
// such; without a peer API every other member has a reason and none is
// asked; a chain of one member is this node. The list is sorted by name.
func TestMemberSoftware(t *testing.T) {
	members := map[string]string{"aa": "Court A", "bb": "Notary B", "cc": "Arbitration C", "dd": "Court D", "ee": "Court E"}
	self := map[string]bool{"aa": true, "dd": true} // dd: the ID after a rotation not adopted yet
	var asked atomic.Int32
	ask := func(_ context.Context, id string) (*peer.Software, error) {
		asked.Add(1)
		switch id {
		case "bb":
			return &peer.Software{Member: id, Version: "v9", LatestState: 13}, nil
		case "cc":
			return nil, peer.ErrNoSoftware
		case "ee":
			return nil, fmt.Errorf("peer: the member's node is unreachable")
		}
		t.Errorf("asked %s, which is this node", id)
		return nil, errors.New("unexpected")
	}
	got := memberSoftware(context.Background(), members, self, ask)
	if asked.Load() != 3 {
		t.Errorf("asked %d members, want the 3 others", asked.Load())
	}
	var names []string
	for _, m := range got {
		names = append(names, m.Name)
	}
	if strings.Join(names, ",") != "Arbitration C,Court A,Court D,Court E,Notary B" {
		t.Errorf("order %v, want by name", names)
	}
	byID := map[string]int{}
	for i, m := range got {
		byID[m.Member] = i
	}
	for id, want := range map[string]struct {
		latest int
		reason string
	}{
		"aa": {anchor.MaxState, ""}, "dd": {anchor.MaxState, ""}, "bb": {13, ""},
		"cc": {0, "older than this question"}, "ee": {0, "unreachable"},
	} {
		m := got[byID[id]]
		if m.LatestState != want.latest || want.reason == "" && m.Reason != "" || want.reason != "" && !strings.Contains(m.Reason, want.reason) {
			t.Errorf("%s: latest %d, reason %q; want %d and a reason with %q", id, m.LatestState, m.Reason, want.latest, want.reason)
		}
		if want.reason == "" && m.Version == "" {
			t.Errorf("%s: no version", id)
		}
	}

	asked.Store(0)
	for _, m := range memberSoftware(context.Background(), members, self, nil) {
		if !self[m.Member] && (m.LatestState != 0 || !strings.Contains(m.Reason, "no peer API")) {
			t.Errorf("without a peer API, %s: %+v, want a reason and no version", m.Member, m)
		}
	}
	if asked.Load() != 0 {
		t.Errorf("without a peer API, %d members asked", asked.Load())
	}

	one := memberSoftware(context.Background(), map[string]string{"zz": "Solo Court"}, nil, nil)
	if len(one) != 1 || one[0].LatestState != anchor.MaxState || one[0].Reason != "" {
		t.Errorf("a chain of one member: %+v, want this node's build", one)
	}
}
