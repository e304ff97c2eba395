package anchor

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/certs"
)

// govMember is a consortium member: its node (under its own organization
// CA) and its governance key.
type govMember struct {
	*testNode
	gov *certs.Leaf
	id  string // member ID: MemberOfKey of its validator key
}

// newGovMember makes a member of kind under root, with power 10.
func newGovMember(t testing.TB, root *certs.Authority, kind, name string) *govMember {
	t.Helper()
	org, err := root.NewOrgCA(kind, name, txNow)
	if err != nil {
		t.Fatal(err)
	}
	n := newTestNode(t, org)
	n.root = root
	gov, err := org.IssueGovernance(name+" governance", txNow)
	if err != nil {
		t.Fatal(err)
	}
	return &govMember{testNode: n, gov: gov, id: MemberOfKey(n.key.Public().(ed25519.PublicKey))}
}

// newGovConsortium makes a root and n members, the first a court and the
// others notary offices.
func newGovConsortium(t testing.TB, n int) (*certs.Authority, []*govMember) {
	t.Helper()
	root, err := certs.NewRoot("Gov Root", txNow)
	if err != nil {
		t.Fatal(err)
	}
	var ms []*govMember
	for i := range n {
		kind := certs.KindNotary
		if i == 0 {
			kind = certs.KindCourt
		}
		ms = append(ms, newGovMember(t, root, kind, fmt.Sprintf("Member %d", i)))
	}
	return root, ms
}

// newGovApp starts a chain at state version 6 whose genesis names each
// member's organization CA.
func newGovApp(t *testing.T, path string, root *certs.Authority, ms []*govMember) *App {
	t.Helper()
	return newGovAppAt(t, path, root, ms, StateV6)
}

// newGovAppAt is newGovApp at state version (6 or later).
func newGovAppAt(t *testing.T, path string, root *certs.Authority, ms []*govMember, version int) *App {
	t.Helper()
	app, err := NewApp(AppConfig{DB: openDB(t, path), ChainID: testChainID, Root: root.Cert})
	if err != nil {
		t.Fatal(err)
	}
	var vals []GenesisValidator
	req := &abci.RequestInitChain{}
	for _, m := range ms {
		pub := m.key.Public().(ed25519.PublicKey)
		vals = append(vals, GenesisValidator{PubKey: pub, Power: 10, OrgCA: m.org.Cert})
		req.Validators = append(req.Validators, abci.Ed25519ValidatorUpdate(pub, 10))
	}
	req.AppStateBytes = GenesisStateMembers(root.Cert, version, vals)
	if _, err := app.InitChain(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	return app
}

func (m *govMember) propose(t testing.TB, p Proposal) []byte {
	t.Helper()
	b, err := NewProposeTx(testChainID, m.gov.Cert, m.org.Cert, m.gov.Signer, m.id, p)
	if err != nil {
		t.Fatalf("NewProposeTx() = %v", err)
	}
	return b
}

func (m *govMember) ballot(t testing.TB, id string, yes bool) []byte {
	t.Helper()
	b, err := NewVoteTx(testChainID, m.gov.Cert, m.org.Cert, m.gov.Signer, m.id, id, yes)
	if err != nil {
		t.Fatalf("NewVoteTx() = %v", err)
	}
	return b
}

// ballot9 is m's version-9 vote on proposal id, naming proposal as its
// SHA-256.
func (m *govMember) ballot9(t testing.TB, id string, proposal [32]byte, yes bool) []byte {
	t.Helper()
	b, err := NewVoteTx9(testChainID, m.gov.Cert, m.org.Cert, m.gov.Signer, m.id, id, proposal, yes)
	if err != nil {
		t.Fatalf("NewVoteTx9() = %v", err)
	}
	return b
}

// revoke is m's organization CA's revocation of governance certificate
// cert, naming member (m's ID if "").
func (m *govMember) revoke(t testing.TB, cert *x509.Certificate, member string) []byte {
	t.Helper()
	if member == "" {
		member = m.id
	}
	b, err := NewRevokeGovTx(testChainID, m.org.Cert, m.org.Signer, member, cert)
	if err != nil {
		t.Fatalf("NewRevokeGovTx() = %v", err)
	}
	return b
}

func (m *govMember) target() [32]byte {
	k, _ := memberKeyHex(m.id)
	return [32]byte(k)
}

func checkTx(t *testing.T, app *App, raw []byte) (uint32, string) {
	t.Helper()
	res, err := app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw})
	if err != nil {
		t.Fatal(err)
	}
	return res.Code, res.Log
}

