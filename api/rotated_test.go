package api

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/storage"
)

const rotatedChainID = "custos-rotated-test"

// rotatedChain is an in-process chain (state version 6) of 4 members in
// which member 1, before its validator key was rotated to newKey, homed
// organization org in the directory and registered R1 for it.
type rotatedChain struct {
	app          *anchor.App
	oldID, newID string // member 1's node member IDs, before and after
}

func newRotatedChain(t *testing.T, newKey ed25519.PublicKey, org string) *rotatedChain {
	t.Helper()
	now := time.Now()
	root, err := certs.NewRoot("Rotated Chain Root", now)
	if err != nil {
		t.Fatal(err)
	}
	type member struct {
		org  *certs.Authority
		node *certs.Leaf
		key  ed25519.PrivateKey
		gov  *certs.Leaf
		id   string
	}
	var ms []member
	var vals []anchor.GenesisValidator
	req := &abci.RequestInitChain{}
	for i := range 4 {
		ca, err := root.NewOrgCA(certs.KindNotary, "Member "+string(rune('0'+i)), now)
		if err != nil {
			t.Fatal(err)
		}
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		node, err := ca.IssueNode("node", pub, now)
		if err != nil {
			t.Fatal(err)
		}
		gov, err := ca.IssueGovernance("governance", now)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, member{org: ca, node: &certs.Leaf{Cert: node}, key: priv, gov: gov, id: anchor.MemberOfKey(pub)})
		vals = append(vals, anchor.GenesisValidator{PubKey: pub, Power: 10, OrgCA: ca.Cert})
		req.Validators = append(req.Validators, abci.Ed25519ValidatorUpdate(pub, 10))
	}
	db, err := storage.OpenDB(filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	app, err := anchor.NewApp(anchor.AppConfig{DB: db, ChainID: rotatedChainID, Root: root.Cert})
	if err != nil {
		t.Fatal(err)
	}
	req.AppStateBytes = anchor.GenesisStateMembers(root.Cert, anchor.StateV6, vals)
	if _, err := app.InitChain(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	height := int64(0)
	block := func(txs ...[]byte) {
		t.Helper()
		height++
		res, err := app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: height, Time: now.Add(time.Minute), Txs: txs})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res.TxResults {
			if r.Code != anchor.CodeOK {
				t.Fatalf("block %d, tx %d: code %d (%s)", height, i, r.Code, r.Log)
			}
		}
		if _, err := app.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
	}
	m := ms[1]
	target := sha256.Sum256(m.node.Cert.RawSubjectPublicKeyInfo)
	block(
		must(anchor.NewDirectoryTx(rotatedChainID, m.node.Cert, m.org.Cert, m.key, []anchor.OrgEntry{{ID: org, Kind: "court", Name: "Court"}})),
		must(anchor.NewRegisterTx(rotatedChainID, m.node.Cert, m.org.Cert, m.key,
			[]anchor.Registration{{ID: "R1", Org: org, Files: []anchor.RegFile{{SHA256: sha256.Sum256([]byte("work"))}}}})),
		must(anchor.NewProposeTx(rotatedChainID, ms[0].gov.Cert, ms[0].org.Cert, ms[0].gov.Signer, ms[0].id,
			anchor.Proposal{ID: "rotate", Expires: 50, Action: anchor.ActRotate, Target: target, ValidatorKey: newKey})))
	var votes [][]byte
	for _, v := range ms[:3] {
		votes = append(votes, must(anchor.NewVoteTx(rotatedChainID, v.gov.Cert, v.org.Cert, v.gov.Signer, v.id, "rotate", true)))
	}
	block(votes...)
	block()
	block() // the rotation takes effect
	c := &rotatedChain{app: app, oldID: m.id, newID: anchor.MemberOfKey(newKey)}
	if e, _, _ := app.StoredOrg(org); e.Member != c.oldID {
		t.Fatalf("the directory stores %s under %.8s, want the old node member ID %.8s", org, e.Member, c.oldID)
	}
	return c
}

