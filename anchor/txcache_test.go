package anchor

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
)

// withAndWithoutCache runs f on a fresh state-version-7 app of node, once
// with the transaction cache and once without.
func withAndWithoutCache(t *testing.T, node *testNode, f func(t *testing.T, app *App)) {
	for _, cached := range []bool{true, false} {
		t.Run(fmt.Sprintf("cache=%v", cached), func(t *testing.T) {
			app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV7, node.root, node)
			if !cached {
				app.txs = nil
			}
			f(t, app)
		})
	}
}

// A transaction whose signature is bad is refused in CheckTx,
// ProcessProposal and FinalizeBlock, with or without the cache, and even
// after the same transaction with its good signature was cached.
func TestTxCacheBadSignature(t *testing.T) {
	node := newTestNode(t, nil)
	good := node.batch7(t, 1, testLeaves(0, 2), nil, nil)
	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 1 // the signature's last byte
	withAndWithoutCache(t, node, func(t *testing.T, app *App) {
		ctx := context.Background()
		for round, tx := range [][]byte{bad, good, bad} {
			res, err := app.CheckTx(ctx, &abci.RequestCheckTx{Tx: tx})
			want := uint32(CodeNotMember)
			if bytes.Equal(tx, good) {
				want = CodeOK
			}
			if err != nil || res.Code != want {
				t.Errorf("round %d: CheckTx = %d %q, %v; want %d", round, res.Code, res.Log, err, want)
			}
		}
		pp, err := app.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: [][]byte{good, bad}, Time: txNow.Add(time.Minute)})
		if err != nil || pp.Status != abci.ResponseProcessProposal_REJECT {
			t.Errorf("ProcessProposal(good, bad) = %v, %v; want REJECT", pp.Status, err)
		}
		if got := codes(finalize(t, app, 1, bad, good)); got[0] != CodeNotMember || got[1] != CodeOK {
			t.Errorf("FinalizeBlock(bad, good) codes = %v, want [%d %d]", got, CodeNotMember, CodeOK)
		}
		commit(t, app)
	})
}

// A cached transaction is checked again against what changes: the state
// (a batch already applied is a duplicate; a signer no longer a validator
// is refused) and the time (a certificate expired by the block's time).
// The answers are those without the cache.
func TestTxCacheStateAndTime(t *testing.T) {
	node := newTestNode(t, nil)
	tx1 := node.batch7(t, 1, testLeaves(0, 2), nil, nil)
	tx2 := node.batch7(t, 2, testLeaves(2, 2), nil, nil)
	withAndWithoutCache(t, node, func(t *testing.T, app *App) {
		ctx := context.Background()
		for _, tx := range [][]byte{tx1, tx2} {
			if res, _ := app.CheckTx(ctx, &abci.RequestCheckTx{Tx: tx}); res.Code != CodeOK {
				t.Fatalf("CheckTx = %d %q, want OK", res.Code, res.Log)
			}
		}
		if app.txs != nil && app.txs.len() != 2 {
			t.Errorf("cache holds %d transactions after two CheckTx, want 2", app.txs.len())
		}
		// Far past the certificates' validity: refused as expired, as
		// verifying would.
		late := txNow.AddDate(100, 0, 0)
		if _, code, msg := app.checkTx(tx2, late); code != CodeNotMember || !bytes.Contains([]byte(msg), []byte("outside the chain's validity")) {
			t.Errorf("checkTx at %v = %d %q, want CodeNotMember (expired)", late, code, msg)
		}
		if got := codes(finalize(t, app, 1, tx1)); got[0] != CodeOK {
			t.Errorf("FinalizeBlock(tx1) = %v, want OK", got)
		}
		commit(t, app)
		if res, _ := app.CheckTx(ctx, &abci.RequestCheckTx{Tx: tx1}); res.Code != CodeDuplicate {
			t.Errorf("CheckTx(tx1 after its block) = %d %q, want CodeDuplicate", res.Code, res.Log)
		}
		if got := codes(finalize(t, app, 2, tx1, tx2)); got[0] != CodeDuplicate || got[1] != CodeOK {
			t.Errorf("FinalizeBlock(tx1 again, tx2) = %v, want [%d %d]", got, CodeDuplicate, CodeOK)
		}
		commit(t, app)
		// The signer stops being a validator: its cached transaction is
		// refused like a fresh one.
		tx3 := node.batch7(t, 3, testLeaves(4, 2), nil, nil)
		if res, _ := app.CheckTx(ctx, &abci.RequestCheckTx{Tx: tx3}); res.Code != CodeOK {
			t.Fatalf("CheckTx(tx3) = %d %q, want OK", res.Code, res.Log)
		}
		app.vmu.Lock()
		saved := app.validators
		app.validators = map[string]bool{}
		app.vmu.Unlock()
		if res, _ := app.CheckTx(ctx, &abci.RequestCheckTx{Tx: tx3}); res.Code != CodeNotMember {
			t.Errorf("CheckTx(tx3, signer not a validator) = %d %q, want CodeNotMember", res.Code, res.Log)
		}
		app.vmu.Lock()
		app.validators = saved
		app.vmu.Unlock()
	})
}