// block finalizes and commits one block, and fails unless every
// transaction got the code wanted (CodeOK if want is empty).
func block(t *testing.T, app *App, height int64, want []uint32, txs ...[]byte) *abci.ResponseFinalizeBlock {
	t.Helper()
	res := finalize(t, app, height, txs...)
	commit(t, app)
	for i, r := range res.TxResults {
		w := CodeOK
		if i < len(want) {
			w = want[i]
		}
		if r.Code != w {
			t.Fatalf("block %d, tx %d: code %d (%s), want %d", height, i, r.Code, r.Log, w)
		}
	}
	return res
}

func proposalStatus(t *testing.T, app *App, id string) ProposalState {
	t.Helper()
	p, ok, err := app.Proposal(id)
	if err != nil || !ok {
		t.Fatalf("Proposal(%q) = %v, %v", id, ok, err)
	}
	return p
}

// An admission passes with more than 2/3 of the voting power, not with
// exactly 2/3, and takes effect GovDelay blocks later: the validator
// update, the member list, and the new node's right to anchor.
func TestGovAdmit(t *testing.T) {
	root, ms := newGovConsortium(t, 6) // total power 60: 2/3 is 40
	app := newGovApp(t, filepath.Join(t.TempDir(), "app.db"), root, ms)
	joiner := newGovMember(t, root, certs.KindArbitration, "Joiner")
	pub := joiner.key.Public().(ed25519.PublicKey)
	p := Proposal{ID: "admit-joiner", Expires: 100, Action: ActAdmit, OrgCA: joiner.org.Cert, ValidatorKey: pub, Power: 10}
	if code, msg := checkTx(t, app, ms[0].propose(t, p)); code != CodeOK {
		t.Fatalf("CheckTx(proposal) = %d %s", code, msg)
	}
	if code, _ := checkTx(t, app, joiner.batch4(t, 1, testLeaves(0, 1), nil, nil)); code != CodeNotMember {
		t.Fatalf("CheckTx(the joiner's batch before admission) = %d, want CodeNotMember", code)
	}
	block(t, app, 1, nil, ms[0].propose(t, p))
	block(t, app, 2, nil, ms[0].ballot(t, p.ID, true), ms[1].ballot(t, p.ID, true), ms[2].ballot(t, p.ID, true), ms[3].ballot(t, p.ID, true))
	if s := proposalStatus(t, app, p.ID); s.Status != StatusOpen || s.YesPower != 40 || s.TotalPower != 60 {
		t.Fatalf("with exactly 2/3 voting yes: %s, yes %d of %d; want open, 40 of 60", s.Status, s.YesPower, s.TotalPower)
	}
	res := block(t, app, 3, nil, ms[4].ballot(t, p.ID, true))
	s := proposalStatus(t, app, p.ID)
	if s.Status != StatusPassed || s.Passed != 3 || s.Effective != 3+GovDelay || len(res.ValidatorUpdates) != 0 {
		t.Fatalf("with 5/6 voting yes: %+v, updates %v; want passed at 3, effective at %d", s, res.ValidatorUpdates, 3+GovDelay)
	}
	if code, _ := checkTx(t, app, ms[5].ballot(t, p.ID, true)); code != CodeStale {
		t.Errorf("CheckTx(a vote on a passed proposal) = %d, want CodeStale", code)
	}
	if res := block(t, app, 4, nil); len(res.ValidatorUpdates) != 0 {
		t.Fatalf("block 4: updates %v, want none before the effective height", res.ValidatorUpdates)
	}
	res = block(t, app, 5, nil)
	if len(res.ValidatorUpdates) != 1 || !bytes.Equal(res.ValidatorUpdates[0].PubKey.GetEd25519(), pub) || res.ValidatorUpdates[0].Power != 10 {
		t.Fatalf("block 5: updates %v, want the joiner's key with power 10", res.ValidatorUpdates)
	}
	members, err := app.Members()
	if err != nil || len(members) != 7 {
		t.Fatalf("Members() = %d members, %v; want 7", len(members), err)
	}
	if j := members[6]; j.ID != joiner.id || j.Place != 7 || j.Name != "Joiner" || j.Kind != certs.KindArbitration || j.Admitted != 5 || j.Power != 10 {
		t.Errorf("the admitted member: %+v", j)
	}
	if s := proposalStatus(t, app, p.ID); s.Status != StatusApplied || s.Closed != 5 {
		t.Errorf("after the effective height: %+v, want applied at 5", s)
	}
	// The new member's node anchors, and its governance key votes.
	block(t, app, 6, nil, joiner.batch4(t, 1, testLeaves(0, 1), nil, nil), joiner.propose(t, Proposal{ID: "p2", Expires: 100, Action: ActPower, Target: ms[1].target(), Power: 20}))
	if s := proposalStatus(t, app, "p2"); s.TotalPower != 70 || s.Proposer != joiner.id {
		t.Errorf("a proposal by the new member: %+v, want total power 70", s)
	}
}

