package anchor

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"path/filepath"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/custos-project/custos/anchor/vmap"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/custody"
)

// newAppAt is newTestApp for a chain that starts at the given state version.
func newAppAt(t *testing.T, path string, version int, root *certs.Authority, validators ...*testNode) *App {
	t.Helper()
	app, err := NewApp(AppConfig{DB: openDB(t, path), ChainID: testChainID, Root: root.Cert})
	if err != nil {
		t.Fatal(err)
	}
	req := &abci.RequestInitChain{AppStateBytes: GenesisState(root.Cert, version)}
	for _, v := range validators {
		req.Validators = append(req.Validators, abci.Ed25519ValidatorUpdate(v.key.Public().(ed25519.PublicKey), 10))
	}
	if _, err := app.InitChain(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	return app
}

// batch3 is a signed version-3 batch.
func (n *testNode) batch3(t testing.TB, seq uint64, leaves [][]byte, heads []HeadUpdate) []byte {
	t.Helper()
	b, err := NewBatchTx3(testChainID, n.cert, n.org.Cert, n.key, seq, leaves, heads)
	if err != nil {
		t.Fatalf("NewBatchTx3() = %v", err)
	}
	return b
}

// proveValue returns the value key holds after the block at height, or the
// zero hash if it holds none, checking the proof either way.
func proveValue(t *testing.T, app *App, key [32]byte, height int64) [32]byte {
	t.Helper()
	p, err := app.ProveState(key, height)
	if err != nil {
		t.Fatalf("ProveState(height %d) = %v", height, err)
	}
	if p.Found {
		if err := vmap.VerifyMembership(p.Root, key, p.Value, p.Siblings); err != nil {
			t.Fatalf("membership proof: %v", err)
		}
		return p.Value
	}
	if err := vmap.VerifyNonMembership(p.Root, key, p.Other, p.Siblings); err != nil {
		t.Fatalf("non-membership proof: %v", err)
	}
	return [32]byte{}
}

// At state version 3 a head is keyed by its chain's first event, which it
// locates in the member's own batches: another member who knows the key
// cannot take it, and a head that names a batch not in the log is refused.
func TestStateV3Heads(t *testing.T) {
	a := newTestNode(t, nil)
	b := newTestNode(t, a.org)
	path := filepath.Join(t.TempDir(), "app.db")
	app := newAppAt(t, path, StateV3, a.root, a, b)
	k0, k1 := [32]byte{1}, [32]byte{2}
	v0 := [32]byte{10}

	res := finalize(t, app, 1,
		a.batch3(t, 1, testLeaves(0, 4), []HeadUpdate{{Key: k0, Batch: 1, Offset: 0, Events: 2, Value: v0}}),
		a.batch2(t, 2, testLeaves(4, 1), nil))
	commit(t, app)
	if got := codes(res); got[0] != CodeOK || got[1] != CodeVersion {
		t.Fatalf("codes = %v, want OK and CodeVersion (a version-2 batch at state version 3)", got)
	}
	if len(res.AppHash) != 81 || res.AppHash[0] != StateV3 || binary.BigEndian.Uint64(res.AppHash[73:]) != 0 {
		t.Fatalf("AppHash = %x, want 0x03 ‖ size ‖ root ‖ state root ‖ since 0", res.AppHash)
	}
	if got := proveValue(t, app, custody.BoundHeadKey(k0, 0), 1); got != v0 {
		t.Fatalf("bound key of leaf 0 = %x, want %x", got, v0)
	}
	if got := proveValue(t, app, k0, 1); got != ([32]byte{}) {
		t.Errorf("the unbound key holds %x", got)
	}

	// b knows k0 and names its own batch: that binds another key; a's stays.
	squat := [32]byte{66}
	res = finalize(t, app, 2, b.batch3(t, 1, testLeaves(10, 1), []HeadUpdate{{Key: k0, Batch: 1, Offset: 0, Events: 9, Value: squat}}))
	commit(t, app)
	if got := codes(res); got[0] != CodeOK {
		t.Fatalf("b's own batch: codes %v", got)
	}
	if got := proveValue(t, app, custody.BoundHeadKey(k0, 0), 2); got != v0 {
		t.Errorf("after b's batch, a's head = %x, want %x", got, v0)
	}
	if got := proveValue(t, app, custody.BoundHeadKey(k0, 4), 2); got != squat {
		t.Errorf("b's head is under the key bound to its own leaf 4: %x", got)
	}

	// A batch not in the log, or a leaf a batch does not have: stale, and
	// the log does not change.
	size := bytes.Clone(res.AppHash[1:9])
	res = finalize(t, app, 3,
		a.batch3(t, 3, testLeaves(20, 1), []HeadUpdate{{Key: k1, Batch: 7, Offset: 0, Events: 2, Value: v0}}),
		a.batch3(t, 4, testLeaves(21, 1), []HeadUpdate{{Key: k1, Batch: 1, Offset: 4, Events: 2, Value: v0}}),
		a.batch3(t, 5, nil, []HeadUpdate{{Key: k1, Batch: 1, Offset: 3, Events: 3, Value: [32]byte{3}}}))
	commit(t, app)
	if got := codes(res); got[0] != CodeStale || got[1] != CodeStale || got[2] != CodeOK {
		t.Fatalf("codes = %v, want stale, stale, OK", got)
	}
	if !bytes.Equal(res.AppHash[1:9], size) {
		t.Errorf("refused batches changed the log size from %x to %x", size, res.AppHash[1:9])
	}
	// CheckTx lets a head name an earlier batch of the member not yet in the
	// log (it lands first), never a later one.
	for _, tc := range []struct {
		batch uint64
		want  uint32
	}{{8, CodeOK}, {12, CodeStale}} {
		raw := a.batch3(t, 10, testLeaves(30, 1), []HeadUpdate{{Key: k1, Batch: tc.batch, Offset: 0, Events: 2, Value: v0}})
		res, err := app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw})
		if err != nil || res.Code != tc.want {
			t.Errorf("CheckTx naming batch %d from batch 10: %v %d (%s), want %d", tc.batch, err, res.Code, res.Log, tc.want)
		}
	}
	// A head only moves forward under its bound key too.
	res = finalize(t, app, 4, a.batch3(t, 6, nil, []HeadUpdate{{Key: k1, Batch: 1, Offset: 3, Events: 2, Value: [32]byte{9}}}))
	commit(t, app)
	if got := proveValue(t, app, custody.BoundHeadKey(k1, 3), 4); got != ([32]byte{3}) {
		t.Errorf("a head moved backwards: %x", got)
	}

	app.db.Close()
	again, err := NewApp(AppConfig{DB: openDB(t, path), ChainID: testChainID, Root: a.root.Cert})
	if err != nil {
		t.Fatal(err)
	}
	if again.StateVersion() != StateV3 || again.Since() != 0 {
		t.Errorf("after restart: version %d, since %d", again.StateVersion(), again.Since())
	}
	if got := proveValue(t, again, custody.BoundHeadKey(k0, 0), 4); got != v0 {
		t.Errorf("after restart: %x", got)
	}
}

