package anchor

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custos-project/custos/certs"
)

// Tests of state version 9 (governance review findings G1 and G2,
// docs/security.md "Review of consortium governance and recovery").

func proposalHashOf(t *testing.T, raw []byte) [32]byte {
	t.Helper()
	ptx, err := DecodeTx(raw)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ProposalHash(ptx)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// ProposalHash is the SHA-256 of the proposal transaction's bytes from
// its member field to the end of its parameters, and the recorded
// proposal's Hash is the same, for every action.
func TestProposalHash(t *testing.T) {
	root, ms := newGovConsortium(t, 5)
	app := newGovAppAt(t, filepath.Join(t.TempDir(), "app.db"), root, ms, StateV9)
	joiner := newGovMember(t, root, certs.KindNotary, "Joiner")
	k, _, _ := ed25519.GenerateKey(rand.Reader)
	props := []Proposal{
		{ID: "admit", Expires: 50, Action: ActAdmit, OrgCA: joiner.org.Cert, ValidatorKey: joiner.key.Public().(ed25519.PublicKey), Power: 5},
		{ID: "remove", Expires: 40, Action: ActRemove, Target: ms[4].target()},
		{ID: "rotate", Expires: 50, Action: ActRotate, Target: ms[3].target(), ValidatorKey: k},
		{ID: "power", Expires: 50, Override: true, Action: ActPower, Target: ms[2].target(), Power: 11},
		{ID: "retire", Expires: 50, Action: ActRetireCA, Target: ms[1].target(), CAHash: sha256.Sum256(ms[1].org.Cert.Raw)},
	}
	var txs [][]byte
	for _, p := range props {
		txs = append(txs, ms[0].propose(t, p))
	}
	block(t, app, 1, nil, txs...)
	seen := map[[32]byte]bool{}
	for i, raw := range txs {
		ptx, _ := DecodeTx(raw)
		start := len(TxMagic) + 2 + 2 + len(ptx.GovCert.Raw) + 2 + len(ptx.OrgCA.Raw)
		want := sha256.Sum256(raw[start : len(raw)-64])
		if got := proposalHashOf(t, raw); got != want {
			t.Errorf("%s: ProposalHash %x, want SHA-256 of the bytes from the member %x", props[i].ID, got, want)
		}
		if got := proposalStatus(t, app, props[i].ID).Hash(); got != want {
			t.Errorf("%s: the recorded proposal's Hash %x, want %x", props[i].ID, got, want)
		}
		seen[want] = true
	}
	if len(seen) != len(props) {
		t.Errorf("%d hashes for %d proposals", len(seen), len(props))
	}
	if _, err := ProposalHash(nil); err == nil {
		t.Error("ProposalHash(nil) = nil error")
	}
}

// Governance review finding G1, fixed at state version 9: a vote names
// the SHA-256 of the proposal it votes for, and counts only for that
// proposal. A member that squats another's proposal ID (as in
// TestGovProposalIDTaken, at version 6) collects no vote cast for the
// other's: each is refused, in CheckTx and in a block, with the two
// hashes in the log. A version-6 vote is refused at 9.
func TestGovVoteNamesProposal(t *testing.T) {
	root, ms := newGovConsortium(t, 5)
	app := newGovAppAt(t, filepath.Join(t.TempDir(), "app.db"), root, ms, StateV9)
	own, _, _ := ed25519.GenerateKey(rand.Reader)
	squat, _, _ := ed25519.GenerateKey(rand.Reader)
	legit := ms[2].propose(t, Proposal{ID: "rotate-m2-2027", Expires: 50, Action: ActRotate, Target: ms[2].target(), ValidatorKey: own})
	taken := ms[4].propose(t, Proposal{ID: "rotate-m2-2027", Expires: 50, Action: ActRotate, Target: ms[2].target(), ValidatorKey: squat})
	block(t, app, 1, []uint32{CodeOK, CodeDuplicate}, taken, legit)
	want := proposalHashOf(t, legit)
	var votes [][]byte
	for _, i := range []int{0, 1, 3, 4} {
		v := ms[i].ballot9(t, "rotate-m2-2027", want, true)
		code, msg := checkTx(t, app, v)
		if code != CodeRefused || !strings.Contains(msg, "names proposal SHA-256") {
			t.Errorf("CheckTx(member %d's vote for the proposer's) = %d (%s), want %d naming the hashes", i, code, msg, CodeRefused)
		}
		votes = append(votes, v)
	}
	block(t, app, 2, []uint32{CodeRefused, CodeRefused, CodeRefused, CodeRefused}, votes...)
	if code, msg := checkTx(t, app, ms[0].ballot(t, "rotate-m2-2027", true)); code != CodeVersion {
		t.Errorf("CheckTx(a version-6 vote at state 9) = %d (%s), want %d", code, msg, CodeVersion)
	}
	block(t, app, 3, []uint32{CodeVersion}, ms[1].ballot(t, "rotate-m2-2027", true))
	block(t, app, 4, nil)
	block(t, app, 5, nil)
	p := proposalStatus(t, app, "rotate-m2-2027")
	if p.Status != StatusOpen || len(p.Votes) != 0 {
		t.Fatalf("the squatter's proposal: %s with %d votes, want open with none", p.Status, len(p.Votes))
	}
	members, _ := app.Members()
	if !bytes.Equal(members[2].ValidatorKey, ms[2].key.Public().(ed25519.PublicKey)) {
		t.Fatalf("member 2's key changed")
	}
	// A vote naming the recorded proposal counts, and a second is
	// refused as before.
	h := p.Hash()
	if h != proposalHashOf(t, taken) {
		t.Fatalf("the recorded proposal's Hash is not the squatter's transaction's")
	}
	block(t, app, 6, []uint32{CodeOK, CodeDuplicate}, ms[4].ballot9(t, p.ID, h, false), ms[4].ballot9(t, p.ID, h, true))
	if p := proposalStatus(t, app, p.ID); p.NoPower != 10 || len(p.Votes) != 1 {
		t.Fatalf("after one no: %+v", p)
	}
}

// A chain at state version 8 moves to 9 at the height its validators
// voted for; blocks below it give the AppHash a chain that stays at 8
// gives (replay identity). Below 9 a version-9 vote is refused and a
// proposal giving one member 40% of the power is recorded and passes;
// when it falls due at the upgrade height, the version-9 rule applies
// and it fails with its reason, while the chain at 8 applies it. A
// version-6 vote is refused from the upgrade height.
func TestUpgradeToV9(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	up := newGovAppAt(t, filepath.Join(t.TempDir(), "up.db"), root, ms, StateV8)
	stay := newGovAppAt(t, filepath.Join(t.TempDir(), "stay.db"), root, ms, StateV8)
	vote := UpgradeVote{Version: StateV9, Height: 4}
	share := ms[0].propose(t, Proposal{ID: "share", Expires: 50, Action: ActPower, Target: ms[1].target(), Power: 20})
	later := ms[0].propose(t, Proposal{ID: "later", Expires: 50, Action: ActPower, Target: ms[2].target(), Power: 11})
	hLater := proposalHashOf(t, later)
	steps := []upgradeStep{
		{common: [][]byte{share, later}, upOnly: [][]byte{ms[0].vote(t, vote), ms[1].vote(t, vote), ms[2].vote(t, vote)}},
		{common: [][]byte{ms[0].ballot(t, "share", true), ms[2].ballot(t, "share", true), ms[3].ballot(t, "share", true),
			ms[0].ballot9(t, "later", hLater, true)}, want: []uint32{CodeOK, CodeOK, CodeOK, CodeVersion}},
		{common: [][]byte{ms[0].ballot(t, "later", true), ms[1].ballot(t, "later", true)}},
		{common: [][]byte{ms[2].ballot(t, "later", true)}, want: []uint32{CodeVersion}},
		{common: [][]byte{ms[2].ballot9(t, "later", hLater, true)}},
	}
	runUpgradeSteps(t, up, stay, vote, steps)
	if up.StateVersion() != StateV9 || stay.StateVersion() != StateV8 {
		t.Fatalf("versions %d and %d, want 9 and 8", up.StateVersion(), stay.StateVersion())
	}
	if s := proposalStatus(t, up, "share"); s.Status != StatusFailed || s.Closed != 4 || !strings.Contains(s.Reason, "a third or more") {
		t.Errorf("at 9, proposal share: %s at %d (%s), want failed at 4 for the power share", s.Status, s.Closed, s.Reason)
	}
	if s := proposalStatus(t, stay, "share"); s.Status != StatusApplied {
		t.Errorf("at 8, proposal share: %s (%s), want applied", s.Status, s.Reason)
	}
	if s := proposalStatus(t, up, "later"); s.Status != StatusPassed || len(s.Votes) != 3 {
		t.Errorf("at 9, proposal later: %s with %d votes, want passed with 3 (two of version 6 before 9, one of version 9 from it)", s.Status, len(s.Votes))
	}
	res := finalize(t, up, 6, ms[0].vote(t, UpgradeVote{Version: MaxState + 1, Height: 10}))
	commit(t, up)
	if got := codes(res)[0]; got != CodeVersion {
		t.Errorf("a vote for state version %d at 9: code %d, want %d", MaxState+1, got, CodeVersion)
	}
}

// upgradeStep is one block of an upgrade test: common goes into the
// blocks of both apps, upOnly into the upgrading app's only, and want is
// the codes of common on the upgrading app (CodeOK past its end).
type upgradeStep struct {
	common, upOnly [][]byte
	want           []uint32
}

// runUpgradeSteps finalizes and commits steps, block by block from height
// 1, on up (which votes for vote) and on stay (which does not), checks
// up's codes, and checks that from block 2 the two AppHashes are equal
// exactly below the upgrade height.
func runUpgradeSteps(t *testing.T, up, stay *App, vote UpgradeVote, steps []upgradeStep) {
	t.Helper()
	for i, s := range steps {
		h := int64(i + 1)
		res := finalize(t, up, h, append(append([][]byte{}, s.common...), s.upOnly...)...)
		commit(t, up)
		other := finalize(t, stay, h, s.common...)
		commit(t, stay)
		for j := range s.common {
			want := CodeOK
			if j < len(s.want) {
				want = s.want[j]
			}
			if got := res.TxResults[j].Code; got != want {
				t.Errorf("block %d, tx %d: code %d (%s), want %d", h, j, got, res.TxResults[j].Log, want)
			}
		}
		if h == 1 {
			continue // the upgrade votes are only in up's block
		}
		if same := bytes.Equal(res.AppHash, other.AppHash); same != (uint64(h) < vote.Height) {
			t.Errorf("block %d: AppHash %x, at version %d throughout %x; want them equal only before the upgrade", h, res.AppHash, vote.Version-1, other.AppHash)
		}
	}
}