// Refusals: each in CheckTx, with the code that says why, and none
// changes the state.
func TestGovRefusals(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	app := newGovApp(t, filepath.Join(t.TempDir(), "app.db"), root, ms)
	block(t, app, 1, nil, ms[1].propose(t, Proposal{ID: "power", Expires: 10, Action: ActPower, Target: ms[1].target(), Power: 20}))
	block(t, app, 2, nil, ms[0].ballot(t, "power", true))

	outsider := newGovMember(t, root, certs.KindNotary, "Outsider") // under the root, never admitted
	_, others := newGovConsortium(t, 1)                             // another consortium
	forged := *ms[2]
	forged.id = ms[1].id // member 2's key, claiming to be member 1
	sig := ms[2].ballot(t, "power", true)
	sig[len(sig)-1] ^= 1
	remove := Proposal{ID: "remove", Expires: 10, Action: ActRemove, Target: ms[3].target()}
	for _, c := range []struct {
		name string
		tx   []byte
		want uint32
	}{
		{"a vote from a non-member under the root", outsider.ballot(t, "power", true), CodeNotMember},
		{"a vote from another consortium", others[0].ballot(t, "power", true), CodeNotMember},
		{"a vote naming another member", forged.ballot(t, "power", true), CodeNotMember},
		{"a bad signature", sig, CodeNotMember},
		{"a double vote", ms[0].ballot(t, "power", false), CodeDuplicate},
		{"a vote on an unknown proposal", ms[0].ballot(t, "nothing", true), CodeStale},
		{"a proposal ID in use", ms[0].propose(t, Proposal{ID: "power", Expires: 10, Action: ActRemove, Target: ms[3].target()}), CodeDuplicate},
		{"an expired proposal", ms[0].propose(t, Proposal{ID: "late", Expires: 2, Action: ActPower, Target: ms[2].target(), Power: 5}), CodeStale},
		{"a proposal too far ahead", ms[0].propose(t, Proposal{ID: "far", Expires: 4 + MaxProposalLife, Action: ActPower, Target: ms[2].target(), Power: 5}), CodeRefused},
		{"a removal leaving 3 validators", ms[0].propose(t, remove), CodeRefused},
		{"a removal of the only court", ms[1].propose(t, Proposal{ID: "court", Expires: 10, Action: ActRemove, Target: ms[0].target(), Override: false}), CodeRefused},
		{"a non-member target", ms[0].propose(t, Proposal{ID: "x", Expires: 10, Action: ActRemove, Target: outsider.target(), Override: true}), CodeRefused},
		{"a rotation to a member's key", ms[0].propose(t, Proposal{ID: "rot", Expires: 10, Action: ActRotate, Target: ms[2].target(), ValidatorKey: ms[3].key.Public().(ed25519.PublicKey)}), CodeRefused},
		{"an admission of a CA outside the root", ms[0].propose(t, Proposal{ID: "adm", Expires: 10, Action: ActAdmit, OrgCA: others[0].org.Cert, ValidatorKey: others[0].key.Public().(ed25519.PublicKey), Power: 1}), CodeRefused},
		{"an admission of a member's CA", ms[0].propose(t, Proposal{ID: "adm", Expires: 10, Action: ActAdmit, OrgCA: ms[1].org.Cert, ValidatorKey: outsider.key.Public().(ed25519.PublicKey), Power: 1}), CodeRefused},
		{"malformed", ms[0].ballot(t, "power", true)[:40], CodeMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			if code, msg := checkTx(t, app, c.tx); code != c.want {
				t.Errorf("CheckTx() = %d (%s), want %d", code, msg, c.want)
			}
		})
	}
	// The override is part of what members vote on.
	remove.Override = true
	if code, msg := checkTx(t, app, ms[0].propose(t, remove)); code != CodeOK {
		t.Errorf("CheckTx(a removal leaving 3 validators, with the override) = %d (%s), want CodeOK", code, msg)
	}
	// In one block, a second vote of a member is refused and counted once.
	res := block(t, app, 3, []uint32{CodeOK, CodeDuplicate}, ms[2].ballot(t, "power", true), ms[2].ballot(t, "power", true))
	if s := proposalStatus(t, app, "power"); s.YesPower != 20 || len(s.Votes) != 2 || s.Status != StatusOpen {
		t.Errorf("after a double vote in one block: %+v (codes %v), want 20 yes from 2 votes, open", s, codes(res))
	}
	// Past its expiry the proposal closes, and votes on it are refused.
	block(t, app, 10, nil)
	block(t, app, 11, nil)
	if s := proposalStatus(t, app, "power"); s.Status != StatusExpired || s.Closed != 11 {
		t.Errorf("past expiry: %+v, want expired at 11", s)
	}
	if code, _ := checkTx(t, app, ms[3].ballot(t, "power", true)); code != CodeStale {
		t.Errorf("CheckTx(a vote on an expired proposal) = %d, want CodeStale", code)
	}
	if ps, _ := app.Proposals(); len(ps) != 1 {
		t.Errorf("Proposals() = %d, want only the one recorded", len(ps))
	}
}

