package anchor

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"path/filepath"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/certs"
)

func newTestApp(t *testing.T, path string, root *certs.Authority, validators ...*testNode) *App {
	t.Helper()
	app, err := NewApp(AppConfig{DB: openDB(t, path), ChainID: testChainID, Root: root.Cert})
	if err != nil {
		t.Fatal(err)
	}
	if len(validators) > 0 {
		req := &abci.RequestInitChain{AppStateBytes: GenesisState(root.Cert, StateV1)}
		for _, v := range validators {
			req.Validators = append(req.Validators, abci.Ed25519ValidatorUpdate(v.key.Public().(ed25519.PublicKey), 10))
		}
		if _, err := app.InitChain(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	return app
}

func finalize(t *testing.T, app *App, height int64, txs ...[]byte) *abci.ResponseFinalizeBlock {
	t.Helper()
	res, err := app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: height, Time: txNow.Add(time.Minute), Txs: txs})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func commit(t *testing.T, app *App) {
	t.Helper()
	if _, err := app.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
}

// Two replicas fed the same blocks reach the same AppHash at every height,
// and the AppHash is the tree head (size ‖ root).
func TestAppDeterministic(t *testing.T) {
	node := newTestNode(t, nil)
	stranger := newTestNode(t, nil) // another consortium
	dir := t.TempDir()
	a := newTestApp(t, filepath.Join(dir, "a.db"), node.root, node)
	b := newTestApp(t, filepath.Join(dir, "b.db"), node.root, node)
	blocks := [][][]byte{
		{node.tx(t, testChainID, 1, testLeaves(0, 3))},
		{node.tx(t, testChainID, 2, testLeaves(3, 1)), stranger.tx(t, testChainID, 1, testLeaves(9, 2)), []byte("garbage")},
		{node.tx(t, testChainID, 2, testLeaves(3, 1))}, // a resubmission: skipped
		{},
		{node.tx(t, testChainID, 3, testLeaves(4, 5000))},
	}
	wantCodes := [][]uint32{{CodeOK}, {CodeOK, CodeNotMember, CodeMalformed}, {CodeDuplicate}, {}, {CodeOK}}
	wantSize := []uint64{3, 4, 4, 4, 5004}
	for i, txs := range blocks {
		h := int64(i + 1)
		ra, rb := finalize(t, a, h, txs...), finalize(t, b, h, txs...)
		commit(t, a)
		commit(t, b)
		if !bytes.Equal(ra.AppHash, rb.AppHash) {
			t.Fatalf("height %d: replicas disagree: %x vs %x", h, ra.AppHash, rb.AppHash)
		}
		for j, r := range ra.TxResults {
			if r.Code != wantCodes[i][j] {
				t.Errorf("height %d tx %d: code %d (%s), want %d", h, j, r.Code, r.Log, wantCodes[i][j])
			}
		}
		var root []byte
		a.View(func(l *Log, tx *bolt.Tx) error {
			_, root, _ = l.Root(tx)
			return nil
		})
		if want := AppHash(wantSize[i], root); !bytes.Equal(ra.AppHash, want) {
			t.Errorf("height %d: AppHash %x, want size %d ‖ root %x", h, ra.AppHash, wantSize[i], root)
		}
	}
	info, err := a.Info(context.Background(), &abci.RequestInfo{})
	if err != nil || info.LastBlockHeight != 5 || len(info.LastBlockAppHash) != 40 {
		t.Errorf("Info = %+v, %v", info, err)
	}
	inc, ok, err := a.Applied(node.txMember(t), 2)
	if err != nil || !ok || inc.First != 3 || inc.Count != 1 || inc.Height != 2 {
		t.Errorf("Applied(seq 2) = %+v, %v, %v", inc, ok, err)
	}
}

// A crash after FinalizeBlock but before Commit persists nothing: Info
// reports the previous height, and replaying the block gives the same hash.
func TestAppCrashBeforeCommit(t *testing.T) {
	node := newTestNode(t, nil)
	path := filepath.Join(t.TempDir(), "app.db")
	app := newTestApp(t, path, node.root, node)
	finalize(t, app, 1, node.tx(t, testChainID, 1, testLeaves(0, 2)))
	commit(t, app)
	tx2 := node.tx(t, testChainID, 2, testLeaves(2, 7))
	first := finalize(t, app, 2, tx2).AppHash
	app.tx.Rollback() // the process dies before Commit
	app.db.Close()

	again := newTestApp(t, path, node.root)
	info, _ := again.Info(context.Background(), &abci.RequestInfo{})
	if info.LastBlockHeight != 1 {
		t.Fatalf("after a crash before Commit, Info height = %d, want 1", info.LastBlockHeight)
	}
	replayed := finalize(t, again, 2, tx2).AppHash
	commit(t, again)
	if !bytes.Equal(first, replayed) {
		t.Errorf("replay gives AppHash %x, the lost block had %x", replayed, first)
	}
}

func TestAppMempoolAndProposals(t *testing.T) {
	node := newTestNode(t, nil)
	stranger := newTestNode(t, nil)
	app := newTestApp(t, filepath.Join(t.TempDir(), "app.db"), node.root, node)
	good := node.tx(t, testChainID, 1, testLeaves(0, 2))
	// A second node certified by the same member's CA, but not a validator.
	extra := newTestNode(t, node.org)
	for _, tt := range []struct {
		name string
		tx   []byte
		want uint32
	}{
		{"member", good, CodeOK},
		{"non-member", stranger.tx(t, testChainID, 1, testLeaves(0, 2)), CodeNotMember},
		{"member's CA but not a validator", extra.tx(t, testChainID, 1, testLeaves(0, 2)), CodeNotMember},
		{"other chain", node.tx(t, "other-chain", 1, testLeaves(0, 2)), CodeNotMember},
		{"garbage", []byte{0x43, 0x53}, CodeMalformed},
	} {
		res, err := app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tt.tx})
		if err != nil || res.Code != tt.want {
			t.Errorf("CheckTx(%s) = %d %q, %v; want %d", tt.name, res.Code, res.Log, err, tt.want)
		}
	}
	pp := func(txs ...[]byte) abci.ResponseProcessProposal_ProposalStatus {
		res, err := app.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Txs: txs, Time: txNow.Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		return res.Status
	}
	bad := stranger.tx(t, testChainID, 5, testLeaves(0, 1))
	prep, err := app.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: [][]byte{bad, good, []byte("x")}, MaxTxBytes: 1 << 20, Time: txNow.Add(time.Minute)})
	if err != nil || len(prep.Txs) != 1 || !bytes.Equal(prep.Txs[0], good) {
		t.Errorf("PrepareProposal kept %d txs, want only the member's", len(prep.Txs))
	}
	if pp(prep.Txs...) != abci.ResponseProcessProposal_ACCEPT {
		t.Errorf("ProcessProposal rejected what PrepareProposal proposed")
	}
	if pp(good) != abci.ResponseProcessProposal_ACCEPT {
		t.Errorf("ProcessProposal(member tx) rejected")
	}
	if pp(good, stranger.tx(t, testChainID, 5, testLeaves(0, 1))) != abci.ResponseProcessProposal_REJECT {
		t.Errorf("ProcessProposal(with a non-member tx) accepted")
	}
	finalize(t, app, 1, good)
	commit(t, app)
	if res, _ := app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: good}); res.Code != CodeDuplicate {
		t.Errorf("CheckTx(already applied) = %d, want CodeDuplicate", res.Code)
	}
}

