package anchor

import (
	"bytes"
	"crypto/x509"
	"path/filepath"
	"slices"
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
// n − s). The twin's SHA-256 is not the one the chain recorded, so
// FinalizeBlock at state version 10 still takes it (fixing that needs a
// new state version); CheckTx refuses it (code 8), so honest nodes neither
// keep it in their mempool nor propose it.
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
	for name, raw := range map[string][]byte{
		"a vote":     thief.ballot9(t, "p1", proposalHashOf(t, p1), true),
		"a proposal": thief.propose(t, Proposal{ID: "p2", Expires: 50, Action: ActRemove, Override: true, Target: ms[0].target()}),
	} {
		if code, msg := checkTx(t, app, raw); code != CodeRevoked {
			t.Errorf("CheckTx(%s with the revoked certificate's twin) = %d (%s), want %d", name, code, msg, CodeRevoked)
		}
	}
	// What stays open of R1 until a new state version: a block that
	// carries the twin's vote anyway (a validator proposed it) takes it.
	// A fix in FinalizeBlock turns this into CodeRevoked.
	block(t, app, 2, []uint32{CodeOK}, thief.ballot9(t, "p1", proposalHashOf(t, p1), true))
}

// R1, what the organization CA does at state version 10: it revokes the
// certificate and then its twin (CertTwin). A vote the thief cast with the
// twin before the revocation is not dropped by the first revocation (the
// vote records the twin's SHA-256); the second drops it, and a block then
// refuses the twin (code 8).
func TestGovRevokeTwinToo(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	app := newGovAppAt(t, filepath.Join(t.TempDir(), "app.db"), root, ms, StateV10)
	p1 := ms[0].propose(t, Proposal{ID: "p1", Expires: 50, Action: ActPower, Target: ms[2].target(), Power: 12})
	h1 := proposalHashOf(t, p1)
	twin, ok := CertTwin(ms[1].gov.Cert)
	if !ok {
		t.Fatalf("CertTwin(%q) = false", ms[1].gov.Cert.Subject)
	}
	thief := &govMember{testNode: ms[1].testNode, gov: &certs.Leaf{Cert: twin, Signer: ms[1].gov.Signer}, id: ms[1].id}
	block(t, app, 1, nil, p1, thief.ballot9(t, "p1", h1, false))
	block(t, app, 2, nil, ms[1].revoke(t, ms[1].gov.Cert, ""))
	if p := proposalStatus(t, app, "p1"); len(p.Votes) != 1 || p.NoPower != 10 {
		t.Fatalf("p1 after the revocation of the certificate: votes %+v, want the twin's vote still there", p.Votes)
	}
	block(t, app, 3, nil, ms[1].revoke(t, twin, ""))
	if p := proposalStatus(t, app, "p1"); len(p.Votes) != 0 || p.NoPower != 0 {
		t.Errorf("p1 after the revocation of the twin: votes %+v, want none", p.Votes)
	}
	block(t, app, 4, []uint32{CodeRevoked, CodeDuplicate}, thief.ballot9(t, "p1", h1, true), ms[1].revoke(t, twin, ""))
}

// R4, the exposure: a revocation recounts an open proposal's votes with
// the current powers but does not close it. After a removal lowered the
// total power, dropping the thief's no leaves p1 open with more than 2/3
// of the power for it; it passes at the next vote, or expires. Nothing
// diverges (every validator computes the same), but the recorded tally
// reads as passed.
func TestGovRevokeRecountStaysOpen(t *testing.T) {
	root, ms := newGovConsortium(t, 5) // total power 50
	app := newGovAppAt(t, filepath.Join(t.TempDir(), "app.db"), root, ms, StateV10)
	p1 := ms[0].propose(t, Proposal{ID: "p1", Expires: 50, Action: ActPower, Target: ms[2].target(), Power: 12})
	rm := ms[0].propose(t, Proposal{ID: "rm", Expires: 50, Action: ActRemove, Target: ms[4].target()})
	block(t, app, 1, nil, p1, rm)
	h1, hrm := proposalHashOf(t, p1), proposalHashOf(t, rm)
	block(t, app, 2, nil, ms[0].ballot9(t, "p1", h1, true), ms[2].ballot9(t, "p1", h1, true), ms[3].ballot9(t, "p1", h1, true),
		ms[1].ballot9(t, "p1", h1, false), // the thief: 30 yes, 10 no of 50, open
		ms[0].ballot9(t, "rm", hrm, true), ms[2].ballot9(t, "rm", hrm, true), ms[3].ballot9(t, "rm", hrm, true), ms[4].ballot9(t, "rm", hrm, true))
	for h := int64(3); h <= 2+GovDelay; h++ {
		block(t, app, h, nil)
	}
	block(t, app, 3+GovDelay, nil, ms[1].revoke(t, ms[1].gov.Cert, ""))
	p := proposalStatus(t, app, "p1")
	if p.Status != StatusOpen || p.TotalPower != 40 || 3*p.YesPower <= 2*p.TotalPower {
		t.Fatalf("p1 after the removal and the revocation: %s, yes %d of %d; want open with more than 2/3 yes (the exposure)", p.Status, p.YesPower, p.TotalPower)
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
	if want := []uint32{CodeRevoked, CodeOK, CodeDuplicate}; !slices.Equal(c1[3], want) {
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
// (SM2 too, which has no twin). CheckTx refuses a vote carrying such an
// encoding of a revoked certificate (it took the SM one, and the ECDSA one
// whose twin was not revoked, before CertEncodings); a block still takes
// it at state version 10 (as R1's twin), until the CA revokes every
// encoding (CertEncodings, what consortium revoke-governance-cert does).
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
			block(t, app, 1, nil, p1, ms[1].revoke(t, ms[1].gov.Cert, ""))
			if code, msg := checkTx(t, app, thief.ballot9(t, "p1", h1, true)); code != CodeRevoked {
				t.Errorf("CheckTx(a vote with a shifted encoding of the revoked certificate) = %d (%s), want %d", code, msg, CodeRevoked)
			}
			block(t, app, 2, []uint32{CodeOK}, thief.ballot9(t, "p1", h1, false)) // what stays open until a new state version
			if p := proposalStatus(t, app, "p1"); len(p.Votes) != 1 {
				t.Fatalf("p1: votes %+v, want the shifted encoding's", p.Votes)
			}
			var revs [][]byte
			for _, c := range encs {
				revs = append(revs, ms[1].revoke(t, c, ""))
			}
			block(t, app, 3, nil, revs...)
			if p := proposalStatus(t, app, "p1"); len(p.Votes) != 0 {
				t.Errorf("p1 after the revocation of every encoding: votes %+v, want none", p.Votes)
			}
		})
	}
}