// No votes of at least 1/3 of the power reject a proposal.
func TestGovRejected(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	app := newGovApp(t, filepath.Join(t.TempDir(), "app.db"), root, ms)
	block(t, app, 1, nil, ms[0].propose(t, Proposal{ID: "p", Expires: 50, Action: ActPower, Target: ms[1].target(), Power: 30}))
	block(t, app, 2, nil, ms[1].ballot(t, "p", false))
	if s := proposalStatus(t, app, "p"); s.Status != StatusOpen {
		t.Fatalf("1/4 voting no: %s, want open", s.Status)
	}
	block(t, app, 3, nil, ms[2].ballot(t, "p", false))
	if s := proposalStatus(t, app, "p"); s.Status != StatusRejected || s.NoPower != 20 || s.Closed != 3 {
		t.Fatalf("1/2 voting no: %+v, want rejected at 3", s)
	}
}

// A removal and a rotation take effect at the height they were due: the
// validator updates, the removed member's node and governance key refused
// from then on, the rotated member anchoring with its new key only.
func TestGovRemoveAndRotate(t *testing.T) {
	root, ms := newGovConsortium(t, 5)
	app := newGovApp(t, filepath.Join(t.TempDir(), "app.db"), root, ms)
	newKey, newPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block(t, app, 1, nil,
		ms[0].propose(t, Proposal{ID: "remove-4", Expires: 50, Action: ActRemove, Target: ms[4].target()}),
		ms[0].propose(t, Proposal{ID: "rotate-1", Expires: 50, Action: ActRotate, Target: ms[1].target(), ValidatorKey: newKey}))
	var votes [][]byte
	for _, m := range ms[:4] {
		votes = append(votes, m.ballot(t, "remove-4", true), m.ballot(t, "rotate-1", true))
	}
	block(t, app, 2, nil, votes...)
	if res := block(t, app, 3, nil, ms[4].batch4(t, 1, testLeaves(0, 1), nil, nil)); len(res.ValidatorUpdates) != 0 {
		t.Fatalf("block 3: updates %v, want none yet", res.ValidatorUpdates)
	}
	if former, err := app.FormerMembers(); err != nil || len(former) != 0 {
		t.Fatalf("FormerMembers() before the removal = %v, %v, want none", former, err)
	}
	res := block(t, app, 4, []uint32{CodeNotMember, CodeNotMember}, ms[4].batch4(t, 2, testLeaves(1, 1), nil, nil), ms[1].batch4(t, 1, testLeaves(2, 1), nil, nil))
	want := map[string]int64{
		string(ms[1].key.Public().(ed25519.PublicKey)): 0,
		string(ms[4].key.Public().(ed25519.PublicKey)): 0,
		string(newKey): 10,
	}
	got := map[string]int64{}
	for _, u := range res.ValidatorUpdates {
		got[string(u.PubKey.GetEd25519())] = u.Power
	}
	if len(res.ValidatorUpdates) != 3 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("block 4: updates %s, want the old keys of members 1 and 4 at 0, member 1's new key at 10", updatesString(res.ValidatorUpdates))
	}
	if code, _ := checkTx(t, app, ms[4].propose(t, Proposal{ID: "back", Expires: 50, Action: ActPower, Target: ms[4].target(), Power: 1})); code != CodeNotMember {
		t.Errorf("CheckTx(a proposal by the removed member) = %d, want CodeNotMember", code)
	}
	// Member 1 keeps its ID and place, with the new key.
	cert, err := ms[1].org.IssueNode("node1 rotated", newKey, txNow)
	if err != nil {
		t.Fatal(err)
	}
	rotated := &testNode{root: root, org: ms[1].org, cert: cert, key: newPriv}
	block(t, app, 5, nil, rotated.batch4(t, 1, testLeaves(3, 1), nil, nil))
	members, _ := app.Members()
	if m := members[1]; m.ID != ms[1].id || !bytes.Equal(m.ValidatorKey, newKey) || m.Place != 2 {
		t.Errorf("the rotated member: %+v", m)
	}
	if m := members[4]; m.Removed != 4 {
		t.Errorf("the removed member: %+v, want removed at 4", m)
	}
	// The removed member's node ID names a former member; the rotated
	// member's old and new node IDs do not.
	former, err := app.FormerMembers()
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := former[ms[4].id]; len(former) != 1 || !ok || m.ID != ms[4].id || m.Removed != 4 {
		t.Errorf("FormerMembers() = %+v, want member 4 alone, removed at 4", former)
	}
}

