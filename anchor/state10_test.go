package anchor

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/custos-project/custos/certs"
)

// Tests of state version 10: a member revokes one of its governance
// certificates without retiring its organization CA (threat model, "A
// stolen governance key"; docs/security.md G4).

// A member's organization CA revokes its stolen governance certificate:
// the vote the thief cast with it on an open proposal is dropped, and a
// later vote or proposal signed with it is refused (CodeRevoked), in
// CheckTx and in a block; the member votes again with a new certificate.
// Another vote of the same member with another certificate stays.
func TestGovRevoke(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	path := filepath.Join(t.TempDir(), "app.db")
	app := newGovAppAt(t, path, root, ms, StateV10)
	p1 := ms[0].propose(t, Proposal{ID: "p1", Expires: 50, Action: ActPower, Target: ms[2].target(), Power: 12})
	p2 := ms[0].propose(t, Proposal{ID: "p2", Expires: 50, Action: ActPower, Target: ms[3].target(), Power: 12})
	block(t, app, 1, nil, p1, p2)
	h1, h2 := proposalHashOf(t, p1), proposalHashOf(t, p2)
	// The thief votes no on p1 with member 1's key; member 1's
	// administrators vote yes on p2 with a second certificate.
	second, err := ms[1].org.IssueGovernance("Member 1 second governance", txNow)
	if err != nil {
		t.Fatal(err)
	}
	other := &govMember{testNode: ms[1].testNode, gov: second, id: ms[1].id}
	block(t, app, 2, nil, ms[1].ballot9(t, "p1", h1, false), other.ballot9(t, "p2", h2, true))
	stolen := sha256.Sum256(ms[1].gov.Cert.Raw)
	if p := proposalStatus(t, app, "p1"); len(p.Votes) != 1 || p.Votes[0].Cert != hex.EncodeToString(stolen[:]) || p.NoPower != 10 {
		t.Fatalf("p1 after the thief's vote: %+v, want its no with the certificate's SHA-256", p)
	}

	rev := ms[1].revoke(t, ms[1].gov.Cert, "")
	if code, msg := checkTx(t, app, rev); code != CodeOK {
		t.Fatalf("CheckTx(the revocation) = %d (%s)", code, msg)
	}
	block(t, app, 3, nil, rev)
	if p := proposalStatus(t, app, "p1"); len(p.Votes) != 0 || p.NoPower != 0 || p.Status != StatusOpen {
		t.Errorf("p1 after the revocation: %s, votes %+v, no power %d; want open with the thief's vote dropped", p.Status, p.Votes, p.NoPower)
	}
	if p := proposalStatus(t, app, "p2"); len(p.Votes) != 1 || p.YesPower != 10 {
		t.Errorf("p2 after the revocation: votes %+v; want the second certificate's vote kept", p.Votes)
	}
	members, _ := app.Members()
	if r := members[1].RevokedGov; len(r) != 1 || r[0].SHA256 != hex.EncodeToString(stolen[:]) || r[0].Revoked != 3 {
		t.Errorf("member 1's revoked certificates: %+v", r)
	}

	for name, raw := range map[string][]byte{
		"a vote":     ms[1].ballot9(t, "p1", h1, false),
		"a proposal": ms[1].propose(t, Proposal{ID: "p3", Expires: 50, Action: ActRemove, Override: true, Target: ms[0].target()}),
	} {
		code, msg := checkTx(t, app, raw)
		if code != CodeRevoked || !strings.Contains(msg, "was revoked at height 3") {
			t.Errorf("CheckTx(%s with the revoked certificate) = %d (%s), want %d", name, code, msg, CodeRevoked)
		}
	}
	block(t, app, 4, []uint32{CodeRevoked, CodeOK, CodeDuplicate}, ms[1].ballot9(t, "p1", h1, false),
		other.ballot9(t, "p1", h1, true), ms[1].revoke(t, ms[1].gov.Cert, ""))
	if p := proposalStatus(t, app, "p1"); len(p.Votes) != 1 || p.YesPower != 10 {
		t.Errorf("p1 after member 1 voted again with its new certificate: %+v", p.Votes)
	}

	// The revocation is in the member's entry of the state map, and
	// stays after a restart.
	members, _ = app.Members()
	entry, _ := json.Marshal(members[1])
	if got := proveValue(t, app, GovMemberKey(ms[1].id), 4); got != sha256.Sum256(entry) {
		t.Errorf("the state map's entry of member 1 is not its JSON with the revocation")
	}
	app.db.Close()
	again, err := NewApp(AppConfig{DB: openDB(t, path), ChainID: testChainID, Root: root.Cert})
	if err != nil {
		t.Fatal(err)
	}
	if code, msg := checkTx(t, again, ms[1].ballot9(t, "p2", h2, true)); code != CodeRevoked {
		t.Errorf("after a restart, CheckTx(a vote with the revoked certificate) = %d (%s), want %d", code, msg, CodeRevoked)
	}
}

