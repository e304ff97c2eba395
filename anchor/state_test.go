package anchor

import (
	"bytes"
	"path/filepath"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/custos-project/custos/anchor/vmap"
	"github.com/custos-project/custos/certs"
)

// newAppV2 is newTestApp for a chain that starts at state version 2.
func newAppV2(t *testing.T, path string, root *certs.Authority, validators ...*testNode) *App {
	t.Helper()
	return newAppAt(t, path, StateV2, root, validators...)
}

func codes(res *abci.ResponseFinalizeBlock) []uint32 {
	var out []uint32
	for _, r := range res.TxResults {
		out = append(out, r.Code)
	}
	return out
}

func TestStateV2Heads(t *testing.T) {
	a := newTestNode(t, nil)
	b := newTestNode(t, a.org) // a second validator under the same consortium
	path := filepath.Join(t.TempDir(), "app.db")
	app := newAppV2(t, path, a.root, a, b)
	heads := testHeads(3)

	res := finalize(t, app, 1, a.batch2(t, 1, testLeaves(0, 2), heads), a.tx(t, testChainID, 2, testLeaves(2, 1)))
	commit(t, app)
	if got := codes(res); got[0] != CodeOK || got[1] != CodeVersion {
		t.Fatalf("codes = %v, want OK and CodeVersion (a version-1 batch at state version 2)", got)
	}
	if len(res.AppHash) != 73 || res.AppHash[0] != StateV2 {
		t.Fatalf("AppHash = %x, want 0x02 ‖ size ‖ root ‖ state root", res.AppHash)
	}
	want := vmap.New()
	for _, h := range heads {
		want = want.Set(h.Key, h.Value)
	}
	if got, r := res.AppHash[41:], want.Root(); !bytes.Equal(got, r[:]) {
		t.Errorf("state root = %x, want %x", got, r)
	}

	// Another member may not move a's heads; the whole batch is refused.
	res = finalize(t, app, 2, b.batch2(t, 1, testLeaves(5, 1), heads[:1]))
	commit(t, app)
	if got := codes(res); got[0] != CodeNotOwner {
		t.Fatalf("another member's head: code %v, want CodeNotOwner", got)
	}
	if size := res.AppHash[1:9]; !bytes.Equal(size, []byte{0, 0, 0, 0, 0, 0, 0, 2}) {
		t.Errorf("a refused batch changed the log: size %x", size)
	}
	// A head that does not move forward is skipped; one that does, moves.
	older := heads[2]
	older.Events, older.Value = 1, [32]byte{9}
	newer := heads[1]
	newer.Events, newer.Value = 10, [32]byte{7}
	res = finalize(t, app, 3, a.batch2(t, 3, nil, []HeadUpdate{older, newer}))
	commit(t, app)
	if got := codes(res); got[0] != CodeOK {
		t.Fatalf("codes = %v", got)
	}
	want = want.Set(newer.Key, newer.Value)
	if got, r := res.AppHash[41:], want.Root(); !bytes.Equal(got, r[:]) {
		t.Errorf("after a forward and a stale head: state root %x, want %x", got, r)
	}

	// Proofs at each height, then again after a restart.
	check := func(app *App) {
		t.Helper()
		for h, tc := range map[int64]struct {
			key   [32]byte
			value [32]byte
		}{1: {heads[1].Key, heads[1].Value}, 2: {heads[1].Key, heads[1].Value}, 3: {newer.Key, newer.Value}} {
			p, err := app.ProveState(tc.key, h)
			if err != nil || !p.Found || p.Value != tc.value {
				t.Fatalf("ProveState(height %d) = %+v, %v", h, p, err)
			}
			if err := vmap.VerifyMembership(p.Root, tc.key, tc.value, p.Siblings); err != nil {
				t.Errorf("height %d: %v", h, err)
			}
		}
		if _, err := app.ProveState(heads[0].Key, 4); err == nil {
			t.Errorf("ProveState(a height not yet committed) = nil error")
		}
	}
	check(app)
	app.db.Close()
	again, err := NewApp(AppConfig{DB: openDB(t, path), ChainID: testChainID, Root: a.root.Cert})
	if err != nil {
		t.Fatal(err)
	}
	if again.StateVersion() != StateV2 {
		t.Errorf("after restart: state version %d", again.StateVersion())
	}
	check(again)
}