func updatesString(us []abci.ValidatorUpdate) string {
	var b bytes.Buffer
	for _, u := range us {
		fmt.Fprintf(&b, "%x:%d ", u.PubKey.GetEd25519(), u.Power)
	}
	return b.String()
}

// An upgrade from version 5 to 6 keeps the log, the deposits, the
// directory and the register, keeps the AppHash layout, and starts the
// member list from the validators: each member's ID is its node's member
// ID, and its organization CA is learned from its node's first
// transaction, after which its governance key counts.
func TestUpgradeToV6(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	var nodes []*testNode
	for _, m := range ms {
		nodes = append(nodes, m.testNode)
	}
	app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV5, root, nodes...)
	up := UpgradeVote{Version: StateV6, Height: 3}
	block(t, app, 1, nil,
		nodes[0].batch4(t, 1, testLeaves(0, 2), nil, []Deposit{{Batch: 1, SHA256: digest("kept")}}),
		nodes[1].dir(t, OrgEntry{ID: "org-1", Kind: "owner", Name: "Owner One"}),
		nodes[1].reg(t, Registration{ID: "R1", Org: "org-1", Files: []RegFile{regFile("work")}}),
		nodes[0].vote(t, up), nodes[1].vote(t, up), nodes[2].vote(t, up))
	p := Proposal{ID: "power", Expires: 50, Action: ActPower, Target: ms[2].target(), Power: 20}
	res := block(t, app, 2, []uint32{CodeVersion}, ms[0].propose(t, p))
	if members, _ := app.Members(); app.StateVersion() != StateV5 || len(members) != 0 {
		t.Fatalf("before the upgrade: version %d, %d members; want 5, none", app.StateVersion(), len(members))
	}
	before := res.AppHash

	res = block(t, app, 3, []uint32{CodeNotMember, CodeOK, CodeOK, CodeNotMember},
		ms[0].propose(t, p), // its organization CA is not known yet
		nodes[0].batch4(t, 2, testLeaves(2, 1), nil, nil),
		ms[0].propose(t, p), // now it is
		ms[1].propose(t, Proposal{ID: "other", Expires: 50, Action: ActPower, Target: ms[3].target(), Power: 20}))
	if app.StateVersion() != StateV6 || len(res.AppHash) != len(before) || res.AppHash[0] != StateV3 {
		t.Fatalf("block 3: version %d, AppHash %x; want 6 with version 3's layout", app.StateVersion(), res.AppHash)
	}
	members, err := app.Members()
	if err != nil || len(members) != 4 {
		t.Fatalf("Members() = %d, %v; want 4", len(members), err)
	}
	for i, m := range members {
		if m.ID != MemberID(nodes[i].cert) || m.Place != i+1 || m.Power != 10 || m.Admitted != 0 {
			t.Errorf("member %d = %+v, want ID %s, place %d, power 10", i, m, MemberID(nodes[i].cert), i+1)
		}
	}
	if m := members[0]; len(m.OrgCAs) != 1 || m.Name != "Member 0" || m.Kind != certs.KindCourt || m.OrgCAs[0].Bound != 3 {
		t.Errorf("member 0 after its node's batch: %+v, want its organization CA learned at 3", m)
	}
	if len(members[1].OrgCAs) != 0 {
		t.Errorf("member 1 = %+v; want no organization CA before its node sends a transaction", members[1])
	}
	if inc, ok, _ := app.Applied(MemberID(nodes[0].cert), 1); !ok || inc.First != 0 || inc.Count != 2 || inc.Height != 1 {
		t.Errorf("Applied(batch 1) = %+v, %v", inc, ok)
	}
	if d, ok, _ := app.Deposit(digest("kept")); !ok || d.Height != 1 {
		t.Errorf("Deposit(kept) = %+v, %v", d, ok)
	}
	if o, ok, _ := app.Org("org-1"); !ok || o.Member != MemberID(nodes[1].cert) {
		t.Errorf("Org(org-1) = %+v, %v", o, ok)
	}
	year := txNow.Add(time.Minute).In(cstZone).Format("2006")
	if e, ok, _ := app.Registration(MemberID(nodes[1].cert), "R1"); !ok || e.Number != "CUS-("+year+")-作登字-M2-000001" {
		t.Errorf("Registration(R1) = %+v, %v", e, ok)
	}
	// Registrations keep numbering by place at version 6.
	block(t, app, 4, nil, nodes[1].reg(t, Registration{ID: "R2", Files: []RegFile{regFile("later")}}))
	if e, _, _ := app.Registration(MemberID(nodes[1].cert), "R2"); e.Number != "CUS-("+year+")-作登字-M2-000002" {
		t.Errorf("Registration(R2) = %+v, want member 2's second number", e)
	}
	// The members' entries are in the state map.
	val, _ := json.Marshal(members[0])
	if got := proveValue(t, app, GovMemberKey(members[0].ID), 3); got != sha256.Sum256(val) {
		t.Errorf("state map holds %x for member 0, want the SHA-256 of its entry", got)
	}
	if s := proposalStatus(t, app, "power"); s.Status != StatusOpen || s.Proposer != ms[0].id || s.TotalPower != 40 {
		t.Errorf("proposal after the upgrade: %+v", s)
	}
}