// A block's transactions leave the cache at Commit; the oldest leave first
// when the cache holds more bytes than its bound.
func TestTxCacheEviction(t *testing.T) {
	node := newTestNode(t, nil)
	app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV7, node.root, node)
	ctx := context.Background()
	tx1 := node.batch7(t, 1, testLeaves(0, 2), nil, nil)
	tx2 := node.batch7(t, 2, testLeaves(2, 2), nil, nil)
	for _, tx := range [][]byte{tx1, tx2} {
		if res, _ := app.CheckTx(ctx, &abci.RequestCheckTx{Tx: tx}); res.Code != CodeOK {
			t.Fatalf("CheckTx = %d %q, want OK", res.Code, res.Log)
		}
	}
	finalize(t, app, 1, tx1)
	if _, ok := app.txs.get(app.txs.key(tx1), tx1); !ok {
		t.Errorf("tx1 left the cache before its block was committed")
	}
	commit(t, app)
	if _, ok := app.txs.get(app.txs.key(tx1), tx1); ok {
		t.Errorf("tx1 still cached after its block was committed")
	}
	if _, ok := app.txs.get(app.txs.key(tx2), tx2); !ok || app.txs.len() != 1 {
		t.Errorf("cache holds %d transactions, tx2 %v; want only tx2", app.txs.len(), ok)
	}

	// The bound, on a cache of its own: room for two of three.
	tx3 := node.batch7(t, 3, testLeaves(4, 2), nil, nil)
	c := newTxCache(len(tx1) + len(tx2) + len(tx3) - 1)
	for _, tx := range [][]byte{tx1, tx2, tx3} {
		tt, err := DecodeTx(tx)
		if err != nil {
			t.Fatal(err)
		}
		c.put(c.key(tx), tx, tt, member{})
	}
	for i, tc := range []struct {
		tx   []byte
		want bool
	}{{tx1, false}, {tx2, true}, {tx3, true}} {
		if _, ok := c.get(c.key(tc.tx), tc.tx); ok != tc.want {
			t.Errorf("bounded cache: tx%d held %v, want %v", i+1, ok, tc.want)
		}
	}
	if c.bytes != len(tx2)+len(tx3) {
		t.Errorf("bounded cache: %d bytes, want %d", c.bytes, len(tx2)+len(tx3))
	}
	c.put(txKey{sum: 1}, make([]byte, c.max+1), nil, member{}) // larger than the cache
	if c.len() != 2 {
		t.Errorf("a transaction larger than the cache changed it: %d held, want 2", c.len())
	}
}