func (n *testNode) txMember(t *testing.T) string {
	t.Helper()
	return MemberID(n.cert)
}

// ProcessProposal refuses what no honest PrepareProposal proposes: a
// transaction twice in one block, and a block of more than one
// transaction whose transactions add up to more than MaxProposalBytes.
// PrepareProposal leaves a repeated transaction out, and what it proposes
// from a mempool of more than MaxProposalBytes ProcessProposal accepts.
func TestProcessProposalDuplicatesAndSize(t *testing.T) {
	node := newTestNode(t, nil)
	app := newTestApp(t, filepath.Join(t.TempDir(), "app.db"), node.root, node)
	at := txNow.Add(time.Minute)
	pp := func(txs ...[]byte) abci.ResponseProcessProposal_ProposalStatus {
		t.Helper()
		res, err := app.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Txs: txs, Time: at, Height: 1})
		if err != nil {
			t.Fatal(err)
		}
		return res.Status
	}
	one, two := node.tx(t, testChainID, 1, testLeaves(0, 2)), node.tx(t, testChainID, 2, testLeaves(2, 2))
	if got := pp(one, two, one); got != abci.ResponseProcessProposal_REJECT {
		t.Errorf("ProcessProposal(one, two, one) = %v, want REJECT (a transaction twice)", got)
	}
	prep, err := app.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: [][]byte{one, two, one}, MaxTxBytes: 1 << 20, Time: at})
	if err != nil || len(prep.Txs) != 2 {
		t.Fatalf("PrepareProposal(one, two, one) = %d txs, %v; want 2", len(prep.Txs), err)
	}
	var big [][]byte
	size := 0
	for seq := uint64(1); size <= MaxProposalBytes; seq++ {
		raw := node.tx(t, testChainID, seq, testLeaves(seq*MaxLeaves, MaxLeaves))
		big, size = append(big, raw), size+len(raw)
	}
	if got := pp(big...); got != abci.ResponseProcessProposal_REJECT {
		t.Errorf("ProcessProposal(%d bytes in %d txs) = %v, want REJECT (more than MaxProposalBytes)", size, len(big), got)
	}
	prep, err = app.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: big, MaxTxBytes: 100 << 20, Time: at})
	if err != nil || len(prep.Txs) == 0 || len(prep.Txs) == len(big) {
		t.Fatalf("PrepareProposal(%d txs) = %d txs, %v; want some, not all", len(big), len(prep.Txs), err)
	}
	if got := pp(prep.Txs...); got != abci.ResponseProcessProposal_ACCEPT {
		t.Errorf("ProcessProposal(what PrepareProposal proposed) = %v, want ACCEPT", got)
	}
	if got := pp(big[0]); got != abci.ResponseProcessProposal_ACCEPT {
		t.Errorf("ProcessProposal(one transaction) = %v, want ACCEPT", got)
	}
}
