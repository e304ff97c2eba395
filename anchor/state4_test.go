package anchor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	bolt "go.etcd.io/bbolt"
)

// batch4 is a signed version-4 batch.
func (n *testNode) batch4(t testing.TB, seq uint64, leaves [][]byte, heads []HeadUpdate, deposits []Deposit) []byte {
	t.Helper()
	b, err := NewBatchTx4(testChainID, n.cert, n.org.Cert, n.key, seq, leaves, heads, deposits)
	if err != nil {
		t.Fatalf("NewBatchTx4() = %v", err)
	}
	return b
}

func digest(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// At state version 4 every member learns each deposit: the first one of a
// digest (its created event's leaf, the block, the filing member) and how
// many carry it; a deposit is located in the member's own batches like a
// head, and the state map commits to the deposit log.
func TestStateV4Deposits(t *testing.T) {
	a := newTestNode(t, nil)
	b := newTestNode(t, a.org)
	path := filepath.Join(t.TempDir(), "app.db")
	app := newAppAt(t, path, StateV4, a.root, a, b)
	contract, photo, sm3 := digest("contract"), digest("photo"), digest("sm3 of the photo")

	res := finalize(t, app, 1,
		a.batch4(t, 1, testLeaves(0, 3), nil, []Deposit{{Batch: 1, Offset: 0, SHA256: contract}, {Batch: 1, Offset: 2, SHA256: photo, SM3: sm3, HasSM3: true}}),
		a.batch3(t, 2, testLeaves(3, 1), nil))
	commit(t, app)
	if got := codes(res); got[0] != CodeOK || got[1] != CodeVersion {
		t.Fatalf("codes = %v, want OK and CodeVersion (a version-3 batch at state version 4)", got)
	}
	if len(res.AppHash) != 81 || res.AppHash[0] != StateV3 {
		t.Fatalf("AppHash = %x, want layout 3 (0x03 ‖ size ‖ root ‖ state root ‖ since)", res.AppHash)
	}
	d, ok, err := app.Deposit(photo)
	if err != nil || !ok || d.Leaf != 2 || d.Height != 1 || d.Member != MemberID(a.cert) || d.Count != 1 {
		t.Fatalf("Deposit(photo) = %+v, %v, %v; want leaf 2, height 1, member a, count 1", d, ok, err)
	}
	if d, ok, _ := app.DepositSM3(sm3); !ok || d.SHA256 != photo {
		t.Errorf("DepositSM3 = %+v, %v; want the photo's deposit", d, ok)
	}
	if _, ok, _ := app.Deposit(digest("never filed")); ok {
		t.Error("a digest nobody filed is found")
	}
	// The state map commits to the deposit log.
	var size uint64
	var root []byte
	app.db.View(func(tx *bolt.Tx) error {
		size, root, err = depositLog.Root(tx)
		return err
	})
	if got := proveValue(t, app, DepositsKey, 1); size != 2 || got != DepositsValue(size, root) {
		t.Errorf("state map holds %x for the deposit log of %d leaves; want %x", got, size, DepositsValue(size, root))
	}

	// b files the same contract later, naming its own batch: the first
	// deposit stays a's; the count grows.
	res = finalize(t, app, 2, b.batch4(t, 1, testLeaves(10, 1), nil, []Deposit{{Batch: 1, Offset: 0, SHA256: contract}}))
	commit(t, app)
	if got := codes(res); got[0] != CodeOK {
		t.Fatalf("b's batch: %v", got)
	}
	if d, _, _ := app.Deposit(contract); d.Member != MemberID(a.cert) || d.Leaf != 0 || d.Count != 2 {
		t.Errorf("Deposit(contract) after b filed it too = %+v; want a's, leaf 0, count 2", d)
	}

	// A deposit in a batch not in the log, or at a leaf the batch does not
	// have, is refused with its whole batch; nothing changes.
	before := bytes.Clone(res.AppHash)
	res = finalize(t, app, 3,
		a.batch4(t, 3, testLeaves(20, 1), nil, []Deposit{{Batch: 9, Offset: 0, SHA256: digest("x")}}),
		a.batch4(t, 4, nil, nil, []Deposit{{Batch: 1, Offset: 3, SHA256: digest("y")}}))
	commit(t, app)
	if got := codes(res); got[0] != CodeStale || got[1] != CodeStale {
		t.Fatalf("codes = %v, want stale, stale", got)
	}
	if !bytes.Equal(res.AppHash, before) {
		t.Errorf("refused batches changed the AppHash")
	}
	for _, s := range []string{"x", "y"} {
		if _, ok, _ := app.Deposit(digest(s)); ok {
			t.Errorf("a refused deposit %q is in the index", s)
		}
	}
	// CheckTx refuses a deposit that names a later batch, and one that
	// names another member's batch (b's batch 1 has one leaf: offset 2 is
	// not a's leaf either).
	for _, tc := range []struct {
		name string
		raw  []byte
		want uint32
	}{
		{"a later batch", a.batch4(t, 10, testLeaves(30, 1), nil, []Deposit{{Batch: 12, Offset: 0, SHA256: digest("z")}}), CodeStale},
		{"an earlier pending batch", a.batch4(t, 10, testLeaves(30, 1), nil, []Deposit{{Batch: 8, Offset: 0, SHA256: digest("z")}}), CodeOK},
		{"a deposit only, of a batch in the log", b.batch4(t, 2, nil, nil, []Deposit{{Batch: 1, Offset: 0, SHA256: digest("z")}}), CodeOK},
		{"beyond the member's own batch", b.batch4(t, 2, nil, nil, []Deposit{{Batch: 1, Offset: 2, SHA256: digest("z")}}), CodeStale},
	} {
		res, err := app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tc.raw})
		if err != nil || res.Code != tc.want {
			t.Errorf("CheckTx %s: %v %d (%s), want %d", tc.name, err, res.Code, res.Log, tc.want)
		}
	}

	// Rebuilt from disk: the index and the committed map are the same.
	app.db.Close()
	again, err := NewApp(AppConfig{DB: openDB(t, path), ChainID: testChainID, Root: a.root.Cert})
	if err != nil {
		t.Fatal(err)
	}
	if d, ok, _ := again.Deposit(contract); !ok || d.Count != 2 {
		t.Errorf("after restart: %+v %v", d, ok)
	}
	again.db.View(func(tx *bolt.Tx) error {
		size, root, err = depositLog.Root(tx)
		return err
	})
	if got := proveValue(t, again, DepositsKey, 3); size != 3 || got != DepositsValue(size, root) {
		t.Errorf("after restart the state map holds %x for the deposit log of %d leaves; want %x", got, size, DepositsValue(size, root))
	}
	// A created event already deposited (a registration after an upgrade
	// that overlaps a batch's own deposits) is not counted twice.
	res = finalize(t, again, 4, a.batch4(t, 5, nil, nil, []Deposit{{Batch: 1, Offset: 0, SHA256: contract}}))
	commit(t, again)
	if d, _, _ := again.Deposit(contract); codes(res)[0] != CodeOK || d.Count != 2 {
		t.Errorf("the contract's leaf deposited again: codes %v, count %d, want OK and 2", codes(res), d.Count)
	}
}

