package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/testenv"
)

// TestConsortiumGovernance runs a 4-member consortium from `custos
// consortium init` as 4 processes. The first member proposes a power change
// with the CLI, signed by its governance key from OUT/admin; the members
// vote with the CLI, each against its own node; the last member's node
// shows that it passed and took effect. A vote signed by a governance key
// outside the consortium's root, a member's second vote, and a vote whose
// --proposer names another member are refused with a clear message and
// change nothing; uploads keep anchoring
// throughout. One member votes with a governance key kept in a PKCS#11
// token (SoftHSM2), certified by `consortium governance-cert`. Then the
// notary office's organization CA is retired and its node moved to a new
// one (testRetiredCA), and the last member is removed (testLeaving).
func TestConsortiumGovernance(t *testing.T) {
	out := initConsortium(t)
	ms := consortiumMembers(out)
	for _, m := range ms {
		m.start(t)
	}
	a, d := ms[0], ms[3]
	anchored := func(when string) {
		t.Helper()
		v := a.p.upload(consortiumToken, randomBytes(t, 3000))
		if status, b := receiptOf(t, a.p, v.ID, 20*time.Second); status != 200 {
			t.Fatalf("%s: receipt = %d %s", when, status, b)
		}
	}
	anchored("before the proposal")

	var members wire.Members
	cliJSON(t, &members, "consortium", "members", "--server", d.p.URL)
	if len(members.Members) != 4 {
		t.Fatalf("consortium members = %+v, want 4", members)
	}
	byName := func(ms wire.Members, name string) wire.Member {
		t.Helper()
		for _, m := range ms.Members {
			if m.Name == name {
				return m
			}
		}
		t.Fatalf("no member named %q in %+v", name, ms)
		return wire.Member{}
	}
	notary := byName(members, "Qiantang Notary Office")
	if notary.Kind != "notary" || notary.Power == 0 {
		t.Fatalf("the notary office = %+v", notary)
	}
	// Under a third of the total power: from chain state version 9 a
	// change that gives one validator a third or more is refused without
	// an override (governance review finding G2).
	newPower := notary.Power + 4
	gov := func(m *member) []string {
		dir := filepath.Join(out, "admin", m.slug)
		return []string{"--key", filepath.Join(dir, "governance.key"), "--cert", filepath.Join(dir, "governance.pem"), "--server", m.p.URL}
	}

	var prop wire.GovernanceAccepted
	cliJSON(t, &prop, append([]string{"consortium", "propose", "power", notary.Name, fmt.Sprint(newPower), "--id", "power-notary-1"}, gov(a)...)...)
	if prop.Proposal != "power-notary-1" || prop.Height == 0 || prop.State == nil || prop.State.Status != "open" || prop.Member != byName(members, "Hangzhou Internet Court").ID {
		t.Fatalf("consortium propose = %+v, want recorded, open, by the first member", prop)
	}
	anchored("with the proposal open")

	// A governance key certified under another root, naming a member.
	stranger := strangerKey(t)
	o, err := runCustos(t, "consortium", "vote", "power-notary-1", "--yes", "--member", byName(members, "Beijing Internet Court").ID,
		"--key", stranger[0], "--cert", stranger[1], "--server", ms[1].p.URL)
	if err == nil || !strings.Contains(err.Error(), "403 Not signed by a member") {
		t.Errorf("vote with a key outside the consortium: %v\n%s; want 403 Not signed by a member", err, o)
	}

	vote := func(m *member) wire.GovernanceAccepted {
		t.Helper()
		var v wire.GovernanceAccepted
		cliJSON(t, &v, append([]string{"consortium", "vote", "power-notary-1", "--yes", "--proposer", "Hangzhou Internet Court"}, gov(m)...)...)
		if v.Height == 0 || v.Kind != "vote" {
			t.Fatalf("vote by %s = %+v, want recorded", m.slug, v)
		}
		return v
	}
	vote(a)
	if v := vote(ms[1]); v.State.Status != "open" || len(v.State.Votes) != 2 {
		t.Fatalf("after two of four votes: %+v, want open with 2 votes", v.State)
	}
	o, err = runCustos(t, append([]string{"consortium", "vote", "power-notary-1", "--no"}, gov(ms[1])...)...)
	if err == nil || !strings.Contains(err.Error(), "409 Already recorded") {
		t.Errorf("a second vote: %v\n%s; want 409 Already recorded", err, o)
	}
	// A vote naming another member as the proposer signs nothing
	// (governance review finding G1).
	o, err = runCustos(t, append([]string{"consortium", "vote", "power-notary-1", "--yes", "--proposer", "Beijing Internet Court"}, gov(ms[2])...)...)
	if err == nil || !strings.Contains(err.Error(), "was proposed by Hangzhou Internet Court") {
		t.Errorf("a vote with --proposer naming another member: %v\n%s; want refused: proposed by Hangzhou Internet Court", err, o)
	}
	var p wire.Proposal
	cliJSON(t, &p, "consortium", "proposal", "power-notary-1", "--server", d.p.URL)
	if len(p.Votes) != 2 || p.NoPower != 0 {
		t.Errorf("after the refused votes: %+v, want the 2 yes votes alone", p)
	}
	// 3 of 4 equal powers: more than 2/3. The third member's administrators
	// keep its governance key in a PKCS#11 token (SoftHSM2): governance-cert
	// makes the key in the token and certifies it under the member's
	// organization CA, and the vote signed through the token passes the
	// proposal. Without SoftHSM2 the member votes with its key file.
	tokenVoted := false
	t.Run("vote with a governance key in a token", func(t *testing.T) {
		sh := testenv.SoftHSM(t)
		c, dir := ms[2], t.TempDir()
		pin := filepath.Join(dir, "pin")
		if err := os.WriteFile(pin, []byte(sh.PIN+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		uri := "pkcs11:token=" + sh.Label + ";object=governance?module-path=" + sh.Module
		cert := filepath.Join(dir, "governance.pem")
		_, o, err := custosOutErr(t, []string{"CUSTOS_TEST_GOV_PIN=" + sh.PIN}, "consortium", "governance-cert",
			"--ca", filepath.Join(out, c.slug, "pki", "org-ca.pem"), "--ca-key", filepath.Join(out, "offline", c.slug+"-org-ca.key"),
			"--key", uri, "--pin-env", "CUSTOS_TEST_GOV_PIN", "-o", cert)
		if err != nil || !strings.Contains(o, "made a new governance key") {
			t.Fatalf("consortium governance-cert --key %s: %v\n%s", uri, err, o)
		}
		var v wire.GovernanceAccepted
		cliJSON(t, &v, "consortium", "vote", "power-notary-1", "--yes", "--key", uri, "--pin-file", pin, "--cert", cert, "--server", c.p.URL)
		tokenVoted = true
		if v.Kind != "vote" || v.Height == 0 || v.Member != byName(members, "Qiantang Notary Office").ID || v.State == nil || len(v.State.Votes) != 3 {
			t.Fatalf("vote signed in the token = %+v, want recorded as the notary office's third vote", v)
		}
	})
	if !tokenVoted {
		vote(ms[2])
	}

	// The chain makes blocks only when it has work: uploads drive it to
	// the height the change takes effect at, and must keep anchoring.
	for end := time.Now().Add(30 * time.Second); ; {
		cliJSON(t, &p, "consortium", "proposal", "power-notary-1", "--server", d.p.URL)
		if p.Status == "applied" {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("proposal on the last member's node = %+v, want applied", p)
		}
		anchored("while the change takes effect")
	}
	var applied wire.Proposals
	cliJSON(t, &applied, "consortium", "proposals", "--status", "applied", "--server", d.p.URL)
	if len(applied.Proposals) != 1 || applied.Proposals[0].ID != "power-notary-1" || p.Effective != p.Passed+2 {
		t.Errorf("proposals --status applied = %+v (effective %d, passed %d)", applied, p.Effective, p.Passed)
	}
	cliJSON(t, &members, "consortium", "members", "--server", d.p.URL)
	if got := byName(members, notary.Name).Power; got != newPower {
		t.Errorf("the notary's power after the change = %d, want %d", got, newPower)
	}
	anchored("after the change")

	// Not a subtest: the node it restarts serves testLeaving.
	testRetiredCA(t, out, ms, gov, anchored)
	t.Run("leaving", func(t *testing.T) { testLeaving(t, out, ms, gov, anchored) })
}

// cliJSON runs custos with JSON output and decodes its stdout into v.
func cliJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	o, err := runCustos(t, append(args, "--json")...)
	if err != nil {
		t.Fatalf("custos %s: %v\n%s", strings.Join(args, " "), err, o)
	}
	if err := json.Unmarshal([]byte(o), v); err != nil {
		t.Fatalf("custos %s: %v\n%s", strings.Join(args, " "), err, o)
	}
}

// strangerKey writes a governance key and certificate issued under a root
// that is not the consortium's, and returns their paths.
func strangerKey(t *testing.T) [2]string {
	t.Helper()
	now := time.Now()
	root, err := certs.NewRoot("Stranger Root", now)
	if err != nil {
		t.Fatal(err)
	}
	org, err := root.NewOrgCA("court", "Stranger Court", now)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := org.IssueGovernance("Stranger governance", now)
	if err != nil {
		t.Fatal(err)
	}
	key, err := certs.EncodeKeyPEM(leaf.Signer)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	kp, cp := filepath.Join(dir, "governance.key"), filepath.Join(dir, "governance.pem")
	if err := os.WriteFile(kp, key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cp, certs.EncodePEM(leaf.Cert, org.Cert), 0o600); err != nil {
		t.Fatal(err)
	}
	return [2]string{kp, cp}
}

// TestGovernanceTables: the members and proposals lists print as tables
// with the columns a person reads; the directory and the lookup mark an
// organization or a deposit of a member that was removed, with the height.
func TestGovernanceTables(t *testing.T) {
	for _, c := range []struct {
		v    any
		want []string
	}{
		{&wire.Members{Height: 9, Members: []wire.Member{{ID: "be80", Name: "Qiantang Notary Office", Kind: "notary", Power: 20, Place: 3}}},
			[]string{"NAME", "POWER", "Qiantang Notary Office", "notary", "20"}},
		{&wire.Proposals{Height: 9, Proposals: []wire.Proposal{{ID: "power-notary-1", Action: "power", Status: "applied", YesPower: 30, TotalPower: 40}}},
			[]string{"ACTION", "STATUS", "power-notary-1", "applied", "30", "40"}},
		{[]wire.DirectoryEntry{{ID: "o1", Kind: "court", Name: "Court of D", MemberName: "Member D", Height: 5, FormerMember: true, HomeRemovedAt: 812}},
			[]string{"FORMER", "REMOVED", "Court of D", "yes", "812"}},
		{&wire.Lookup{SHA256: "ab", Anchored: true, Height: 5, MemberName: "Member D", FormerMember: true, MemberRemovedAt: 812},
			[]string{"Member D", "former_member", "yes", "812"}},
	} {
		var b strings.Builder
		if err := writeHuman(&b, c.v); err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("writeHuman(%T) lacks %q:\n%s", c.v, w, b.String())
			}
		}
	}
}

