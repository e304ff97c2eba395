package anchor

import (
	"bytes"
	"path/filepath"
	"testing"
)

// A chain at state version 7 moves to 8 at the height its validators
// voted for; blocks below it give the AppHash a chain that stays at 7
// gives (replay identity), and from it the version-8 rules apply: here a
// legacy number of the chain's form (chain review finding 6), taken at 7
// and refused at 8. A vote for a version after MaxState is refused.
func TestUpgradeToV8(t *testing.T) {
	nodes := []*testNode{newTestNode(t, nil)}
	for range 2 {
		nodes = append(nodes, newTestNode(t, nodes[0].org))
	}
	a, b, c := nodes[0], nodes[1], nodes[2]
	up := newAppAt(t, filepath.Join(t.TempDir(), "up.db"), StateV7, a.root, nodes...)
	stay := newAppAt(t, filepath.Join(t.TempDir(), "stay.db"), StateV7, a.root, nodes...)
	vote := UpgradeVote{Version: StateV8, Height: 3}
	spoof := func(id string) []byte {
		return b.reg(t, Registration{ID: id, Legacy: "CUS-(2026)-作登字-M1-000001", Files: []RegFile{regFile(id)}})
	}
	blocks := [][][]byte{
		{a.reg(t, Registration{ID: "R1", Files: []RegFile{regFile("a's work")}}), a.vote(t, vote), b.vote(t, vote), c.vote(t, vote)},
		{spoof("R2")},
		{spoof("R3")},
	}
	for i, txs := range blocks {
		h := int64(i + 1)
		res := finalize(t, up, h, txs...)
		commit(t, up)
		other := finalize(t, stay, h, txs[:1]...)
		commit(t, stay)
		want := CodeOK
		if h == 3 {
			want = CodeNotOwner
		}
		if got := codes(res)[0]; got != want {
			t.Errorf("block %d: code %d (%s), want %d", h, got, res.TxResults[0].Log, want)
		}
		if h == 1 {
			continue // the votes are only in up's block
		}
		if same := bytes.Equal(res.AppHash, other.AppHash); same != (uint64(h) < vote.Height) {
			t.Errorf("block %d: AppHash %x, at version 7 throughout %x; want them equal only before the upgrade", h, res.AppHash, other.AppHash)
		}
	}
	if up.StateVersion() != StateV8 || stay.StateVersion() != StateV7 {
		t.Fatalf("versions %d and %d, want 8 and 7", up.StateVersion(), stay.StateVersion())
	}
	res := finalize(t, up, 4, a.vote(t, UpgradeVote{Version: MaxState + 1, Height: 10}))
	commit(t, up)
	if got := codes(res)[0]; got != CodeVersion {
		t.Errorf("a vote for state version %d at 8: code %d, want %d", MaxState+1, got, CodeVersion)
	}
}
