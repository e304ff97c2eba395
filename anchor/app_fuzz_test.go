package anchor

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"path/filepath"
	"slices"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
)

// FuzzFinalizeBlock checks what FinalizeBlock promises of any bytes in a
// block, on a chain of four members at the latest state version (their
// organization CAs in the genesis) that holds a batch, an organization, a
// registration and an open proposal (FuzzFinalizeBlockV9,
// FuzzFinalizeBlockV8 and FuzzFinalizeBlockV7: the same at state
// versions 9, 8 and 7, whose blocks committed chains still replay):
//
//   - a transaction FinalizeBlock refuses (any code but CodeOK) leaves
//     the block's AppHash what the empty block gives: nothing half-applied;
//   - bytes DecodeTx refuses are refused with CodeMalformed, and a
//     transaction ProcessProposal refuses is refused by FinalizeBlock too;
//   - the same bytes a second time in the block are refused and change
//     nothing more (a replay never applies twice);
//   - two replicas give the same AppHash.
//
// The block is finalized and never committed, so each input starts from
// the same committed state.
func FuzzFinalizeBlock(f *testing.F) { fuzzFinalizeBlock(f, StateV12) }

// FuzzFinalizeBlockV11 is FuzzFinalizeBlock on a chain at state version 11.
func FuzzFinalizeBlockV11(f *testing.F) { fuzzFinalizeBlock(f, StateV11) }

// FuzzFinalizeBlockV10 is FuzzFinalizeBlock on a chain at state version 10.
func FuzzFinalizeBlockV10(f *testing.F) { fuzzFinalizeBlock(f, StateV10) }

// FuzzFinalizeBlockV9 is FuzzFinalizeBlock on a chain at state version 9.
func FuzzFinalizeBlockV9(f *testing.F) { fuzzFinalizeBlock(f, StateV9) }

// FuzzFinalizeBlockV8 is FuzzFinalizeBlock on a chain at state version 8.
func FuzzFinalizeBlockV8(f *testing.F) { fuzzFinalizeBlock(f, StateV8) }

// FuzzFinalizeBlockV7 is FuzzFinalizeBlock on a chain at state version 7.
func FuzzFinalizeBlockV7(f *testing.F) { fuzzFinalizeBlock(f, StateV7) }

