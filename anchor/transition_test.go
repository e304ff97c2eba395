package anchor

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/receipt"
	"github.com/custos-project/custos/storage"
)

// TestGovTransitionOnNode admits a validator on a running one-node chain
// (CometBFT in process) and checks what CometBFT made of the validator
// update: the set that signs from two blocks after the change holds the
// new key, the chain goes on (10 of 11 power), and Chain.Transition serves
// the header signed by the old set that names the new one.
func TestGovTransitionOnNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a CometBFT node")
	}
	root, err := certs.NewRoot("Transition Root", txNow)
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(t.TempDir(), "node")
	pub, _, err := InitHome(home)
	if err != nil {
		t.Fatal(err)
	}
	org, err := root.NewOrgCA(certs.KindCourt, "Court", txNow)
	if err != nil {
		t.Fatal(err)
	}
	gov, err := org.IssueGovernance("Court governance", txNow)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := org.IssueNode("node", pub, txNow)
	if err != nil {
		t.Fatal(err)
	}
	court := &govMember{testNode: &testNode{root: root, org: org, cert: cert}, gov: gov, id: MemberOfKey(pub)}
	vals := []GenesisValidator{{Name: "court", PubKey: pub, Power: 10, OrgCA: org.Cert}}
	if err := WriteGenesis(GenesisPath(home), "custos-transition", vals, root.Cert, time.Now(), StateV6); err != nil {
		t.Fatal(err)
	}
	state, err := storage.OpenDB(filepath.Join(home, "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { state.Close() })
	local, err := storage.OpenDB(filepath.Join(home, "anchor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { local.Close() })
	c, err := Start(context.Background(), ChainConfig{Home: home, StateDB: state, LocalDB: local, ChainID: "custos-transition",
		Root: root.Cert, NodeCert: cert, OrgCA: org.Cert, Source: synthSource{limit: new(atomic.Uint64)}, Moniker: "court",
		TimeoutCommit: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })

	joinerOrg, err := root.NewOrgCA(certs.KindNotary, "Joiner", txNow)
	if err != nil {
		t.Fatal(err)
	}
	joinerKey, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sign := func(f func(chainID string) ([]byte, error)) []byte {
		t.Helper()
		b, err := f("custos-transition")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	broadcast := func(raw []byte) {
		t.Helper()
		r, err := c.Node.Broadcast(ctx, raw)
		if err != nil || r.Code != CodeOK {
			t.Fatalf("Broadcast() = %v, %v", r, err)
		}
	}
	broadcast(sign(func(id string) ([]byte, error) {
		return NewProposeTx(id, gov.Cert, org.Cert, gov.Signer, court.id, Proposal{ID: "admit", Expires: 1000, Action: ActAdmit, OrgCA: joinerOrg.Cert, ValidatorKey: joinerKey, Power: 1})
	}))
	// A vote is checked against the committed state: the proposal first.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, ok, _ := c.App.Proposal("admit"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the proposal is not in a block after 30 s")
		}
	}
	broadcast(sign(func(id string) ([]byte, error) {
		return NewVoteTx(id, gov.Cert, org.Cert, gov.Signer, court.id, "admit", true)
	}))
	// Blocks come only with transactions: keep proposing (nobody votes on
	// these) until the change is final and two blocks past it.
	var change int64
	for i, deadline := 0, time.Now().Add(60*time.Second); ; i++ {
		if hs, _ := c.App.ValidatorChanges(); len(hs) == 1 && c.Node.Height() >= hs[0]+3 {
			change = hs[0]
			break
		}
		if time.Now().After(deadline) {
			p, _, _ := c.App.Proposal("admit")
			t.Fatalf("no validator change final after 60 s: height %d, proposal %+v", c.Node.Height(), p)
		}
		broadcast(sign(func(id string) ([]byte, error) {
			return NewProposeTx(id, gov.Cert, org.Cert, gov.Signer, court.id, Proposal{ID: fmt.Sprintf("tick-%d", i), Expires: 1000, Action: ActPower, Target: court.target(), Power: uint64(i + 11)})
		}))
		time.Sleep(100 * time.Millisecond)
	}
	p, _, _ := c.App.Proposal("admit")
	if p.Status != StatusApplied || p.Closed != change {
		t.Fatalf("the admission: %+v, want applied at the change height %d", p, change)
	}
	before, err := c.Node.Validators(ctx, change+1)
	if err != nil {
		t.Fatal(err)
	}
	after, err := c.Node.Validators(ctx, change+2)
	if err != nil {
		t.Fatal(err)
	}
	if before.Size() != 1 || after.Size() != 2 || after.TotalVotingPower() != 11 || !after.HasAddress(cmted25519.PubKey(joinerKey).Address()) {
		t.Fatalf("validators at %d: %v; at %d: %v; want the joiner (power 1) from %d", change+1, before, change+2, after, change+2)
	}
	tr, err := c.Transition(ctx, change)
	if err != nil {
		t.Fatalf("Transition(%d) = %v", change, err)
	}
	shb, _ := base64.StdEncoding.DecodeString(tr.SignedHeader)
	var shp cmtproto.SignedHeader
	if err := shp.Unmarshal(shb); err != nil {
		t.Fatal(err)
	}
	sh, err := types.SignedHeaderFromProto(&shp)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Height != change+1 || string(sh.ValidatorsHash) != string(before.Hash()) || string(sh.NextValidatorsHash) != string(after.Hash()) {
		t.Errorf("Transition(%d): height %d, validators %X, next %X; want %d, the old set %X, the new %X",
			change, tr.Height, sh.ValidatorsHash, sh.NextValidatorsHash, change+1, before.Hash(), after.Hash())
	}
	if err := before.VerifyCommitLight("custos-transition", sh.Commit.BlockID, sh.Height, sh.Commit); err != nil {
		t.Errorf("the transition's commit by the old set: %v", err)
	}
	if _, err := c.Transition(ctx, c.Node.Height()); err != ErrNoCheckpoint {
		t.Errorf("Transition(the latest height) = %v, want ErrNoCheckpoint", err)
	}
	checkReceiptsAcrossChange(t, c, root, pub, change)
}

// checkReceiptsAcrossChange: with the genesis trust bundle, the receipt
// verifier (receipt) accepts the chain's checkpoints before the
// change (no transitions) and after it (carrying the transition), refuses
// the latest one stripped of its transition, and accepts it again with
// the node's trust bundle version 2 (docs/receipt.md §8).
func checkReceiptsAcrossChange(t *testing.T, c *Chain, root *certs.Authority, pub ed25519.PublicKey, change int64) {
	t.Helper()
	ctx := context.Background()
	genesis := receipt.Trust{Version: 1, ChainID: "custos-transition", RootPEM: string(certs.EncodePEM(root.Cert)),
		Validators: []receipt.Validator{{Name: "court", Kind: certs.KindCourt, PubKey: base64.StdEncoding.EncodeToString(pub), Power: 10}}}
	v, err := receipt.NewVerifier(&genesis)
	if err != nil {
		t.Fatal(err)
	}
	before, err := c.CheckpointAt(ctx, change+1)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := v.VerifyCheckpoint(before); err != nil || len(before.Transitions) != 0 || res.Transitions != 0 {
		t.Errorf("checkpoint %d (before the change) = %+v, %v; want it to verify with no transitions", change+1, res, err)
	}
	latest, err := c.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.VerifyCheckpoint(latest)
	if err != nil || len(latest.Transitions) != 1 || res.Transitions != 1 || res.TotalPower != 11 {
		t.Fatalf("checkpoint %d (after the change) = %+v, %v; want it to verify through its one transition", latest.Height, res, err)
	}
	stripped := *latest
	stripped.Transitions = nil
	var verr *receipt.VerifyError
	if _, err := v.VerifyCheckpoint(&stripped); !errors.As(err, &verr) || verr.Step != receipt.StepCheckpoint {
		t.Errorf("checkpoint %d without its transition = %v, want a failure at step checkpoint", latest.Height, err)
	}
	b2, err := c.TrustV2(ctx, genesis)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(b2)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := receipt.ParseTrust(raw)
	if err != nil {
		t.Fatalf("ParseTrust(TrustV2) = %v", err)
	}
	v2, err := receipt.NewVerifier(parsed)
	if err != nil {
		t.Fatalf("NewVerifier(TrustV2) = %v", err)
	}
	if parsed.TransitionsThrough != change+1 || len(parsed.ValidatorsCurrent) != 2 {
		t.Errorf("TrustV2: through %d, current %+v; want %d and two validators", parsed.TransitionsThrough, parsed.ValidatorsCurrent, change+1)
	}
	if res, err := v2.VerifyCheckpoint(&stripped); err != nil || res.Transitions != 1 {
		t.Errorf("checkpoint %d without its transition, with trust bundle version 2 = %+v, %v", latest.Height, res, err)
	}
}