// An upgrade from version 2 to 3 records the log size it began at.
func TestUpgradeToV3(t *testing.T) {
	nodes := []*testNode{newTestNode(t, nil)}
	for i := 0; i < 3; i++ {
		nodes = append(nodes, newTestNode(t, nodes[0].org))
	}
	path := filepath.Join(t.TempDir(), "app.db")
	app := newAppAt(t, path, StateV2, nodes[0].root, nodes...)
	vote := UpgradeVote{Version: 3, Height: 3}
	finalize(t, app, 1, nodes[0].batch2(t, 1, testLeaves(0, 5), testHeads(2)),
		nodes[0].vote(t, vote), nodes[1].vote(t, vote), nodes[2].vote(t, vote))
	commit(t, app)
	res := finalize(t, app, 2, nodes[0].batch2(t, 2, testLeaves(5, 2), nil))
	commit(t, app)
	if app.StateVersion() != StateV2 || len(res.AppHash) != 73 {
		t.Fatalf("block 2: version %d", app.StateVersion())
	}
	res = finalize(t, app, 3, nodes[0].batch3(t, 3, testLeaves(7, 1), []HeadUpdate{{Key: [32]byte{5}, Batch: 1, Offset: 4, Events: 6, Value: [32]byte{6}}}))
	commit(t, app)
	if app.StateVersion() != StateV3 || len(res.AppHash) != 81 || res.TxResults[0].Code != CodeOK {
		t.Fatalf("block 3: version %d, AppHash %x, code %d (%s)", app.StateVersion(), res.AppHash, res.TxResults[0].Code, res.TxResults[0].Log)
	}
	if since := binary.BigEndian.Uint64(res.AppHash[73:]); since != 7 || app.Since() != 7 {
		t.Errorf("since = %d (%d), want 7: the log size before block 3", since, app.Since())
	}
	// The version-2 heads stay, under their unbound keys.
	h := testHeads(2)
	if got := proveValue(t, app, h[1].Key, 3); got != h[1].Value {
		t.Errorf("a version-2 head after the upgrade: %x", got)
	}
	if got := proveValue(t, app, custody.BoundHeadKey([32]byte{5}, 4), 3); got != ([32]byte{6}) {
		t.Errorf("a version-3 head of a chain from before the upgrade: %x", got)
	}
}