// An upgrade from version 3 to 4 changes neither the AppHash layout nor
// what is in the map; deposits start with the version.
func TestUpgradeToV4(t *testing.T) {
	nodes := []*testNode{newTestNode(t, nil)}
	for i := 0; i < 3; i++ {
		nodes = append(nodes, newTestNode(t, nodes[0].org))
	}
	app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV3, nodes[0].root, nodes...)
	vote := UpgradeVote{Version: 4, Height: 3}
	finalize(t, app, 1, nodes[0].batch3(t, 1, testLeaves(0, 2), nil), nodes[0].vote(t, vote), nodes[1].vote(t, vote), nodes[2].vote(t, vote))
	commit(t, app)
	res := finalize(t, app, 2, nodes[0].batch4(t, 2, testLeaves(2, 1), nil, []Deposit{{Batch: 2, SHA256: digest("early")}}))
	commit(t, app)
	if got := codes(res); app.StateVersion() != StateV3 || got[0] != CodeVersion {
		t.Fatalf("block 2: version %d, codes %v; want 3 and a version-4 batch refused", app.StateVersion(), got)
	}
	// From the height voted for, deposits register, including those of
	// items anchored before (a deposit-only batch naming batch 1).
	res = finalize(t, app, 3, nodes[0].batch4(t, 3, nil, nil, []Deposit{{Batch: 1, Offset: 1, SHA256: digest("before the upgrade")}}))
	commit(t, app)
	if got := codes(res); app.StateVersion() != StateV4 || got[0] != CodeOK || len(res.AppHash) != 81 || res.AppHash[0] != StateV3 {
		t.Fatalf("block 3: version %d, codes %v (%s), AppHash %x", app.StateVersion(), got, res.TxResults[0].Log, res.AppHash)
	}
	// Its height is the block that anchored its created event (batch 1,
	// block 1), not the one that registered the deposit (3): the lookup
	// finds the batch that holds the leaf (leafHeight, since session 20).
	if d, ok, _ := app.Deposit(digest("before the upgrade")); !ok || d.Leaf != 1 || d.Height != 1 {
		t.Errorf("a deposit of an item anchored before the upgrade: %+v %v; want leaf 1, anchored at 1", d, ok)
	}
	// Nothing later than this code knows is voted for.
	res = finalize(t, app, 4, nodes[0].vote(t, UpgradeVote{Version: MaxState + 1, Height: 10}))
	commit(t, app)
	if got := codes(res); got[0] != CodeVersion {
		t.Errorf("a vote for state version %d: codes %v, want CodeVersion", MaxState+1, got)
	}
}