func fuzzFinalizeBlock(f *testing.F, version int) {
	root, ms := newGovConsortium(f, 4)
	var vals []GenesisValidator
	for _, m := range ms {
		vals = append(vals, GenesisValidator{PubKey: m.key.Public().(ed25519.PublicKey), Power: 10, OrgCA: m.org.Cert})
	}
	dir := f.TempDir()
	start := func(name string) *App {
		app, err := NewApp(AppConfig{DB: openDB(f, filepath.Join(dir, name)), ChainID: testChainID, Root: root.Cert})
		if err != nil {
			f.Fatal(err)
		}
		req := &abci.RequestInitChain{AppStateBytes: GenesisStateMembers(root.Cert, version, vals)}
		for _, v := range vals {
			req.Validators = append(req.Validators, abci.Ed25519ValidatorUpdate(v.PubKey, v.Power))
		}
		if _, err := app.InitChain(context.Background(), req); err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { // before openDB's Close, which waits for the block's transaction
			if app.tx != nil {
				app.tx.Rollback()
			}
		})
		return app
	}
	a, b := ms[0], ms[1]
	org := OrgEntry{ID: "org-1", Kind: "court", Name: "First Court", Revision: 1}
	reg := Registration{ID: "R1", Org: "org-1", Files: []RegFile{regFile("work")}}
	first := [][]byte{
		a.batch7(f, 1, testLeaves(0, 2), nil, []Deposit{{Batch: 1, Offset: 0, SHA256: digest("item")}}),
		a.dirAt(f, version, org),
	}
	if version >= StateV12 {
		first = append(first, a.commitTx(f, reg))
	}
	first = append(first, a.reg(f, reg),
		a.propose(f, Proposal{ID: "p1", Expires: 50, Action: ActPower, Target: b.target(), Power: 12}))
	at := txNow.Add(time.Minute)
	apps := []*App{start("a.db"), start("b.db")}
	for _, app := range apps {
		res, err := app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 1, Time: at, Txs: first})
		if err != nil {
			f.Fatal(err)
		}
		for i, r := range res.TxResults {
			if r.Code != CodeOK {
				f.Fatalf("block 1, tx %d: code %d (%s)", i, r.Code, r.Log)
			}
		}
		if _, err := app.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
			f.Fatal(err)
		}
	}
	finalize := func(app *App, txs ...[]byte) *abci.ResponseFinalizeBlock {
		res, err := app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 2, Time: at, Txs: txs})
		if err != nil {
			f.Fatal(err)
		}
		return res
	}
	empty := finalize(apps[0]).AppHash
	p1Tx, err := DecodeTx(first[len(first)-1])
	if err != nil {
		f.Fatal(err)
	}
	p1Hash, err := ProposalHash(p1Tx)
	if err != nil {
		f.Fatal(err)
	}

	seeds := append(slices.Clone(first), // replays of block 1
		a.batch7(f, 2, testLeaves(2, 1), []HeadUpdate{{Key: [32]byte{1}, Batch: 1, Offset: 1, Events: 2, Value: [32]byte{2}}}, []Deposit{{Batch: 1, Offset: 1, SHA256: digest("item 2")}}),
		a.batch7(f, 3, testLeaves(3, 1), nil, []Deposit{{Batch: 9, Offset: 0, SHA256: digest("no such batch")}}),
		b.batch7(f, 1, nil, nil, []Deposit{{Batch: 1, Offset: 0, SHA256: digest("b's batch 1 is not in the log")}}),
		a.dirAt(f, version, OrgEntry{ID: "org-1", Kind: "court", Name: "Renamed Court", Revision: 2}),
		a.dirAt(f, version, OrgEntry{ID: "org-1", Kind: "court", Name: "Renamed Court", Revision: 3}),
		a.dir(f, OrgEntry{ID: "org-1", Kind: "court", Name: "Renamed Court"}),
		a.dir8(f, OrgEntry{ID: "org-1", Kind: "court", Name: "Renamed Court", Revision: 2}),
		b.dirAt(f, version, org),
		b.dirAt(f, version, OrgEntry{ID: "org-2", Kind: "firm", Name: "first  court", Revision: 1}),
		b.reg(f, Registration{ID: "R1", Org: "org-1", Files: []RegFile{regFile("theft")}}),
		b.commitTx(f, Registration{ID: "R1", Files: []RegFile{regFile("theft")}}, Registration{ID: "R3", Files: []RegFile{regFile("three")}}),
		a.commitTx(f, reg, Registration{ID: "R4", Files: []RegFile{regFile("four")}}),
		a.reg(f, Registration{ID: "R4", Files: []RegFile{regFile("four")}}),
		a.reg(f, Registration{ID: "R4", Files: []RegFile{regFile("not four")}}),
		a.reg(f, Registration{ID: "R1", Revoked: true}),
		a.reg(f, Registration{ID: "R2", Revoked: true}),
		b.reg(f, Registration{ID: "R9", Legacy: "CUS-(2026)-作登字-M1-000001", Files: []RegFile{regFile("spoof")}}),
		b.reg(f, Registration{ID: "R9", Legacy: "L-1", Files: []RegFile{regFile("one")}}, Registration{ID: "RA", Legacy: "L-1", Files: []RegFile{regFile("two")}}),
		b.ballot(f, "p1", true),
		b.ballot(f, "p2", true),
		b.ballot9(f, "p1", sha256.Sum256([]byte("not p1")), true),
		b.ballot9(f, "p1", p1Hash, true),
		b.propose(f, Proposal{ID: "p1", Expires: 50, Action: ActPower, Target: a.target(), Power: 30}),
		b.propose(f, Proposal{ID: "p3", Expires: 1, Action: ActRemove, Target: a.target()}),
		a.vote(f, UpgradeVote{Version: uint32(version) + 1, Height: 10}),
		a.vote(f, UpgradeVote{Version: MaxState + 1, Height: 10}),
		a.vote(f, UpgradeVote{Version: uint32(version), Height: 10}),
		[]byte(TxMagic+"\x07\x01"),
		[]byte(TxMagic+"\x08\x03"),
		b.revoke(f, b.gov.Cert, ""),
		a.revoke(f, b.gov.Cert, b.id),
		a.revoke(f, a.gov.Cert, b.id),
		[]byte(TxMagic+"\x0a\x07"),
		[]byte(TxMagic+"\x0b\x08"),
	)
	for _, raw := range seeds {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		res := finalize(apps[0], raw)
		code := res.TxResults[0].Code
		if _, err := DecodeTx(raw); err != nil && code != CodeMalformed {
			t.Fatalf("DecodeTx() = %v, but FinalizeBlock gave code %d (%s), want %d", err, code, res.TxResults[0].Log, CodeMalformed)
		}
		if code != CodeOK && !bytes.Equal(res.AppHash, empty) {
			t.Fatalf("a transaction refused with code %d (%s) changed the AppHash", code, res.TxResults[0].Log)
		}
		pp, err := apps[0].ProcessProposal(context.Background(), &abci.RequestProcessProposal{Height: 2, Time: at, Txs: [][]byte{raw}})
		if err != nil {
			t.Fatal(err)
		}
		if pp.Status != abci.ResponseProcessProposal_ACCEPT && code == CodeOK {
			t.Fatalf("ProcessProposal refused a transaction that FinalizeBlock applies")
		}
		twice := finalize(apps[0], raw, raw)
		if c := twice.TxResults[1].Code; c == CodeOK || !bytes.Equal(twice.AppHash, res.AppHash) {
			t.Fatalf("the same transaction again in the block: code %d (%s), AppHash changed %v", c, twice.TxResults[1].Log, !bytes.Equal(twice.AppHash, res.AppHash))
		}
		if other := finalize(apps[1], raw).AppHash; !bytes.Equal(other, res.AppHash) {
			t.Fatalf("replicas disagree: %x and %x", res.AppHash, other)
		}
	})
}
