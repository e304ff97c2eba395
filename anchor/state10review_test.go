package anchor

import (
	"bytes"
	"crypto/x509"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/custos-project/custos/certs"
)

// Tests of the review of chain state version 10 (docs/security.md,
// "Review of chain state version 10 (session 17)").

// twinCert is CertTwin(cert), which a test needs.
func twinCert(t *testing.T, cert *x509.Certificate) *x509.Certificate {
	t.Helper()
	twin, ok := CertTwin(cert)
	if !ok {
		t.Fatalf("CertTwin(%q) = false, want the twin of an ECDSA-signed certificate", cert.Subject)
	}
	return twin
}

// R1: a vote or proposal signed with a revoked governance key but carrying
// the twin of the revoked certificate (its CA's signature s replaced by
// n − s), which is as valid. The chain knows a revoked certificate by its
// TBSCertificate, the same in the twin: CheckTx and a block refuse both
// (CodeRevoked), so a validator that proposes them changes nothing, and a
// revocation of the twin afterwards is a duplicate.
func TestGovRevokeTwinCert(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	app := newGovAppAt(t, filepath.Join(t.TempDir(), "app.db"), root, ms, StateV10)
	p1 := ms[0].propose(t, Proposal{ID: "p1", Expires: 50, Action: ActPower, Target: ms[2].target(), Power: 12})
	block(t, app, 1, nil, p1, ms[1].revoke(t, ms[1].gov.Cert, ""))
	twin := twinCert(t, ms[1].gov.Cert)
	if err := certs.CheckGovernance(twin, ms[1].org.Cert, root.Cert, txNow); err != nil {
		t.Fatalf("CheckGovernance(twin) = %v, want the twin valid", err)
	}
	thief := &govMember{testNode: ms[1].testNode, gov: &certs.Leaf{Cert: twin, Signer: ms[1].gov.Signer}, id: ms[1].id}
	vote := thief.ballot9(t, "p1", proposalHashOf(t, p1), true)
	prop := thief.propose(t, Proposal{ID: "p2", Expires: 50, Action: ActRemove, Override: true, Target: ms[0].target()})
	for name, raw := range map[string][]byte{"a vote": vote, "a proposal": prop} {
		if code, msg := checkTx(t, app, raw); code != CodeRevoked || !strings.Contains(msg, "was revoked at height 1") {
			t.Errorf("CheckTx(%s with the revoked certificate's twin) = %d (%s), want %d", name, code, msg, CodeRevoked)
		}
	}
	block(t, app, 2, []uint32{CodeRevoked, CodeRevoked, CodeDuplicate}, vote, prop, ms[1].revoke(t, twin, ""))
	if p := proposalStatus(t, app, "p1"); len(p.Votes) != 0 {
		t.Errorf("p1: votes %+v, want none", p.Votes)
	}
	if _, ok, _ := app.Proposal("p2"); ok {
		t.Error("the twin's proposal was recorded")
	}
	members, _ := app.Members()
	if r := members[1].RevokedGov; len(r) != 1 || r[0].TBS != TBSSHA256(twin) {
		t.Errorf("member 1's revoked certificates: %+v, want one, under the TBSCertificate it shares with its twin", r)
	}
}