// Two replicas fed the same governance blocks reach the same AppHash.
func TestGovDeterministic(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	dir := t.TempDir()
	a := newGovApp(t, filepath.Join(dir, "a.db"), root, ms)
	b := newGovApp(t, filepath.Join(dir, "b.db"), root, ms)
	joiner := newGovMember(t, root, certs.KindCourt, "Joiner")
	p := ms[1].propose(t, Proposal{ID: "admit", Expires: 20, Action: ActAdmit, OrgCA: joiner.org.Cert, ValidatorKey: joiner.key.Public().(ed25519.PublicKey), Power: 5})
	blocks := [][][]byte{{p}, {ms[0].ballot(t, "admit", true), ms[1].ballot(t, "admit", true)}, {ms[2].ballot(t, "admit", true)}, {}, {}}
	for i, txs := range blocks {
		ra, rb := block(t, a, int64(i+1), nil, txs...), block(t, b, int64(i+1), nil, txs...)
		if !bytes.Equal(ra.AppHash, rb.AppHash) || updatesString(ra.ValidatorUpdates) != updatesString(rb.ValidatorUpdates) {
			t.Fatalf("block %d: replicas differ: %x %x", i+1, ra.AppHash, rb.AppHash)
		}
	}
	if s := proposalStatus(t, a, "admit"); s.Status != StatusApplied {
		t.Fatalf("admit: %+v", s)
	}
	val, _ := json.Marshal(proposalStatus(t, a, "admit"))
	if got := proveValue(t, a, GovProposalKey("admit"), 5); got != sha256.Sum256(val) {
		t.Errorf("state map holds %x for the proposal, want the SHA-256 of its entry", got)
	}
}

// Governance transactions round-trip, and their rules hold.
func TestGovTxRoundTripAndStrictness(t *testing.T) {
	root, ms := newGovConsortium(t, 2)
	m := ms[0]
	key := ms[1].key.Public().(ed25519.PublicKey)
	good := []Proposal{
		{ID: "a", Expires: 1, Action: ActAdmit, OrgCA: ms[1].org.Cert, ValidatorKey: key, Power: MaxPower},
		{ID: "r", Expires: 9, Override: true, Action: ActRemove, Target: ms[1].target()},
		{ID: "k", Expires: 9, Action: ActRotate, Target: ms[1].target(), ValidatorKey: key},
		{ID: "p", Expires: 9, Action: ActPower, Target: ms[1].target(), Power: 1},
		{ID: "c", Expires: 9, Action: ActRetireCA, Target: ms[1].target(), CAHash: [32]byte(caKey(ms[1].org.Cert))},
	}
	v := NewVerifier(testChainID, root.Cert)
	for _, p := range good {
		raw := m.propose(t, p)
		tx, err := DecodeTx(raw)
		if err != nil {
			t.Fatalf("DecodeTx(%s proposal) = %v", ActionName(p.Action), err)
		}
		if !bytes.Equal(tx.Encode(), raw) || tx.Proposal.ID != p.ID || tx.Member() != m.id {
			t.Errorf("%s proposal: does not round-trip", ActionName(p.Action))
		}
		if err := v.Verify(tx, txNow); err != nil {
			t.Errorf("Verify(%s proposal) = %v", ActionName(p.Action), err)
		}
		if err := NewVerifier("custos-other", root.Cert).Verify(tx, txNow); !errors.Is(err, ErrBadSignature) {
			t.Errorf("Verify(%s proposal) on another chain = %v, want ErrBadSignature", ActionName(p.Action), err)
		}
	}
	bad := []Proposal{
		{ID: "", Expires: 1, Action: ActRemove, Target: ms[1].target()},
		{ID: "sp ace", Expires: 1, Action: ActRemove, Target: ms[1].target()},
		{ID: "x", Expires: 0, Action: ActRemove, Target: ms[1].target()},
		{ID: "x", Expires: 1, Action: 9, Target: ms[1].target()},
		{ID: "x", Expires: 1, Action: ActRemove},
		{ID: "x", Expires: 1, Action: ActRemove, Target: ms[1].target(), Power: 3},
		{ID: "x", Expires: 1, Action: ActPower, Target: ms[1].target(), Power: MaxPower + 1},
		{ID: "x", Expires: 1, Action: ActRotate, Target: ms[1].target(), ValidatorKey: key[:31]},
		{ID: "x", Expires: 1, Action: ActAdmit, ValidatorKey: key, Power: 1},
		{ID: "x", Expires: 1, Action: ActRetireCA, Target: ms[1].target()},
	}
	for i, p := range bad {
		if _, err := NewProposeTx(testChainID, m.gov.Cert, m.org.Cert, m.gov.Signer, m.id, p); !errors.Is(err, ErrMalformedTx) {
			t.Errorf("NewProposeTx(bad %d) = %v, want ErrMalformedTx", i, err)
		}
	}
	if _, err := NewVoteTx(testChainID, m.gov.Cert, m.org.Cert, ms[1].gov.Signer, m.id, "x", true); !errors.Is(err, ErrGovKey) {
		t.Errorf("NewVoteTx(another member's key) = %v, want ErrGovKey", err)
	}
	vote := m.ballot(t, "x", true)
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(vote)) }
	for name, b := range map[string][]byte{
		"trailing byte":  append(bytes.Clone(vote), 0),
		"choice 2":       mutate(func(b []byte) []byte { b[len(b)-65] = 2; return b }),
		"kind 7":         mutate(func(b []byte) []byte { b[5] = 7; return b }),
		"kind 5 in v5":   mutate(func(b []byte) []byte { b[4] = TxVersion5; b[5] = KindPropose; return b }),
		"truncated":      vote[:len(vote)-1],
		"empty ID":       mutate(func(b []byte) []byte { b[len(b)-67] = 0; return b }),
		"high-s sig":     highS(vote),
		"no certificate": []byte(TxMagic + "\x06\x06\x00\x00"),
	} {
		tx, err := DecodeTx(b)
		if err == nil && name == "high-s sig" {
			err = v.Verify(tx, txNow)
			if !errors.Is(err, ErrBadSignature) {
				t.Errorf("%s: Verify() = %v, want ErrBadSignature", name, err)
			}
			continue
		}
		if !errors.Is(err, ErrMalformedTx) {
			t.Errorf("%s: DecodeTx() = %v, want ErrMalformedTx", name, err)
		}
	}
}

