package anchor

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"testing"

	"github.com/custos-project/custos/certs"
)

// rotateMember rotates m's validator key to a new one by a proposal in
// block 1 (with txs) voted in block 2; the rotation takes effect at block
// 4. It returns m's node under the new key.
func rotateMember(t *testing.T, app *App, root *certs.Authority, ms []*govMember, m *govMember, txs ...[]byte) *testNode {
	t.Helper()
	newKey, newPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block(t, app, 1, nil, append(txs,
		ms[0].propose(t, Proposal{ID: "rotate-1", Expires: 50, Action: ActRotate, Target: m.target(), ValidatorKey: newKey}))...)
	var votes [][]byte
	for _, v := range ms[:3] {
		votes = append(votes, v.ballot(t, "rotate-1", true))
	}
	block(t, app, 2, nil, votes...)
	block(t, app, 3, nil)
	block(t, app, 4, nil) // the rotation takes effect
	cert, err := m.org.IssueNode("node rotated", newKey, txNow)
	if err != nil {
		t.Fatal(err)
	}
	return &testNode{root: root, org: m.org, cert: cert, key: newPriv}
}

// A rotated member's node goes on anchoring under its new key: a custody
// head whose first event is in a batch it anchored under its old key
// moves, the batch is found under the new member ID, and the same batch
// resubmitted under the new key is a duplicate, not a second copy.
func TestGovRotatedKeepsBatches(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	app := newGovApp(t, filepath.Join(t.TempDir(), "app.db"), root, ms)
	old := ms[1]
	first := testLeaves(0, 2)
	rotated := rotateMember(t, app, root, ms, old, old.batch4(t, 1, first, nil, nil))
	newID := MemberID(rotated.cert)

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

// A rotated member's directory entries, registrations and deposits read
// as its own: the read methods give its current node member ID, while the
// chain keeps (StoredOrg, StoredRegistration) and checks transactions
// against the ID they were recorded under.
func TestGovRotatedRecordsRead(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	app := newGovApp(t, filepath.Join(t.TempDir(), "app.db"), root, ms)
	old, other := ms[1], ms[2]
	rotated := rotateMember(t, app, root, ms, old,
		old.batch4(t, 1, testLeaves(0, 2), nil, []Deposit{{Batch: 1, SHA256: digest("filed before")}}),
		old.dir(t, OrgEntry{ID: "org-1", Kind: "owner", Name: "Owner One"}),
		other.dir(t, OrgEntry{ID: "org-2", Kind: "owner", Name: "Owner Two"}),
		old.reg(t, Registration{ID: "R1", Org: "org-1", Files: []RegFile{regFile("work")}}))
	newID := MemberID(rotated.cert)

	for _, c := range []struct {
		node, want string
		ok         bool
	}{
		{old.id, newID, true},
		{newID, newID, true},
		{other.id, other.id, true},
		{hex.EncodeToString(make([]byte, 32)), hex.EncodeToString(make([]byte, 32)), false},
		{"not hex", "not hex", false},
	} {
		if got, ok, err := app.CurrentNode(c.node); got != c.want || ok != c.ok || err != nil {
			t.Errorf("CurrentNode(%.8s) = %.8s, %v, %v; want %.8s, %v", c.node, got, ok, err, c.want, c.ok)
		}
	}
	if e, ok, _ := app.Org("org-1"); !ok || e.Member != newID {
		t.Errorf("Org(org-1).Member = %.8s, %v; want the new node's %.8s", e.Member, ok, newID)
	}
	if e, _, _ := app.OrgByName("Owner One"); e.Member != newID {
		t.Errorf("OrgByName(Owner One).Member = %.8s, want %.8s", e.Member, newID)
	}
	if all, _ := app.Orgs(); len(all) != 2 || all[0].Member != newID || all[1].Member != other.id {
		t.Errorf("Orgs() = %+v; want org-1 on %.8s, org-2 on %.8s", all, newID, other.id)
	}
	if e, _, _ := app.StoredOrg("org-1"); e.Member != old.id {
		t.Errorf("StoredOrg(org-1).Member = %.8s, want the old %.8s", e.Member, old.id)
	}
	if d, ok, _ := app.Deposit(digest("filed before")); !ok || d.Member != newID {
		t.Errorf("Deposit(filed before) = %+v, %v; want Member %.8s", d, ok, newID)
	}
	for _, node := range []string{newID, old.id} {
		if e, ok, _ := app.Registration(node, "R1"); !ok || e.Member != newID || e.Org != "org-1" {
			t.Errorf("Registration(%.8s, R1) = %+v, %v; want it with Member %.8s", node, e, ok, newID)
		}
	}
	if _, ok, _ := app.Registration(other.id, "R1"); ok {
		t.Error("Registration(another member, R1) found the rotated member's")
	}
	if _, ok, _ := app.StoredRegistration(newID, "R1"); ok {
		t.Error("StoredRegistration(new ID, R1) found an entry stored under the old one")
	}
	e, ok, _ := app.StoredRegistration(old.id, "R1")
	if !ok || e.Member != old.id {
		t.Errorf("StoredRegistration(old ID, R1) = %+v, %v", e, ok)
	}
	if es, _ := app.RegistrationsByNumber(e.Number); len(es) != 1 || es[0].Member != newID {
		t.Errorf("RegistrationsByNumber(%s) = %+v; want R1 with Member %.8s", e.Number, es, newID)
	}
	sum := digest("work")
	if ms, _, _ := app.SearchRegister(&sum, nil, 0, 10); len(ms) != 1 || ms[0].Entry.Member != newID {
		t.Errorf("SearchRegister(work) = %+v; want R1 with Member %.8s", ms, newID)
	}

	// Nothing changed on the write side: the chain checks the rotated
	// node's transactions against the ID stored.
	if code, log := checkTx(t, app, rotated.dir(t, OrgEntry{ID: "org-1", Kind: "owner", Name: "Owner One Renamed"})); code != CodeNotOwner {
		t.Errorf("CheckTx(rename org-1 from the rotated node) = %d %q, want CodeNotOwner", code, log)
	}
}
