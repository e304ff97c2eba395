package anchor

import (
	"context"
	"crypto/ed25519"
	"path/filepath"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
)

// BenchmarkCheckTxCached is checkTx of a transaction the cache holds, as
// PrepareProposal, ProcessProposal and FinalizeBlock meet each
// transaction that CheckTx saw: a batch of 5,000 uploads with their
// deposits (about 335 KB at transaction version 7). What it measures is
// finding the transaction in the cache, the validity window and the
// validator check.
//
// Run: go test -run '^$' -bench CheckTxCached ./anchor/
func BenchmarkCheckTxCached(b *testing.B) {
	node := newTestNode(b, nil)
	app, err := NewApp(AppConfig{DB: openDB(b, filepath.Join(b.TempDir(), "app.db")), ChainID: testChainID, Root: node.root.Cert})
	if err != nil {
		b.Fatal(err)
	}
	req := &abci.RequestInitChain{AppStateBytes: GenesisState(node.root.Cert, StateV7),
		Validators: []abci.ValidatorUpdate{abci.Ed25519ValidatorUpdate(node.key.Public().(ed25519.PublicKey), 10)}}
	if _, err := app.InitChain(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	const n = 5000
	ds := make([]Deposit, n)
	for i := range ds {
		ds[i] = Deposit{Batch: 1, Offset: uint32(i), SHA256: uploadDigest(i)}
	}
	raw := node.batch7(b, 1, testLeaves(0, n), nil, ds)
	at := txNow.Add(time.Minute)
	if _, code, msg := app.checkTx(raw, at); code != CodeOK {
		b.Fatalf("checkTx = %d %q", code, msg)
	}
	for b.Loop() {
		if _, code, _ := app.checkTx(raw, at); code != CodeOK {
			b.Fatal(code)
		}
	}
	b.SetBytes(int64(len(raw)))
}