// Revocations that are malformed or not the member's own are refused,
// in CheckTx and in a block, and change nothing: the block's AppHash is
// the one before it.
func TestGovRevokeRefused(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	app := newGovAppAt(t, filepath.Join(t.TempDir(), "app.db"), root, ms, StateV10)
	before := block(t, app, 1, nil).AppHash
	badSig := slices.Clone(ms[1].revoke(t, ms[1].gov.Cert, ""))
	badSig[len(badSig)-1] ^= 1
	outsider := newGovMember(t, root, certs.KindNotary, "Not a member")
	cases := []struct {
		name string
		raw  []byte
		code uint32
		log  string
	}{
		{"another member's CA, naming the member", ms[2].revoke(t, ms[1].gov.Cert, ms[1].id), CodeNotMember, "not signed by"},
		{"another member's CA and its own certificate, naming the member", ms[2].revoke(t, ms[2].gov.Cert, ms[1].id), CodeNotMember, "is not one of member"},
		{"the member's CA and another member's certificate", ms[1].revoke(t, ms[2].gov.Cert, ""), CodeNotMember, "not signed by"},
		{"a CA bound to no member", outsider.revoke(t, outsider.gov.Cert, ms[1].id), CodeNotMember, "is not one of member"},
		{"a bad signature", badSig, CodeNotMember, "bad transaction signature"},
		{"not a governance certificate", ms[1].revoke(t, ms[1].cert, ""), CodeNotMember, "not a governance certificate"},
	}
	var txs [][]byte
	var want []uint32
	for _, c := range cases {
		code, msg := checkTx(t, app, c.raw)
		if code != c.code || !strings.Contains(msg, c.log) {
			t.Errorf("%s: CheckTx() = %d (%s), want %d (%s)", c.name, code, msg, c.code, c.log)
		}
		txs, want = append(txs, c.raw), append(want, c.code)
	}
	if res := block(t, app, 2, want, txs...); !bytes.Equal(res.AppHash, before) {
		t.Errorf("a block of refused revocations changed the AppHash")
	}
	if ms, _ := app.Members(); len(ms[1].RevokedGov)+len(ms[2].RevokedGov) != 0 {
		t.Errorf("refused revocations recorded: %+v %+v", ms[1].RevokedGov, ms[2].RevokedGov)
	}
}

// An sm-suite member (SM2 root and organization CA) revokes its
// governance certificate with its SM2 CA key (SM2 with SM3).
func TestGovRevokeSM(t *testing.T) {
	root, err := certs.NewSuiteRoot(certs.SuiteSM, "SM Gov Root", txNow)
	if err != nil {
		t.Fatal(err)
	}
	var ms []*govMember
	for i, kind := range []string{certs.KindCourt, certs.KindNotary, certs.KindNotary, certs.KindNotary} {
		ms = append(ms, newGovMember(t, root, kind, "SM Member "+string(rune('A'+i))))
	}
	app := newGovAppAt(t, filepath.Join(t.TempDir(), "app.db"), root, ms, StateV10)
	rev := ms[1].revoke(t, ms[1].gov.Cert, "")
	if code, msg := checkTx(t, app, rev); code != CodeOK {
		t.Fatalf("CheckTx(an SM2 CA's revocation) = %d (%s)", code, msg)
	}
	block(t, app, 1, nil, rev)
	p := ms[0].propose(t, Proposal{ID: "p1", Expires: 50, Action: ActPower, Target: ms[2].target(), Power: 12})
	block(t, app, 2, []uint32{CodeOK, CodeRevoked}, p, ms[1].ballot9(t, "p1", proposalHashOf(t, p), true))
}

// A chain at state version 9 moves to 10 at the height its validators
// voted for; blocks below it give the AppHash a chain that stays at 9
// gives (replay identity), and a revocation is refused there (code 5).
// At the upgrade height the revocation is taken, and drops the member's
// vote cast at 9 on the open proposal (the chain did not record its
// certificate); the revoked certificate then signs nothing.
func TestUpgradeToV10(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	up := newGovAppAt(t, filepath.Join(t.TempDir(), "up.db"), root, ms, StateV9)
	stay := newGovAppAt(t, filepath.Join(t.TempDir(), "stay.db"), root, ms, StateV9)
	vote := UpgradeVote{Version: StateV10, Height: 4}
	p := ms[0].propose(t, Proposal{ID: "p", Expires: 50, Action: ActPower, Target: ms[2].target(), Power: 11})
	h := proposalHashOf(t, p)
	rev := ms[1].revoke(t, ms[1].gov.Cert, "")
	steps := []upgradeStep{
		{common: [][]byte{p}, upOnly: [][]byte{ms[0].vote(t, vote), ms[1].vote(t, vote), ms[2].vote(t, vote)}},
		{common: [][]byte{ms[1].ballot9(t, "p", h, true), rev}, want: []uint32{CodeOK, CodeVersion}},
		{common: nil},
		{common: [][]byte{rev}},
		{common: [][]byte{ms[1].ballot9(t, "p", h, true)}, want: []uint32{CodeRevoked}},
	}
	runUpgradeSteps(t, up, stay, vote, steps)
	if up.StateVersion() != StateV10 || stay.StateVersion() != StateV9 {
		t.Fatalf("versions %d and %d, want 10 and 9", up.StateVersion(), stay.StateVersion())
	}
	if s := proposalStatus(t, up, "p"); len(s.Votes) != 0 || s.YesPower != 0 {
		t.Errorf("at 10, proposal p: votes %+v, want member 1's vote of version 9 dropped", s.Votes)
	}
	if s := proposalStatus(t, stay, "p"); len(s.Votes) != 1 {
		t.Errorf("at 9, proposal p: votes %+v, want member 1's", s.Votes)
	}
	res := finalize(t, stay, 6, rev)
	commit(t, stay)
	if got := codes(res)[0]; got != CodeVersion {
		t.Errorf("a revocation at 9: code %d, want %d", got, CodeVersion)
	}
}