// TestVoteProposer: `consortium vote --proposer MEMBER` signs nothing
// unless that member (by name or ID) proposed the proposal under the ID,
// since an ID is the first proposal's recorded under it, whoever proposed
// it (governance review finding G1); what is voted on is named.
func TestVoteProposer(t *testing.T) {
	a, b := strings.Repeat("a1", 32), strings.Repeat("b2", 32)
	ms := &wire.Members{Members: []wire.Member{{ID: a, Name: "Qiantang Notary Office"}, {ID: b, Name: "Beijing Internet Court"}}}
	p := &wire.Proposal{ID: "rotate-qiantang-2027", Proposer: b, Action: "rotate", Target: a, ValidatorKey: make([]byte, 32), Expires: 1200}
	for _, c := range []struct {
		want string
		ok   bool
	}{{"", true}, {"Beijing Internet Court", true}, {b, true}, {"Qiantang Notary Office", false}, {a, false}, {"Nobody", false}} {
		err := checkProposer(ms, p, c.want)
		if (err == nil) != c.ok {
			t.Errorf("checkProposer(%q) = %v, want ok %v", c.want, err, c.ok)
		}
		if err != nil && c.want == a && !strings.Contains(err.Error(), "Beijing Internet Court ("+b+")") {
			t.Errorf("checkProposer(%q) = %v, want it to name the proposer", c.want, err)
		}
	}
	if got, want := proposalTarget(ms, p), "Qiantang Notary Office ("+a+")"; got != want {
		t.Errorf("proposalTarget() = %q, want %q", got, want)
	}
	if got, want := proposalParams(p), "validator_key=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= expires=1200"; got != want {
		t.Errorf("proposalParams() = %q, want %q", got, want)
	}
}