// highS is raw with its ECDSA signature's s replaced by n - s: the same
// signature in the form the encoding forbids.
func highS(raw []byte) []byte {
	b := bytes.Clone(raw)
	n := elliptic.P256().Params().N
	s := new(big.Int).SetBytes(b[len(b)-32:])
	new(big.Int).Sub(n, s).FillBytes(b[len(b)-32:])
	return b
}

// Retiring a member's organization CA, once in effect, refuses what is
// signed under it: the member's governance transactions and its node's
// batches. Another CA of the member's keeps working; the retired one can
// never be bound again.
func TestGovRetireCA(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	app := newGovApp(t, filepath.Join(t.TempDir(), "app.db"), root, ms)
	target := ms[3]
	p := Proposal{ID: "retire", Expires: 50, Action: ActRetireCA, Target: target.target(), CAHash: [32]byte(caKey(target.org.Cert))}
	block(t, app, 1, nil, ms[0].propose(t, p))
	block(t, app, 2, nil, ms[0].ballot(t, p.ID, true), ms[1].ballot(t, p.ID, true), ms[2].ballot(t, p.ID, true))
	block(t, app, 3, nil, target.batch4(t, 1, testLeaves(0, 1), nil, nil)) // not yet in effect
	res := block(t, app, 4, []uint32{CodeNotMember}, target.batch4(t, 2, testLeaves(1, 1), nil, nil))
	if len(res.ValidatorUpdates) != 0 {
		t.Errorf("retiring a CA: updates %s, want none", updatesString(res.ValidatorUpdates))
	}
	if code, msg := checkTx(t, app, target.propose(t, Proposal{ID: "x", Expires: 50, Action: ActPower, Target: target.target(), Power: 5})); code != CodeNotMember {
		t.Errorf("CheckTx(a proposal under the retired CA) = %d (%s), want CodeNotMember", code, msg)
	}
	members, _ := app.Members()
	if cas := members[3].OrgCAs; len(cas) != 1 || cas[0].Retired != 4 {
		t.Errorf("the member's CAs: %+v, want its CA retired at 4", cas)
	}
	if s := proposalStatus(t, app, p.ID); s.Status != StatusApplied {
		t.Errorf("the proposal: %+v", s)
	}
	// Retiring it again cannot pass: it is not in use.
	if code, _ := checkTx(t, app, ms[0].propose(t, Proposal{ID: "again", Expires: 50, Action: ActRetireCA, Target: target.target(), CAHash: p.CAHash})); code != CodeRefused {
		t.Errorf("CheckTx(retire a retired CA) = %d, want CodeRefused", code)
	}
}

