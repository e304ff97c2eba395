package anchor

import (
	"crypto/x509"
	"path/filepath"
	"testing"

	"github.com/custos-project/custos/certs"
)

// Tests of the review of chain state version 10 (docs/security.md,
// "Review of chain state version 10 (session 17)").

// twinCert is cert with its issuer's ECDSA signature s replaced by n − s:
// the same certificate (the same TBSCertificate, as valid), other DER,
// another SHA-256. Anyone holding the certificate can make it.
func twinCert(t *testing.T, cert *x509.Certificate) *x509.Certificate {
	t.Helper()
	der, ok := ecdsaTwin(cert)
	if !ok {
		t.Fatalf("certificate %q has no ECDSA P-256 signature", cert.Subject)
	}
	twin, err := certs.ParseCertificate(der)
	if err != nil {
		t.Fatalf("ParseCertificate(twin) = %v", err)
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