// The cache finds a transaction by a fast hash of its bytes, which two
// transactions may share: it answers only for the bytes it kept, so a
// transaction under another's key is decoded and verified as if nothing
// were cached (here a good one under a bad one's key, and the reverse).
func TestTxCacheSameKey(t *testing.T) {
	node := newTestNode(t, nil)
	good := node.batch7(t, 1, testLeaves(0, 2), nil, nil)
	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 1
	other := node.batch7(t, 2, testLeaves(2, 2), nil, nil)
	app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV7, node.root, node)
	tt, err := DecodeTx(good)
	if err != nil {
		t.Fatal(err)
	}
	m, err := app.verifier.verify(tt, txNow.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range [][]byte{bad, other} {
		app.txs = newTxCache(txCacheBytes)
		app.txs.put(app.txs.key(raw), good, tt, m) // good's decoding under raw's key
		if _, ok := app.txs.get(app.txs.key(raw), raw); ok {
			t.Errorf("the cache answered for bytes it did not keep")
		}
		got, code, _ := app.checkTx(raw, txNow.Add(time.Minute))
		switch {
		case bytes.Equal(raw, bad) && code != CodeNotMember:
			t.Errorf("checkTx(bad) with good's decoding under its key = %d, want CodeNotMember", code)
		case bytes.Equal(raw, other) && (code != CodeOK || got.Seq != 2):
			t.Errorf("checkTx(other) with good's decoding under its key = %d, %+v; want OK, seq 2", code, got != nil && got.Seq == 2)
		}
	}
	c := newTxCache(txCacheBytes)
	c.put(c.key(good), good, tt, m)
	if ct, ok := c.get(c.key(bytes.Clone(good)), bytes.Clone(good)); !ok || ct.t != tt {
		t.Errorf("the cache did not answer for the same bytes in another slice")
	}
}

// For any bytes, at any of a few times, checkTx answers the same with the
// cache (cold, then warm) as without it.
func FuzzTxCache(f *testing.F) {
	node := newTestNode(f, nil)
	stranger := newTestNode(f, nil)
	good := node.batch7(f, 1, testLeaves(0, 2), nil, []Deposit{{Batch: 1, Offset: 1, SHA256: [32]byte{1}}})
	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 1
	f.Add(good)
	f.Add(bad)
	f.Add(stranger.batch7(f, 1, testLeaves(0, 1), nil, nil))
	f.Add(node.tx(f, "custos-other", 2, testLeaves(0, 2)))
	f.Add([]byte(TxMagic + "\x07\x01"))
	newApp := func(cached bool) *App {
		app, err := NewApp(AppConfig{DB: openDB(f, filepath.Join(f.TempDir(), "app.db")), ChainID: testChainID, Root: node.root.Cert})
		if err != nil {
			f.Fatal(err)
		}
		req := &abci.RequestInitChain{AppStateBytes: GenesisState(node.root.Cert, StateV7),
			Validators: []abci.ValidatorUpdate{abci.Ed25519ValidatorUpdate(node.key.Public().(ed25519.PublicKey), 10)}}
		if _, err := app.InitChain(context.Background(), req); err != nil {
			f.Fatal(err)
		}
		if !cached {
			app.txs = nil
		}
		return app
	}
	with, without := newApp(true), newApp(false)
	times := []time.Time{txNow.Add(time.Minute), txNow.AddDate(100, 0, 0), txNow.AddDate(-1, 0, 0)}
	f.Fuzz(func(t *testing.T, b []byte) {
		for round := range 2 {
			for _, at := range times {
				_, wantCode, wantMsg := without.checkTx(b, at)
				if _, code, msg := with.checkTx(b, at); code != wantCode || msg != wantMsg {
					t.Fatalf("round %d at %v: checkTx with the cache = %d %q, without = %d %q", round, at, code, msg, wantCode, wantMsg)
				}
			}
		}
	})
}

// len is the number of transactions held.
func (c *txCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byKey)
}