// R1, the vote cast before: a vote the thief cast with the twin before the
// revocation of the certificate is dropped by it; and revoking the twin
// revokes the certificate.
func TestGovRevokeTwinVoteDropped(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	app := newGovAppAt(t, filepath.Join(t.TempDir(), "app.db"), root, ms, StateV10)
	p1 := ms[0].propose(t, Proposal{ID: "p1", Expires: 50, Action: ActPower, Target: ms[2].target(), Power: 12})
	h1 := proposalHashOf(t, p1)
	twin := twinCert(t, ms[1].gov.Cert)
	thief := &govMember{testNode: ms[1].testNode, gov: &certs.Leaf{Cert: twin, Signer: ms[1].gov.Signer}, id: ms[1].id}
	block(t, app, 1, nil, p1, thief.ballot9(t, "p1", h1, false))
	if p := proposalStatus(t, app, "p1"); len(p.Votes) != 1 || p.Votes[0].CertTBS != TBSSHA256(ms[1].gov.Cert) {
		t.Fatalf("p1 after the twin's vote: %+v, want it recorded with the TBSCertificate's SHA-256", p.Votes)
	}
	block(t, app, 2, nil, ms[1].revoke(t, ms[1].gov.Cert, ""))
	if p := proposalStatus(t, app, "p1"); len(p.Votes) != 0 || p.NoPower != 0 {
		t.Errorf("p1 after the revocation of the certificate: votes %+v, want the twin's dropped", p.Votes)
	}

	// The other way round, on another member: revoking the twin revokes
	// the certificate itself.
	block(t, app, 3, nil, ms[2].revoke(t, twinCert(t, ms[2].gov.Cert), ""))
	block(t, app, 4, []uint32{CodeRevoked, CodeDuplicate}, ms[2].ballot9(t, "p1", h1, true), ms[2].revoke(t, ms[2].gov.Cert, ""))
}

// R4: a proposal is decided on the powers in force. Five members of power
// 10; p1 has 30 yes and the thief's 10 no (open: 30 of 50); a removal of
// a member who did not vote on p1 takes effect, the total falls to 40,
// and p1 passes at that height (30 of 40), its change made GovDelay blocks
// later. p3, which the recount leaves short, stays open; the revocation
// then drops the thief's votes and decides nothing. (Before, p1 stayed
// open with more than 2/3 for it until its next vote or its expiry, and a
// revocation recounted without deciding.)
func TestGovRecountDecides(t *testing.T) {
	root, ms := newGovConsortium(t, 5) // total power 50
	app := newGovAppAt(t, filepath.Join(t.TempDir(), "app.db"), root, ms, StateV10)
	p1 := ms[0].propose(t, Proposal{ID: "p1", Expires: 50, Action: ActPower, Target: ms[2].target(), Power: 12})
	p3 := ms[0].propose(t, Proposal{ID: "p3", Expires: 50, Action: ActPower, Target: ms[3].target(), Power: 13})
	rm := ms[0].propose(t, Proposal{ID: "rm", Expires: 50, Action: ActRemove, Target: ms[4].target()})
	block(t, app, 1, nil, p1, p3, rm)
	h1, h3, hrm := proposalHashOf(t, p1), proposalHashOf(t, p3), proposalHashOf(t, rm)
	block(t, app, 2, nil, ms[0].ballot9(t, "p1", h1, true), ms[2].ballot9(t, "p1", h1, true), ms[3].ballot9(t, "p1", h1, true),
		ms[1].ballot9(t, "p1", h1, false), // the thief: 30 yes, 10 no of 50, open
		ms[0].ballot9(t, "p3", h3, true), ms[1].ballot9(t, "p3", h3, false),
		ms[0].ballot9(t, "rm", hrm, true), ms[2].ballot9(t, "rm", hrm, true), ms[3].ballot9(t, "rm", hrm, true), ms[4].ballot9(t, "rm", hrm, true))
	for h := int64(3); h < 2+GovDelay; h++ {
		block(t, app, h, nil)
	}
	if p := proposalStatus(t, app, "p1"); p.Status != StatusOpen || p.TotalPower != 50 {
		t.Fatalf("p1 before the removal: %s of %d, want open of 50", p.Status, p.TotalPower)
	}
	at := int64(2 + GovDelay) // the removal's effective height
	block(t, app, at, nil)
	p := proposalStatus(t, app, "p1")
	if p.Status != StatusPassed || p.Passed != at || p.Effective != at+GovDelay || p.YesPower != 30 || p.TotalPower != 40 {
		t.Errorf("p1 after the removal: %s at %d (effective %d), yes %d of %d; want passed at %d", p.Status, p.Passed, p.Effective, p.YesPower, p.TotalPower, at)
	}
	if p := proposalStatus(t, app, "p3"); p.Status != StatusOpen || p.YesPower != 10 || p.TotalPower != 40 {
		t.Errorf("p3 after the removal: %s, yes %d of %d; want open, recounted", p.Status, p.YesPower, p.TotalPower)
	}
	block(t, app, at+1, nil, ms[1].revoke(t, ms[1].gov.Cert, ""))
	if p := proposalStatus(t, app, "p3"); p.Status != StatusOpen || len(p.Votes) != 1 || p.NoPower != 0 {
		t.Errorf("p3 after the revocation: %s, votes %+v; want open with the thief's no dropped", p.Status, p.Votes)
	}
	for h := at + 2; h <= at+GovDelay; h++ {
		block(t, app, h, nil)
	}
	members, _ := app.Members()
	if i := slices.IndexFunc(members, func(m Member) bool { return m.ID == ms[2].id }); i < 0 || members[i].Power != 12 {
		t.Errorf("member 2 after p1's effective height: %+v, want power 12", members)
	}
}

