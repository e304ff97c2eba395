package anchor

import (
	"crypto/ed25519"
	"crypto/rand"
	"path/filepath"
	"testing"
)

// A rotated member's node goes on anchoring under its new key: a custody
// head whose first event is in a batch it anchored under its old key
// moves, the batch is found under the new member ID, and the same batch
// resubmitted under the new key is a duplicate, not a second copy.
func TestGovRotatedKeepsBatches(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	app := newGovApp(t, filepath.Join(t.TempDir(), "app.db"), root, ms)
	newKey, newPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	old := ms[1]
	first := testLeaves(0, 2)
	block(t, app, 1, nil, old.batch4(t, 1, first, nil, nil),
		ms[0].propose(t, Proposal{ID: "rotate-1", Expires: 50, Action: ActRotate, Target: old.target(), ValidatorKey: newKey}))
	var votes [][]byte
	for _, m := range ms[:3] {
		votes = append(votes, m.ballot(t, "rotate-1", true))
	}
	block(t, app, 2, nil, votes...)
	block(t, app, 3, nil)
	block(t, app, 4, nil) // the rotation takes effect
	cert, err := old.org.IssueNode("node1 rotated", newKey, txNow)
	if err != nil {
		t.Fatal(err)
	}
	rotated := &testNode{root: root, org: old.org, cert: cert, key: newPriv}
	newID := MemberOfKey(newKey)

	if code, log := checkTx(t, app, rotated.batch4(t, 1, first, nil, nil)); code != CodeDuplicate {
		t.Errorf("CheckTx(batch 1 again, under the new key) = %d %q, want CodeDuplicate", code, log)
	}
	inc, ok, err := app.Applied(newID, 1)
	if err != nil || !ok || inc.First != 0 || inc.Count != 2 || inc.Height != 1 {
		t.Errorf("Applied(new member ID, 1) = %+v, %v, %v; want the batch of block 1", inc, ok, err)
	}
	head := []HeadUpdate{{Key: [32]byte{7}, Batch: 1, Offset: 1, Events: 2, Value: [32]byte{8}}}
	block(t, app, 5, nil, rotated.batch4(t, 2, testLeaves(2, 1), head, nil))
	if _, ok, _ := app.Applied(newID, 2); !ok {
		t.Error("the rotated node's batch 2 is not in the log")
	}
	if _, ok, _ := app.Applied(old.id, 1); !ok {
		t.Error("batch 1 under the old key is no longer found")
	}
	// Another member's batch of the same number is its own.
	block(t, app, 6, nil, ms[2].batch4(t, 1, testLeaves(3, 1), nil, nil))
}