// A relayed read from a member's node after the rotation of its key is
// served for the organizations the member homed before: the directory
// gives the member's current node member ID, the one its TLS certificate
// carries.
func TestRotatedMemberPeerRead(t *testing.T) {
	w := newUploadWorld(t)
	ms := peerTLS(t, 2) // A (home), C (the court's member, after its rotation)
	aID, cID := anchor.MemberID(ms[0].Cert), anchor.MemberID(ms[1].Cert)
	c := peerNode(t, ms[1], map[string]string{aID: servePeers(t, w, ms[0])})
	const court = "courtcourtcourtcourtcourt2"
	chain := newRotatedChain(t, ms[1].Cert.PublicKey.(ed25519.PublicKey), court)
	if chain.newID != cID {
		t.Fatalf("the rotated key's member ID %.8s is not C's node's %.8s", chain.newID, cID)
	}
	w.s.directory = chain.app

	data := []byte("exhibit shared with a rotated member's court")
	rec := w.upload(t, bytes.NewReader(data), "application/octet-stream")
	if rec.Code != 201 {
		t.Fatalf("upload = %d %s", rec.Code, rec.Body)
	}
	id := strings.TrimPrefix(rec.Header().Get("Location"), "/api/v1/evidence/")
	if _, _, err := w.shares.ShareTarget(context.Background(), w.org, w.actor, evidence.ShareEvidence, id, court, nil); err != nil {
		t.Fatal(err)
	}
	if code, body := peerGet(t, c, aID, "/peer/v1/evidence/"+id+"/content", court); code != 200 || body != string(data) {
		t.Errorf("the rotated node downloads for its court: %d %q, want 200 and the item", code, body)
	}
}

// rotatedRegister is the register as the rotated member's node reads it.
type rotatedRegister struct {
	*anchor.App
	member string
}

func (r rotatedRegister) Member() string { return r.member }

// chainMembers is the chain's member list, read only.
type chainMembers struct{ *anchor.App }

func (chainMembers) Height() int64                                  { return 4 }
func (c chainMembers) StateVersion() int                            { return c.App.StateVersion() }
func (chainMembers) SubmitGovernance(context.Context, []byte) error { return errors.New("read only") }

// selfPeers is a peer API whose node has member ID self.
type selfPeers struct {
	fakePeers
	self string
}

func (p selfPeers) Self() string { return p.self }

// On the rotated member's node, a registration it made before the
// rotation is its own (its details, not a remote match), and an
// organization it homed before is local (no share notice to send).
func TestRotatedMemberOwnRecords(t *testing.T) {
	w := newUploadWorld(t)
	newKey, _, _ := ed25519.GenerateKey(rand.Reader)
	const org = "ownerownerownerownerowner2"
	chain := newRotatedChain(t, newKey, org)
	w.s.consortium = rotatedRegister{App: chain.app, member: chain.newID}
	w.s.directory = chain.app
	w.s.governance = chainMembers{chain.app} // the trust bundle does not hold the new key
	sum := sha256.Sum256([]byte("work"))
	found, _, err := chain.app.SearchRegister(&sum, nil, 0, 10)
	if err != nil || len(found) != 1 {
		t.Fatalf("SearchRegister(work) = %+v, %v", found, err)
	}
	local := []wire.CopyrightMatch{{ID: "R1", Title: "the local details"}}
	out, err := w.s.mergeRegister(context.Background(), local, found)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Remote || out[0].Title != "the local details" || out[0].Member != chain.newID || out[0].MemberName != "Member 1" {
		t.Errorf("mergeRegister = %+v; want R1 once, as this node's, under %.8s (Member 1)", out, chain.newID)
	}

	w.s.peers = selfPeers{self: chain.newID}
	var p *Problem
	if err := w.s.remoteGrantee(org); !errors.As(err, &p) || p.Type != ProblemBase+"no-peer-api" {
		t.Errorf("remoteGrantee(its own organization) = %v, want it local (no-peer-api)", err)
	}
	w.s.peers = selfPeers{self: chain.oldID}
	if err := w.s.remoteGrantee(org); err != nil {
		t.Errorf("remoteGrantee(org) from another member's node = %v, want a remote grantee", err)
	}
}