// Consensus: the same blocks of revocations, votes dropped from several
// open proposals, a twin's vote and refused revocations give the same
// AppHash and the same codes on two nodes, each run in full and the second
// also stopped and started again halfway (no map order, clock or local
// setting decides).
func TestGovRevokeReplay(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	var props [][]byte
	var hashes [][32]byte
	for i, id := range []string{"a", "b", "c"} {
		p := ms[0].propose(t, Proposal{ID: id, Expires: 60, Action: ActPower, Target: ms[1+i%3].target(), Power: uint64(11 + i)})
		props, hashes = append(props, p), append(hashes, proposalHashOf(t, p))
	}
	twin := &govMember{testNode: ms[2].testNode, gov: &certs.Leaf{Cert: twinCert(t, ms[2].gov.Cert), Signer: ms[2].gov.Signer}, id: ms[2].id}
	blocks := [][][]byte{
		props,
		{ms[1].ballot9(t, "a", hashes[0], false), ms[1].ballot9(t, "b", hashes[1], true), ms[2].ballot9(t, "a", hashes[0], true),
			twin.ballot9(t, "b", hashes[1], false), ms[3].ballot9(t, "c", hashes[2], false)},
		{ms[1].revoke(t, ms[1].gov.Cert, ""), ms[2].revoke(t, ms[2].gov.Cert, ""), ms[3].revoke(t, ms[1].gov.Cert, ms[1].id)},
		{ms[1].ballot9(t, "c", hashes[2], true), ms[2].revoke(t, twin.gov.Cert, ""), ms[1].revoke(t, ms[1].gov.Cert, "")},
		{twin.ballot9(t, "c", hashes[2], true), ms[0].ballot9(t, "a", hashes[0], true)},
	}
	run := func(path string, restartAt int) (hashes [][]byte, codes [][]uint32) {
		app := newGovAppAt(t, path, root, ms, StateV10)
		for i, txs := range blocks {
			if i == restartAt {
				app.db.Close()
				var err error
				if app, err = NewApp(AppConfig{DB: openDB(t, path), ChainID: testChainID, Root: root.Cert}); err != nil {
					t.Fatal(err)
				}
			}
			res := finalize(t, app, int64(i+1), txs...)
			commit(t, app)
			var c []uint32
			for _, r := range res.TxResults {
				c = append(c, r.Code)
			}
			hashes, codes = append(hashes, res.AppHash), append(codes, c)
		}
		return hashes, codes
	}
	dir := t.TempDir()
	h1, c1 := run(filepath.Join(dir, "one.db"), -1)
	h2, c2 := run(filepath.Join(dir, "two.db"), 2)
	for i := range blocks {
		if !bytes.Equal(h1[i], h2[i]) || !slices.Equal(c1[i], c2[i]) {
			t.Errorf("block %d: AppHash %x codes %v, and %x %v after a restart; want the same", i+1, h1[i], c1[i], h2[i], c2[i])
		}
	}
	if want := []uint32{CodeOK, CodeOK, CodeNotMember}; !slices.Equal(c1[2], want) {
		t.Errorf("block 3 codes %v, want %v", c1[2], want)
	}
	if want := []uint32{CodeRevoked, CodeDuplicate, CodeDuplicate}; !slices.Equal(c1[3], want) {
		t.Errorf("block 4 codes %v, want %v", c1[3], want)
	}
	if want := []uint32{CodeRevoked, CodeOK}; !slices.Equal(c1[4], want) {
		t.Errorf("block 5 codes %v, want %v", c1[4], want)
	}
}

