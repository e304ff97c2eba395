package anchor

import (
	"crypto/ed25519"
	"crypto/x509"
	"path/filepath"
	"testing"

	"github.com/custos-project/custos/certs"
)

// Finding C9 of the review of consortium reissue (docs/security.md): the
// chain knew a retired organization CA by the SHA-256 of its DER. From
// state version 10 it knows the key.

// underCA is n with its node certificate presented under ca, another
// certificate of its organization CA's key.
func underCA(n *testNode, ca *x509.Certificate) *testNode {
	return &testNode{root: n.root, org: &certs.Authority{Cert: ca, Signer: n.org.Signer, Chain: n.org.Chain}, cert: n.cert, key: n.key}
}

// sameKeyCert is a new certificate from the root for the key and names of
// m's organization CA: a renewal, or what the root holder signs for
// whoever brings a request signed with the stolen CA key.
func sameKeyCert(t *testing.T, root *certs.Authority, m *govMember) *x509.Certificate {
	t.Helper()
	subj := m.org.Cert.Subject
	req, err := certs.NewOrgCARequest(subj.OrganizationalUnit[0], subj.Organization[0], m.org.Signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := root.SignOrgCA(req, txNow)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// After a retire-ca, a node transaction under another encoding of the
// retired CA (CertTwin) or under a new certificate for its key is refused
// (code 2) in CheckTx and in a block, and neither is bound to the member.
func TestRetiredCAKey(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	app := newGovAppAt(t, filepath.Join(t.TempDir(), "app.db"), root, ms, StateV10)
	target := ms[3]
	p := Proposal{ID: "retire", Expires: 50, Action: ActRetireCA, Target: target.target(), CAHash: [32]byte(caKey(target.org.Cert))}
	block(t, app, 1, nil, ms[0].propose(t, p))
	h := proposalHashOf(t, ms[0].propose(t, p))
	block(t, app, 2, nil, ms[0].ballot9(t, p.ID, h, true), ms[1].ballot9(t, p.ID, h, true), ms[2].ballot9(t, p.ID, h, true))
	block(t, app, 3, nil)
	block(t, app, 4, []uint32{CodeNotMember}, target.batch7(t, 1, testLeaves(0, 1), nil, nil))
	twin, ok := CertTwin(target.org.Cert)
	if !ok {
		t.Fatal("the organization CA has no twin")
	}
	for i, ca := range []*x509.Certificate{twin, sameKeyCert(t, root, target)} {
		raw := underCA(target.testNode, ca).batch7(t, 1, testLeaves(0, 1), nil, nil)
		if code, msg := checkTx(t, app, raw); code != CodeNotMember {
			t.Errorf("CheckTx(a batch under CA %d with the retired key) = %d (%s), want %d", i, code, msg, CodeNotMember)
		}
		block(t, app, int64(5+i), []uint32{CodeNotMember}, raw)
	}
	members, _ := app.Members()
	if cas := members[3].OrgCAs; len(cas) != 1 || cas[0].Retired != 4 {
		t.Errorf("the member's CAs: %+v, want only the retired one", cas)
	}
}

// A CA with the key of another member's CA is not bound to a member by its
// node's transaction, nor admitted; and retiring a CA retires the member's
// other certificates of its key (a CA renewed with the same key).
func TestCAKeyBinding(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	app := newGovAppAt(t, filepath.Join(t.TempDir(), "app.db"), root, ms, StateV10)
	// Member 3's node under a certificate for member 2's CA key: the batch
	// is anchored (the node is a validator) but the CA is not bound.
	other := &testNode{root: ms[3].root, org: &certs.Authority{Cert: sameKeyCert(t, root, ms[2]), Signer: ms[2].org.Signer}, key: ms[3].key}
	cert, err := other.org.IssueNode("node 3 under member 2's key", ms[3].key.Public().(ed25519.PublicKey), txNow)
	if err != nil {
		t.Fatal(err)
	}
	other.cert = cert
	block(t, app, 1, nil, other.batch7(t, 1, testLeaves(0, 1), nil, nil))
	members, _ := app.Members()
	if n := len(members[3].OrgCAs); n != 1 {
		t.Errorf("member 3's CAs after a batch under member 2's key: %d, want 1 (not bound)", n)
	}

	// Member 3 renews its CA with the same key; its node binds it.
	renewed := sameKeyCert(t, root, ms[3])
	block(t, app, 2, nil, underCA(ms[3].testNode, renewed).batch7(t, 2, testLeaves(1, 1), nil, nil))
	members, _ = app.Members()
	if n := len(members[3].OrgCAs); n != 2 {
		t.Fatalf("member 3's CAs after a batch under its renewed CA: %d, want 2", n)
	}
	p := Proposal{ID: "retire", Expires: 50, Action: ActRetireCA, Target: ms[3].target(), CAHash: [32]byte(caKey(ms[3].org.Cert))}
	prop := ms[0].propose(t, p)
	h := proposalHashOf(t, prop)
	block(t, app, 3, nil, prop)
	block(t, app, 4, nil, ms[0].ballot9(t, p.ID, h, true), ms[1].ballot9(t, p.ID, h, true), ms[2].ballot9(t, p.ID, h, true))
	block(t, app, 5, nil)
	block(t, app, 6, []uint32{CodeNotMember}, underCA(ms[3].testNode, renewed).batch7(t, 3, testLeaves(2, 1), nil, nil))
	members, _ = app.Members()
	for _, c := range members[3].OrgCAs {
		if c.Retired != 6 {
			t.Errorf("member 3's CA %s: retired %d, want 6 (both of the key)", c.SHA256, c.Retired)
		}
	}
}