// A change of power changes how later votes count.
func TestGovPowerCounts(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	app := newGovApp(t, filepath.Join(t.TempDir(), "app.db"), root, ms)
	block(t, app, 1, nil,
		ms[0].propose(t, Proposal{ID: "power", Expires: 50, Action: ActPower, Target: ms[0].target(), Power: 50}),
		ms[0].propose(t, Proposal{ID: "later", Expires: 50, Action: ActPower, Target: ms[1].target(), Power: 1}))
	block(t, app, 2, nil, ms[0].ballot(t, "power", true), ms[1].ballot(t, "power", true), ms[2].ballot(t, "power", true))
	res := block(t, app, 4, nil)
	if got := updatesString(res.ValidatorUpdates); got != fmt.Sprintf("%x:50 ", ms[0].key.Public().(ed25519.PublicKey)) {
		t.Fatalf("block 4: updates %s, want member 0 at 50", got)
	}
	// Member 0 now holds 50 of 80: its vote alone is not more than 2/3,
	// with member 1's (60 of 80) it is.
	block(t, app, 5, nil, ms[0].ballot(t, "later", true))
	if s := proposalStatus(t, app, "later"); s.Status != StatusOpen || s.YesPower != 50 || s.TotalPower != 80 {
		t.Fatalf("one vote of 50: %+v", s)
	}
	block(t, app, 6, nil, ms[1].ballot(t, "later", true))
	if s := proposalStatus(t, app, "later"); s.Status != StatusPassed || s.YesPower != 60 {
		t.Fatalf("votes of 60 of 80: %+v, want passed", s)
	}
}

func ExampleNewProposeTx() {
	root, _ := certs.NewRoot("Consortium Root", txNow)
	court, _ := root.NewOrgCA(certs.KindCourt, "District Court", txNow)
	gov, _ := court.IssueGovernance("District Court governance", txNow) // kept by the court's administrators
	pub, _, _ := ed25519.GenerateKey(rand.Reader)                       // the court node's validator key
	joiner, _ := root.NewOrgCA(certs.KindNotary, "City Notary Office", txNow)
	newKey, _, _ := ed25519.GenerateKey(rand.Reader) // the joiner's validator key

	b, err := NewProposeTx("custos-1", gov.Cert, court.Cert, gov.Signer, MemberOfKey(pub), Proposal{
		ID: "admit-city-notary", Expires: 5000, Action: ActAdmit, OrgCA: joiner.Cert, ValidatorKey: newKey, Power: 10,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	tx, err := DecodeTx(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tx.Proposal.ID, ActionName(tx.Proposal.Action), tx.Proposal.OrgCA.Subject.Organization[0],
		NewVerifier("custos-1", root.Cert).Verify(tx, txNow))
	// Output: admit-city-notary admit City Notary Office <nil>
}

// Finding 4 of the chain review (session 15): from state version 6 a
// node's transaction binds its organization CA to its member (learnOrgCA)
// before FinalizeBlock has checked the batch's heads and deposits, so a
// batch refused for those still changed the state (the member's entry).
// From state version 8 a batch binds it only once they are found good; at
// version 7 the old transition is kept, as committed blocks replay.
func TestRefusedBatchLearnsNoOrgCA(t *testing.T) {
	for _, version := range []int{StateV7, StateV8} {
		t.Run(fmt.Sprintf("v%d", version), func(t *testing.T) {
			nodes := []*testNode{newTestNode(t, nil)}
			nodes = append(nodes, newTestNode(t, nodes[0].org))
			app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), version, nodes[0].root, nodes...)
			block(t, app, 1, nil)
			empty := finalize(t, app, 2).AppHash
			res := finalize(t, app, 2, nodes[0].batch7(t, 1, testLeaves(0, 1), nil, []Deposit{{Batch: 9, Offset: 0, SHA256: digest("no such batch")}}))
			commit(t, app)
			if c := codes(res)[0]; c != CodeStale {
				t.Fatalf("a batch naming a missing batch's deposit: code %d, want %d", c, CodeStale)
			}
			if changed := !bytes.Equal(res.AppHash, empty); changed != (version == StateV7) {
				t.Errorf("v%d: the refused batch changed the AppHash: %v, want %v", version, changed, version == StateV7)
			}
			bound := func() (ok bool) {
				app.db.View(func(tx *bolt.Tx) error { ok = tx.Bucket(bGovCA).Get(caKey(nodes[0].org.Cert)) != nil; return nil })
				return ok
			}
			if bound() != (version == StateV7) {
				t.Errorf("v%d: organization CA bound after the refused batch: %v", version, bound())
			}
			// A good batch binds it at version 8 too.
			block(t, app, 3, nil, nodes[0].batch7(t, 1, testLeaves(0, 1), nil, nil))
			if !bound() {
				t.Errorf("v%d: organization CA not bound after a good batch", version)
			}
		})
	}
}