// R2: the organization CA's signature in a certificate can also be
// written in a BIT STRING with 1 or 2 unused bits (a DER signature starts
// 0x30, whose two high bits are 0): Go's parser right-aligns it to the same
// value, so the certificate verifies under another SHA-256, in both suites
// (SM2 too, which has no twin). Every such encoding has the certificate's
// TBSCertificate: after one revocation, CheckTx and a block refuse a vote
// with any of them, a vote cast with one before is dropped, and revoking
// another is a duplicate.
func TestGovRevokeShiftedCert(t *testing.T) {
	for _, suite := range []certs.Suite{certs.SuiteECDSA, certs.SuiteSM} {
		t.Run(string(suite), func(t *testing.T) {
			root, err := certs.NewSuiteRoot(suite, "Gov Root", txNow)
			if err != nil {
				t.Fatal(err)
			}
			var ms []*govMember
			for i, kind := range []string{certs.KindCourt, certs.KindNotary, certs.KindNotary, certs.KindNotary} {
				ms = append(ms, newGovMember(t, root, kind, "Member "+string(rune('A'+i))))
			}
			app := newGovAppAt(t, filepath.Join(t.TempDir(), "app.db"), root, ms, StateV10)
			encs := CertEncodings(ms[1].gov.Cert)
			if want := map[certs.Suite]int{certs.SuiteECDSA: 5, certs.SuiteSM: 2}[suite]; len(encs) != want {
				t.Fatalf("CertEncodings() = %d certificates, want %d", len(encs), want)
			}
			var shifted *x509.Certificate
			for _, c := range encs {
				if err := certs.CheckGovernance(c, ms[1].org.Cert, root.Cert, txNow); err != nil {
					t.Fatalf("CheckGovernance(another encoding) = %v, want it valid", err)
				}
				if bytes.Equal(c.Signature, ms[1].gov.Cert.Signature) {
					shifted = c // the same signature value, with unused bits
				}
			}
			if shifted == nil || bytes.Equal(shifted.Raw, ms[1].gov.Cert.Raw) {
				t.Fatal("CertEncodings() holds no shifted encoding of the certificate's own signature")
			}
			p1 := ms[0].propose(t, Proposal{ID: "p1", Expires: 50, Action: ActPower, Target: ms[2].target(), Power: 12})
			h1 := proposalHashOf(t, p1)
			thief := &govMember{testNode: ms[1].testNode, gov: &certs.Leaf{Cert: shifted, Signer: ms[1].gov.Signer}, id: ms[1].id}
			block(t, app, 1, nil, p1, thief.ballot9(t, "p1", h1, false))
			block(t, app, 2, nil, ms[1].revoke(t, ms[1].gov.Cert, ""))
			if p := proposalStatus(t, app, "p1"); len(p.Votes) != 0 {
				t.Errorf("p1 after the revocation: votes %+v, want the shifted encoding's dropped", p.Votes)
			}
			for i, c := range encs {
				other := &govMember{testNode: ms[1].testNode, gov: &certs.Leaf{Cert: c, Signer: ms[1].gov.Signer}, id: ms[1].id}
				vote := other.ballot9(t, "p1", h1, true)
				if code, msg := checkTx(t, app, vote); code != CodeRevoked {
					t.Errorf("CheckTx(a vote with encoding %d of the revoked certificate) = %d (%s), want %d", i, code, msg, CodeRevoked)
				}
				block(t, app, int64(3+i), []uint32{CodeRevoked, CodeDuplicate}, vote, ms[1].revoke(t, c, ""))
			}
		})
	}
}