// Version-4 transactions round-trip, and their rules hold: deposits in
// strictly increasing (batch, offset) order, each naming a batch, flags 0
// or 1; none in a version-3 batch.
func TestTx4RoundTripAndStrictness(t *testing.T) {
	n := newTestNode(t, nil)
	deps := []Deposit{{Batch: 9, Offset: 3, SHA256: [32]byte{2}, SM3: [32]byte{7}, HasSM3: true}, {Batch: 1, SHA256: [32]byte{1}}}
	raw := n.batch4(t, 9, testLeaves(0, 4), []HeadUpdate{{Key: [32]byte{1}, Batch: 9, Events: 2, Value: [32]byte{6}}}, deps)
	tx, err := DecodeTx(raw)
	if err != nil || tx.Version != TxVersion4 || len(tx.Deposits) != 2 || tx.Deposits[0].Batch != 1 || !tx.Deposits[1].HasSM3 || tx.Deposits[1].SM3 != ([32]byte{7}) || len(tx.Heads) != 1 {
		t.Fatalf("DecodeTx = %+v, %v", tx, err)
	}
	if !bytes.Equal(tx.Encode(), raw) {
		t.Error("a version-4 batch does not re-encode to its bytes")
	}
	for name, ds := range map[string][]Deposit{
		"no batch":          {{SHA256: [32]byte{1}}},
		"offset too large":  {{Batch: 1, Offset: MaxLeaves}},
		"twice the same":    {{Batch: 1, Offset: 1}, {Batch: 1, Offset: 1}},
		"SM3 without flag":  {{Batch: 1, SM3: [32]byte{1}}},
		"too many deposits": make([]Deposit, MaxLeaves+1),
	} {
		if name == "too many deposits" {
			for i := range ds {
				ds[i] = Deposit{Batch: 1 + uint64(i)}
			}
		}
		if _, err := NewBatchTx4(testChainID, n.cert, n.org.Cert, n.key, 1, testLeaves(0, 1), nil, ds); !errors.Is(err, ErrMalformedTx) {
			t.Errorf("%s: NewBatchTx4 = %v, want ErrMalformedTx", name, err)
		}
	}
	// A flags byte other than 0 or 1 does not decode.
	one := n.batch4(t, 2, nil, nil, []Deposit{{Batch: 1, SHA256: [32]byte{1}}})
	flags := len(one) - 64 - 32 - 1
	if one[flags] != 0 {
		t.Fatalf("test bug: byte %d is %d, not the flags", flags, one[flags])
	}
	one[flags] = 2
	if _, err := DecodeTx(one); !errors.Is(err, ErrMalformedTx) {
		t.Errorf("flags 2: %v, want ErrMalformedTx", err)
	}
	// A version-3 batch with deposits has no encoding.
	if _, err := signTx(testChainID, n.key, &Tx{Version: TxVersion3, Kind: KindBatch, NodeCert: n.cert, OrgCA: n.org.Cert, Seq: 1, Deposits: deps[1:]}); !errors.Is(err, ErrMalformedTx) {
		t.Errorf("a version-3 batch with deposits: %v, want ErrMalformedTx", err)
	}
}

// A proposal carries at most MaxProposalBytes of transactions, so that a
// block of uploads with their deposits reaches every validator within
// timeout_propose; the rest waits for the next block.
func TestPrepareProposalBound(t *testing.T) {
	a := newTestNode(t, nil)
	app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV4, a.root, a)
	var txs [][]byte
	var total int
	for seq := uint64(1); total <= MaxProposalBytes+(1<<20); seq++ {
		ds := make([]Deposit, 5000)
		for i := range ds {
			ds[i] = Deposit{Batch: seq, Offset: uint32(i), SHA256: digest(fmt.Sprint(seq, "/", i))}
		}
		raw := a.batch4(t, seq, testLeaves(seq*5000, 5000), nil, ds)
		txs, total = append(txs, raw), total+len(raw)
	}
	res, err := app.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: 21 << 20, Time: txNow})
	if err != nil {
		t.Fatal(err)
	}
	size := 0
	for _, tx := range res.Txs {
		size += len(tx)
	}
	if len(res.Txs) == 0 || len(res.Txs) == len(txs) || size > MaxProposalBytes || size+len(txs[len(res.Txs)]) <= MaxProposalBytes {
		t.Errorf("proposal of %d of %d transactions, %d bytes; want as many as fit in %d", len(res.Txs), len(txs), size, MaxProposalBytes)
	}
}
