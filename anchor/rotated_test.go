package anchor

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
	bolt "go.etcd.io/bbolt"
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
	p := ms[0].propose(t, Proposal{ID: "rotate-1", Expires: 50, Action: ActRotate, Target: m.target(), ValidatorKey: newKey})
	block(t, app, 1, nil, append(txs, p)...)
	var votes [][]byte
	for _, v := range ms[:3] {
		if app.StateVersion() >= StateV9 {
			votes = append(votes, v.ballot9(t, "rotate-1", proposalHashOf(t, p), true))
		} else {
			votes = append(votes, v.ballot(t, "rotate-1", true))
		}
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
// chain keeps the ID they were recorded under (StoredOrg,
// StoredRegistration).
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
}

// A rotated member's node updates its records from before the rotation:
// it renames its organization, files a registration naming it and revokes
// a registration filed under its old key, which stays where it was stored;
// another member's node, and the member's own once it is removed, are
// refused as before, in CheckTx and in the block alike, changing nothing.
func TestGovRotatedRecordsWrite(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	app := newGovApp(t, filepath.Join(t.TempDir(), "app.db"), root, ms)
	old, other := ms[1], ms[2]
	rotated := rotateMember(t, app, root, ms, old,
		old.dir(t, OrgEntry{ID: "org-1", Kind: "owner", Name: "Owner One"}),
		other.dir(t, OrgEntry{ID: "org-2", Kind: "owner", Name: "Owner Two"}),
		old.reg(t, Registration{ID: "R1", Org: "org-1", Files: []RegFile{regFile("work")}}))
	newID := MemberID(rotated.cert)
	rename := func(n *testNode, name string) []byte {
		return n.dir(t, OrgEntry{ID: "org-1", Kind: "owner", Name: name})
	}
	unchanged := func(when string) {
		t.Helper()
		if e, _, _ := app.StoredOrg("org-1"); e.Name != "Owner One" || e.Member != old.id {
			t.Errorf("%s: org-1 = %+v, want Owner One under the old ID", when, e)
		}
		if e, _, _ := app.StoredRegistration(old.id, "R1"); e.RevokedHeight != 0 {
			t.Errorf("%s: R1 revoked at %d", when, e.RevokedHeight)
		}
	}

	// Another member's node: refused as before.
	refused := [][]byte{
		rename(other.testNode, "Taken Over"),
		other.reg(t, Registration{ID: "R7", Org: "org-1", Files: []RegFile{regFile("theirs")}}),
		other.reg(t, Registration{ID: "R1", Revoked: true}),
	}
	codes := []uint32{CodeNotOwner, CodeNotOwner, CodeStale}
	for i, raw := range refused {
		if code, log := checkTx(t, app, raw); code != codes[i] {
			t.Errorf("CheckTx(another member's tx %d) = %d %q, want %d", i, code, log, codes[i])
		}
	}
	block(t, app, 5, codes, refused...)
	unchanged("after another member's transactions")

	// The rotated node: its organization and registration are its own.
	mine := [][]byte{
		rename(rotated, "Owner One Renamed"),
		rotated.reg(t, Registration{ID: "R2", Org: "org-1", Files: []RegFile{regFile("new work")}}),
		rotated.reg(t, Registration{ID: "R1", Revoked: true}),
	}
	for i, raw := range mine {
		if code, log := checkTx(t, app, raw); code != CodeOK {
			t.Errorf("CheckTx(the rotated node's tx %d) = %d %q, want CodeOK", i, code, log)
		}
	}
	block(t, app, 6, nil, mine...)
	if e, _, _ := app.StoredOrg("org-1"); e.Name != "Owner One Renamed" || e.Member != newID {
		t.Errorf("org-1 = %+v, want renamed under the new ID %.8s", e, newID)
	}
	if e, ok, _ := app.StoredRegistration(newID, "R2"); !ok || e.Org != "org-1" {
		t.Errorf("StoredRegistration(new ID, R2) = %+v, %v; want it naming org-1", e, ok)
	}
	if e, ok, _ := app.StoredRegistration(old.id, "R1"); !ok || e.RevokedHeight != 6 {
		t.Errorf("StoredRegistration(old ID, R1) = %+v, %v; want it revoked at 6", e, ok)
	}
	if _, ok, _ := app.StoredRegistration(newID, "R1"); ok {
		t.Error("the revocation stored a second R1 under the new ID")
	}
	if code, log := checkTx(t, app, rotated.reg(t, Registration{ID: "R1", Org: "org-1", Files: []RegFile{regFile("work")}})); code != CodeDuplicate {
		t.Errorf("CheckTx(R1 again, under the new key) = %d %q, want CodeDuplicate", code, log)
	}

	// Once the member is removed, its node is not, and no key of the
	// member's is another's.
	block(t, app, 7, nil, ms[0].propose(t, Proposal{ID: "remove-1", Expires: 50, Action: ActRemove, Target: old.target(), Override: true}))
	var votes [][]byte
	for _, v := range []*govMember{ms[0], ms[2], ms[3]} {
		votes = append(votes, v.ballot(t, "remove-1", true))
	}
	block(t, app, 8, nil, votes...)
	block(t, app, 9, nil)
	block(t, app, 10, nil) // the removal takes effect
	late := rotated.reg(t, Registration{ID: "R3", Org: "org-1", Files: []RegFile{regFile("late")}})
	if code, log := checkTx(t, app, late); code != CodeNotMember {
		t.Errorf("CheckTx(the removed member's registration) = %d %q, want CodeNotMember", code, log)
	}
	block(t, app, 11, []uint32{CodeNotMember}, late)
	app.db.View(func(tx *bolt.Tx) error {
		if sameMember(tx, newID, old.id) || sameMember(tx, old.id, newID) {
			t.Error("sameMember: the removed member's keys are still one member's")
		}
		if !sameMember(tx, newID, newID) {
			t.Error("sameMember(an ID, itself) = false")
		}
		return nil
	})
	if _, ok, _ := app.StoredRegistration(newID, "R3"); ok {
		t.Error("the removed member's registration is in the register")
	}
}