// Version-3 transactions round-trip, and their rules hold: a batch only (no
// vote), every head names a batch, and version 2 names none.
func TestTx3RoundTripAndStrictness(t *testing.T) {
	n := newTestNode(t, nil)
	heads := []HeadUpdate{{Key: [32]byte{2}, Batch: 9, Offset: 3, Events: 4, Value: [32]byte{5}}, {Key: [32]byte{1}, Batch: 1, Events: 2, Value: [32]byte{6}}}
	raw := n.batch3(t, 9, testLeaves(0, 4), heads)
	tx, err := DecodeTx(raw)
	if err != nil || tx.Version != TxVersion3 || len(tx.Heads) != 2 || tx.Heads[0].Key != ([32]byte{1}) || tx.Heads[1].Batch != 9 || tx.Heads[1].Offset != 3 {
		t.Fatalf("DecodeTx = %+v, %v", tx, err)
	}
	if !bytes.Equal(tx.Encode(), raw) {
		t.Error("a version-3 batch does not re-encode to its bytes")
	}
	for name, hs := range map[string][]HeadUpdate{
		"no batch":         {{Key: [32]byte{1}, Events: 2}},
		"offset too large": {{Key: [32]byte{1}, Batch: 1, Offset: MaxLeaves, Events: 2}},
	} {
		if _, err := NewBatchTx3(testChainID, n.cert, n.org.Cert, n.key, 1, testLeaves(0, 1), hs); !errors.Is(err, ErrMalformedTx) {
			t.Errorf("%s: NewBatchTx3 = %v, want ErrMalformedTx", name, err)
		}
	}
	if _, err := NewBatchTx(testChainID, n.cert, n.org.Cert, n.key, 1, nil, []HeadUpdate{{Key: [32]byte{1}, Batch: 1, Events: 2}}); !errors.Is(err, ErrMalformedTx) {
		t.Errorf("a version-2 batch naming a first event: %v, want ErrMalformedTx", err)
	}
	// A version-3 upgrade vote does not exist: the kind byte of a vote after
	// version 3 is refused.
	vote := n.vote(t, UpgradeVote{Version: 3, Height: 10})
	vote[4] = TxVersion3
	if _, err := DecodeTx(vote); !errors.Is(err, ErrMalformedTx) {
		t.Errorf("a version-3 vote: %v, want ErrMalformedTx", err)
	}
}
