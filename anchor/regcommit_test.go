package anchor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
)

// commitTx is a signed registration commitment transaction.
func (n *testNode) commitTx(t testing.TB, regs ...Registration) []byte {
	t.Helper()
	var cs [][32]byte
	for _, r := range regs {
		cs = append(cs, RegCommitment(r.ID, r.Files))
	}
	b, err := NewRegCommitTx(testChainID, n.cert, n.org.Cert, n.key, cs)
	if err != nil {
		t.Fatalf("NewRegCommitTx() = %v", err)
	}
	return b
}

// K7: at state version 11 a member that sees another's registration in
// the mempool can copy its fingerprints and, as the block's proposer,
// put its copy first; the register then reports the copy as the earlier.
// From 12 the original's commitment, made before its fingerprints were
// shown, holds its place: a copy needs a commitment of its own, which
// comes later, however the block is ordered.
func TestCommittedRegistrationKeepsItsPlace(t *testing.T) {
	photo := RegFile{SHA256: digest("photo"), PHash: 0x0f0f0f0f0f0f0f0f, HasPHash: true}
	owner := Registration{ID: "R-OWNER", Org: "org-owner", Files: []RegFile{photo}}
	copied := Registration{ID: "R-COPY", Org: "org-copier", Files: []RegFile{photo}}
	first := func(t *testing.T, app *App) string {
		t.Helper()
		sum := photo.SHA256
		ms, _, err := app.SearchRegister(&sum, nil, 10, 10)
		if err != nil || len(ms) != 2 {
			t.Fatalf("SearchRegister(photo) = %+v, %v; want two", ms, err)
		}
		return ms[0].Entry.ID
	}
	start := func(t *testing.T, version int) (*App, *testNode, *testNode) {
		a := newTestNode(t, nil)
		b := newTestNode(t, a.org)
		app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), version, a.root, a, b)
		res := finalize(t, app, 1,
			a.dir8(t, OrgEntry{ID: "org-owner", Kind: "owner", Name: "Owner", Revision: 1}),
			b.dir8(t, OrgEntry{ID: "org-copier", Kind: "owner", Name: "Copier", Revision: 1}))
		commit(t, app)
		if got := codes(res); got[0] != CodeOK || got[1] != CodeOK {
			t.Fatalf("directory: %v", got)
		}
		return app, a, b
	}

	t.Run("state 11", func(t *testing.T) {
		app, a, b := start(t, StateV11)
		// The copier proposes the block and orders its copy first.
		res := finalize(t, app, 2, b.reg(t, copied), a.reg(t, owner))
		commit(t, app)
		if got := codes(res); got[0] != CodeOK || got[1] != CodeOK {
			t.Fatalf("registrations: %v", got)
		}
		if got := first(t, app); got != "R-COPY" {
			t.Fatalf("first registration at 11 = %s; the test expects K7's copy first", got)
		}
	})

	t.Run("state 12", func(t *testing.T) {
		app, a, b := start(t, StateV12)
		res := finalize(t, app, 2, a.commitTx(t, owner))
		commit(t, app)
		if got := codes(res); got[0] != CodeOK {
			t.Fatalf("commitment: %v (%s)", got, res.TxResults[0].Log)
		}
		// The owner's registration is shown; the copier, proposing the
		// next block, commits to a copy, files it and orders both
		// before the owner's registration.
		res = finalize(t, app, 3, b.commitTx(t, copied), b.reg(t, copied), a.reg(t, owner))
		commit(t, app)
		if got := codes(res); got[0] != CodeOK || got[1] != CodeOK || got[2] != CodeOK {
			t.Fatalf("block 3: %v", got)
		}
		if got := first(t, app); got != "R-OWNER" {
			t.Fatalf("first registration at 12 = %s, want the owner's", got)
		}
		e, ok, err := app.Registration(MemberID(a.cert), "R-OWNER")
		if err != nil || !ok || e.Order != 1 || e.Committed != 2 || e.Height != 3 || e.Number == "" {
			t.Errorf("the owner's entry = %+v, %v, %v; want order 1, committed at 2, filed at 3, numbered", e, ok, err)
		}
		c, ok, err := app.Commitment(MemberID(a.cert), RegCommitment(owner.ID, owner.Files))
		stored := RegCommit{Order: 1, Height: 2, Time: txNow.Add(time.Minute).UTC(), Used: 3}
		if err != nil || !ok || c != stored {
			t.Errorf("Commitment(owner) = %+v, %v, %v; want %+v", c, ok, err, stored)
		}
		want := sha256.Sum256(stored.encode())
		if got := proveValue(t, app, RegCommitKey(MemberID(a.cert), RegCommitment(owner.ID, owner.Files)), 3); got != want {
			t.Errorf("state map holds %x for the owner's commitment, want %x", got, want)
		}
	})
}