// Review of the copyright register (session 19), finding K1: below state
// version 11 the chain counted a member's registrations of the year under
// the node key that signs them (regseq: year ‖ node member ID), so once a
// member's validator key was rotated its count started again, at the same
// place, and the first registration it filed under the new key took the
// number its first one of the year took under the old key. Blocks below
// 11 keep that transition (a replaying node must reach the AppHash the
// chain holds); from 11 the count is the place's.
func TestRotatedMemberNumbers(t *testing.T) {
	year := txNow.Add(time.Minute).In(cstZone).Format("2006")
	number := func(n int) string { return fmt.Sprintf("CUS-(%s)-作登字-M2-%06d", year, n) }
	for _, c := range []struct {
		version int
		r2      string
	}{
		{StateV10, number(1)}, // the number R1 took: K1
		{StateV11, number(2)},
	} {
		t.Run(fmt.Sprint("version ", c.version), func(t *testing.T) {
			root, ms := newGovConsortium(t, 4)
			app := newGovAppAt(t, filepath.Join(t.TempDir(), "app.db"), root, ms, c.version)
			old := ms[1]
			rotated := rotateMember(t, app, root, ms, old,
				old.reg(t, Registration{ID: "R1", Files: []RegFile{regFile("work")}}))
			newID := MemberID(rotated.cert)
			block(t, app, 5, nil, rotated.reg(t, Registration{ID: "R2", Files: []RegFile{regFile("new work")}}))
			r1, _, _ := app.Registration(old.id, "R1")
			r2, _, _ := app.Registration(newID, "R2")
			if r1.Number != number(1) || r2.Number != c.r2 {
				t.Errorf("numbers of R1 (old key) and R2 (new key) = %q, %q; want %q, %q", r1.Number, r2.Number, number(1), c.r2)
			}
			if es, _ := app.RegistrationsByNumber(c.r2); c.version >= StateV11 && len(es) != 1 {
				t.Errorf("RegistrationsByNumber(%s) = %+v; want R2 alone", c.r2, es)
			}
		})
	}
}

// TestUpgradeToV11: a member rotated at version 10 gave two numbers of the
// year under its old key and, repeating the first, one under its new key;
// once the chain runs at 11, the member's next number comes after the
// highest of the year under either key, and the one after it follows on.
// Another member's count, under its one key, goes on as it was.
func TestUpgradeToV11(t *testing.T) {
	year := txNow.Add(time.Minute).In(cstZone).Format("2006")
	number := func(place, n int) string { return fmt.Sprintf("CUS-(%s)-作登字-M%d-%06d", year, place, n) }
	root, ms := newGovConsortium(t, 4)
	app := newGovAppAt(t, filepath.Join(t.TempDir(), "app.db"), root, ms, StateV10)
	old, other := ms[1], ms[2]
	rotated := rotateMember(t, app, root, ms, old,
		old.reg(t, Registration{ID: "R1", Files: []RegFile{regFile("one")}}, Registration{ID: "R2", Files: []RegFile{regFile("two")}}),
		other.reg(t, Registration{ID: "S1", Files: []RegFile{regFile("other one")}}))
	newID := MemberID(rotated.cert)
	vote := UpgradeVote{Version: StateV11, Height: 7}
	block(t, app, 5, nil, rotated.reg(t, Registration{ID: "R3", Files: []RegFile{regFile("three")}}),
		ms[0].vote(t, vote), ms[2].vote(t, vote), ms[3].vote(t, vote))
	block(t, app, 6, nil)
	if v := app.StateVersion(); v != StateV10 {
		t.Fatalf("below the upgrade height: version %d, want 10", v)
	}
	block(t, app, 7, nil, rotated.reg(t, Registration{ID: "R4", Files: []RegFile{regFile("four")}}),
		other.reg(t, Registration{ID: "S2", Files: []RegFile{regFile("other two")}}))
	block(t, app, 8, nil, rotated.reg(t, Registration{ID: "R5", Files: []RegFile{regFile("five")}}))
	if v := app.StateVersion(); v != StateV11 {
		t.Fatalf("from the upgrade height: version %d, want 11", v)
	}
	for _, c := range []struct {
		member, id, want string
	}{
		{old.id, "R1", number(2, 1)},
		{old.id, "R2", number(2, 2)},
		{newID, "R3", number(2, 1)}, // at 10: K1, kept as the chain gave it
		{newID, "R4", number(2, 3)}, // at 11: after the old key's 2
		{newID, "R5", number(2, 4)},
		{other.id, "S1", number(3, 1)},
		{other.id, "S2", number(3, 2)},
	} {
		if e, ok, err := app.Registration(c.member, c.id); err != nil || !ok || e.Number != c.want {
			t.Errorf("registration %s: number %q (found %v, %v), want %q", c.id, e.Number, ok, err, c.want)
		}
	}
}