func TestUpgradeVotes(t *testing.T) {
	nodes := []*testNode{newTestNode(t, nil)}
	for i := 0; i < 3; i++ {
		nodes = append(nodes, newTestNode(t, nodes[0].org))
	}
	app := newTestApp(t, filepath.Join(t.TempDir(), "app.db"), nodes[0].root, nodes...)
	vote := UpgradeVote{Version: 2, Height: 5}
	res := finalize(t, app, 1,
		nodes[0].vote(t, vote), nodes[1].vote(t, vote),
		nodes[0].vote(t, vote),                                // counted once
		nodes[2].vote(t, UpgradeVote{Version: 3, Height: 5}),  // not the next version
		nodes[3].vote(t, UpgradeVote{Version: 2, Height: 1}),  // not ahead
		nodes[0].batch2(t, 1, testLeaves(0, 1), testHeads(1)), // a version-2 batch before the upgrade
	)
	commit(t, app)
	want := []uint32{CodeOK, CodeOK, CodeDuplicate, CodeStale, CodeStale, CodeVersion}
	for i, c := range codes(res) {
		if c != want[i] {
			t.Errorf("tx %d: code %d (%s), want %d", i, c, res.TxResults[i].Log, want[i])
		}
	}
	v, plans, err := app.UpgradeStatus()
	if err != nil || v != 1 || len(plans) != 1 || plans[0].VotedPower != 20 || plans[0].WillHappen {
		t.Fatalf("UpgradeStatus = %d %+v %v; want 2 of 4 votes, not enough", v, plans, err)
	}
	// Two of four (half the power) is not more than 2/3: height 5 stays at 1.
	for h := int64(2); h <= 5; h++ {
		res = finalize(t, app, h)
		commit(t, app)
	}
	if app.StateVersion() != 1 || len(res.AppHash) != 40 {
		t.Fatalf("with half the power: version %d, AppHash %d bytes", app.StateVersion(), len(res.AppHash))
	}
	// Three of four for height 8: block 8 runs version 2.
	vote = UpgradeVote{Version: 2, Height: 8}
	res = finalize(t, app, 6, nodes[0].vote(t, vote), nodes[1].vote(t, vote), nodes[2].vote(t, vote))
	commit(t, app)
	if _, plans, _ := app.UpgradeStatus(); !plans[len(plans)-1].WillHappen {
		t.Errorf("3 of 4 votes: %+v, want will_happen", plans)
	}
	res = finalize(t, app, 7, nodes[0].tx(t, testChainID, 1, testLeaves(0, 1)))
	commit(t, app)
	if app.StateVersion() != 1 || len(res.AppHash) != 40 || res.TxResults[0].Code != CodeOK {
		t.Fatalf("block 7: version %d, AppHash %d bytes, code %d", app.StateVersion(), len(res.AppHash), res.TxResults[0].Code)
	}
	res = finalize(t, app, 8, nodes[0].tx(t, testChainID, 2, testLeaves(1, 1)), nodes[0].batch2(t, 3, testLeaves(2, 1), testHeads(2)))
	commit(t, app)
	if app.StateVersion() != 2 || len(res.AppHash) != 73 {
		t.Fatalf("block 8: version %d, AppHash %d bytes; want 2 and 73", app.StateVersion(), len(res.AppHash))
	}
	if got := codes(res); got[0] != CodeVersion || got[1] != CodeOK {
		t.Errorf("block 8 codes = %v, want a version-1 batch refused and a version-2 one applied", got)
	}
}