// From state version 12 a new registration is refused (and changes
// nothing) unless the member committed to it, to exactly its ID and
// files; one with a legacy number too (review R4).
func TestRegistrationNeedsCommitment(t *testing.T) {
	a := newTestNode(t, nil)
	b := newTestNode(t, a.org)
	app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV12, a.root, a, b)
	r := Registration{ID: "R1", Files: []RegFile{regFile("novel")}}
	other := Registration{ID: "R1", Files: []RegFile{regFile("another novel")}}
	block := func(height int64, want []uint32, txs ...[]byte) {
		t.Helper()
		res := finalize(t, app, height, txs...)
		commit(t, app)
		got := codes(res)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("block %d, tx %d: code %d (%s), want %d", height, i, got[i], res.TxResults[i].Log, want[i])
			}
		}
	}
	// Without a commitment, with another member's, and with one to other
	// files under the same ID: refused.
	block(1, []uint32{CodeStale, CodeOK, CodeStale, CodeOK, CodeStale},
		a.reg(t, r), b.commitTx(t, r), a.reg(t, r), a.commitTx(t, other), a.reg(t, r))
	if _, ok, _ := app.Registration(MemberID(a.cert), "R1"); ok {
		t.Fatal("a registration without its commitment entered the register")
	}
	if res, err := app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: a.commitTx(t, other)}); err != nil || res.Code != CodeDuplicate {
		t.Errorf("CheckTx(the same commitment again) = %+v, %v; want code %d", res, err, CodeDuplicate)
	}
	// Committed: filed; filed again: nothing new.
	block(2, []uint32{CodeOK}, a.commitTx(t, r, other))
	legacy := Registration{ID: "L1", Legacy: "CUS-(2025)-作登字-000007", Files: []RegFile{regFile("old")}}
	block(3, []uint32{CodeOK, CodeStale}, a.reg(t, r), a.reg(t, legacy))
	block(4, []uint32{CodeDuplicate, CodeOK}, a.reg(t, r), a.commitTx(t, legacy))
	block(5, []uint32{CodeOK}, a.reg(t, legacy))
	e, ok, _ := app.Registration(MemberID(a.cert), "R1")
	// Places: b's commitment 1, a's "other" 2, then r 3 (a's second
	// commitment transaction lists r first, "other" again second).
	if !ok || e.Order != 3 || e.Committed != 2 {
		t.Errorf("R1 = %+v; want order 3, committed at 2", e)
	}
	if l, ok, _ := app.Registration(MemberID(a.cert), "L1"); !ok || l.Order != 4 || l.Committed != 4 || l.Number != "" || l.Legacy != legacy.Legacy {
		t.Errorf("legacy L1 = %+v; want its commitment's place 4, committed at 4, its legacy number", l)
	}
	// The same legacy number again: code 7 from state version 12 (code 3,
	// which the node takes for "already done", below it; review R7).
	again := Registration{ID: "L2", Legacy: legacy.Legacy, Files: []RegFile{regFile("older")}}
	block(6, []uint32{CodeOK, CodeRefused}, a.commitTx(t, again), a.reg(t, again))
	// Below version 12 a commitment is refused.
	old := newAppAt(t, filepath.Join(t.TempDir(), "old.db"), StateV11, a.root, a, b)
	res := finalize(t, old, 1, a.commitTx(t, r))
	commit(t, old)
	if res.TxResults[0].Code != CodeVersion {
		t.Errorf("a commitment at state version 11: code %d, want %d", res.TxResults[0].Code, CodeVersion)
	}
}

// A commitment made under a member's old validator key is found when its
// node files the registration under the new one.
func TestCommitmentAcrossRotation(t *testing.T) {
	root, ms := newGovConsortium(t, 4)
	app := newGovAppAt(t, filepath.Join(t.TempDir(), "app.db"), root, ms, StateV12)
	m := ms[1]
	r := Registration{ID: "R1", Files: []RegFile{regFile("one")}}
	rotated := rotateMember(t, app, root, ms, m, m.commitTx(t, r))
	block(t, app, 5, nil, rotated.reg(t, r))
	e, ok, err := app.Registration(MemberID(rotated.cert), "R1")
	if err != nil || !ok || e.Order != 1 || e.Committed != 1 {
		t.Fatalf("Registration(rotated, R1) = %+v, %v, %v; want order 1, committed at 1", e, ok, err)
	}
}