// consortium vote signs a version-6 vote below chain state version 9 and
// a version-9 vote naming the SHA-256 of the proposal it shows from 9
// (governance review finding G1); that SHA-256, computed from the
// proposal's JSON fields, is the chain's (anchor.ProposalState.Hash).
func TestSignVoteVersion(t *testing.T) {
	now := time.Now()
	root, err := certs.NewRoot("Root", now)
	if err != nil {
		t.Fatal(err)
	}
	org, err := root.NewOrgCA(certs.KindNotary, "Qiantang Notary Office", now)
	if err != nil {
		t.Fatal(err)
	}
	gov, err := org.IssueGovernance("Qiantang governance", now)
	if err != nil {
		t.Fatal(err)
	}
	s := &govSigner{chainID: "custos-test", member: strings.Repeat("a1", 32), cert: gov.Cert, orgCA: org.Cert, key: &openedKey{Signer: gov.Signer}}
	rec := anchor.ProposalState{ID: "rotate-qiantang-2027", Proposer: strings.Repeat("b2", 32), Action: "rotate", Target: strings.Repeat("a1", 32),
		ValidatorKey: make([]byte, 32), Expires: 1200, Height: 7, Status: anchor.StatusOpen, Votes: []anchor.GovVote{}}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var p wire.Proposal
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		state   int
		version uint8
	}{{anchor.StateV8, anchor.TxVersion6}, {anchor.StateV9, anchor.TxVersion9}} {
		raw, err := signVote(s, c.state, &p, true)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := anchor.DecodeTx(raw)
		if err != nil {
			t.Fatal(err)
		}
		if tx.Version != c.version || tx.Ballot.ID != p.ID || !tx.Ballot.Yes {
			t.Errorf("at state version %d: a vote of version %d on %q, want version %d", c.state, tx.Version, tx.Ballot.ID, c.version)
		}
		if c.version == anchor.TxVersion9 && tx.Ballot.Proposal != rec.Hash() {
			t.Errorf("at state version 9: the vote names %x, want the chain's %x", tx.Ballot.Proposal, rec.Hash())
		}
	}
}