// The commitment transaction's encoding: what NewRegCommitTx signs
// decodes to the same commitments in the same order; malformed lists are
// refused by the decoder.
func TestRegCommitTxEncoding(t *testing.T) {
	a := newTestNode(t, nil)
	cs := [][32]byte{digest("b"), digest("a"), digest("c")}
	raw, err := NewRegCommitTx(testChainID, a.cert, a.org.Cert, a.key, cs)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := DecodeTx(raw)
	if err != nil || tx.Version != TxVersion11 || tx.Kind != KindRegCommit || len(tx.Commits) != 3 || tx.Commits[0] != cs[0] || tx.Commits[2] != cs[2] {
		t.Fatalf("DecodeTx(commitment) = %+v, %v", tx, err)
	}
	for name, bad := range map[string][][32]byte{
		"none":  nil,
		"twice": {digest("a"), digest("a")},
		"501":   make([][32]byte, MaxRegistrations+1),
	} {
		if name == "501" {
			for i := range bad {
				bad[i] = sha256.Sum256([]byte{byte(i), byte(i >> 8)})
			}
		}
		if _, err := NewRegCommitTx(testChainID, a.cert, a.org.Cert, a.key, bad); !errors.Is(err, ErrMalformedTx) {
			t.Errorf("NewRegCommitTx(%s) = %v, want ErrMalformedTx", name, err)
		}
	}
	// A count that claims more than the bytes hold, and a commitment kind
	// under another version, are refused.
	i := bytes.Index(raw, cs[0][:])
	short := bytes.Clone(raw)
	short[i-1] = 4 // count 4, three present
	if _, err := DecodeTx(short); !errors.Is(err, ErrMalformedTx) {
		t.Errorf("DecodeTx(count beyond the bytes) = %v", err)
	}
	other := bytes.Clone(raw)
	other[len(TxMagic)] = TxVersion10
	if _, err := DecodeTx(other); !errors.Is(err, ErrMalformedTx) {
		t.Errorf("DecodeTx(kind 8 at version 10) = %v", err)
	}
}

// A registration filed more than MaxCommitAge after its commitment takes
// the next place when filed, not its commitment's (review R2); and the
// entries one transaction files are numbered in the order of their
// places, whatever their IDs (review R5).
func TestCommitmentAgeAndNumberOrder(t *testing.T) {
	a := newTestNode(t, nil)
	app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV12, a.root, a)
	late := Registration{ID: "A-LATE", Files: []RegFile{regFile("late")}}
	early := Registration{ID: "Z-EARLY", Files: []RegFile{regFile("early")}}
	second := Registration{ID: "B-SECOND", Files: []RegFile{regFile("second")}}
	at := func(height int64, d time.Duration, txs ...[]byte) {
		t.Helper()
		res, err := app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: height, Time: txNow.Add(time.Minute + d), Txs: txs})
		if err != nil {
			t.Fatal(err)
		}
		commit(t, app)
		for i, r := range res.TxResults {
			if r.Code != CodeOK {
				t.Fatalf("block %d, tx %d: code %d (%s)", height, i, r.Code, r.Log)
			}
		}
	}
	at(1, 0, a.commitTx(t, late))                       // place 1
	at(2, MaxCommitAge/2, a.commitTx(t, early, second)) // places 2 and 3
	at(3, MaxCommitAge+time.Second, a.reg(t, late, early, second))
	want := map[string]struct {
		order     uint64
		committed int64
		n         string
	}{
		"Z-EARLY":  {2, 2, "000001"},
		"B-SECOND": {3, 2, "000002"},
		"A-LATE":   {4, 0, "000003"}, // filed too late: the next place
	}
	for id, w := range want {
		e, ok, err := app.Registration(MemberID(a.cert), id)
		if err != nil || !ok || e.Order != w.order || e.Committed != w.committed || !strings.HasSuffix(e.Number, w.n) {
			t.Errorf("%s = %+v, %v, %v; want order %d, committed %d, number …%s", id, e, ok, err, w.order, w.committed, w.n)
		}
	}
}
