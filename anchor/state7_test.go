package anchor

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	bolt "go.etcd.io/bbolt"
	"path/filepath"
	"testing"
	"unicode"
	"unicode/utf8"
)

// NameKey is idempotent on every single code point, and on the names that
// broke nameKeyV4 (Cherokee, whose case folding in golang.org/x/text maps
// capitals and small letters to each other).
func TestNameKeyIdempotent(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		if k := NameKey(s); NameKey(k) != k {
			t.Errorf("NameKey(NameKey(%U)) = %q, want %q", r, NameKey(k), k)
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"ᏣᎳᎩ Court", "ꮳꮃꭹ court"},
		{"Ᏸ", "ᏸ"},
		{"ACME  Law", "acme law"},
		{"杭州互联网法院", " 杭州互联网法院 "},
		{"Straße", "STRASSE"},
		{"ﬁrm", "FIRM"},
	} {
		if NameKey(tc.a) != NameKey(tc.b) {
			t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q; want one key", tc.a, NameKey(tc.a), tc.b, NameKey(tc.b))
		}
	}
	// What version 7 fixes: the old key of a Cherokee name is not its own
	// key, and two spellings of one name had two keys.
	if k := nameKeyV4("ꮳꮃꭹ"); nameKeyV4(k) == k || nameKeyV4("ꮳꮃꭹ") == nameKeyV4("ᏣᎳᎩ") {
		t.Errorf("nameKeyV4 of Cherokee: %q → %q; the test no longer shows what version 7 fixes", k, nameKeyV4(k))
	}
	if NameKey("") != "" || NameKey(" \t ") != "" {
		t.Error("an empty or blank name has a key")
	}
}

// FuzzNameKey: NameKey(NameKey(x)) == NameKey(x) for any string, and a
// name and its key are the same name.
func FuzzNameKey(f *testing.F) {
	for _, s := range []string{"ᏣᎳᎩ", "ꮳꮃꭹ court", "Straße", "ǅ", "ﬃ", "e\u0301", "\u0345\u0399", "ᾼ", "ﷺ", "㍱", " a\u3000b ", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := NameKey(s)
		if NameKey(k) != k {
			t.Fatalf("NameKey(%q) = %q, but NameKey(%q) = %q", s, k, k, NameKey(k))
		}
	})
}

// At state version 7 the directory compares names by NameKey: two
// organizations registered at version 6 under two spellings of one
// Cherokee name (two keys then) become one name at the upgrade; the
// earlier keeps it, the later's claim is recorded. Blocks before the
// upgrade height give the AppHash they gave at version 6.
func TestUpgradeToV7Names(t *testing.T) {
	nodes := []*testNode{newTestNode(t, nil)}
	for i := 0; i < 2; i++ {
		nodes = append(nodes, newTestNode(t, nodes[0].org))
	}
	a, b := nodes[0], nodes[1]
	up := newAppAt(t, filepath.Join(t.TempDir(), "up.db"), StateV6, a.root, nodes...)
	stay := newAppAt(t, filepath.Join(t.TempDir(), "stay.db"), StateV6, a.root, nodes...)
	small := OrgEntry{ID: "org-small", Kind: "court", Name: "ꮳꮃꭹ Court"}
	capital := OrgEntry{ID: "org-capital", Kind: "court", Name: "ᏣᎳᎩ court"}
	vote := UpgradeVote{Version: StateV7, Height: 4}
	blocks := [][][]byte{
		{a.dir(t, small), a.vote(t, vote), b.vote(t, vote), nodes[2].vote(t, vote)},
		{b.dir(t, capital)},
		{a.batch4(t, 1, testLeaves(0, 1), nil, nil)},
		{a.batch7(t, 2, testLeaves(1, 1), nil, nil)},
	}
	for i, txs := range blocks {
		h := int64(i + 1)
		res := finalize(t, up, h, txs...)
		commit(t, up)
		var other []byte
		if h == 1 {
			other = finalize(t, stay, h, txs[0]).AppHash
		} else {
			other = finalize(t, stay, h, txs...).AppHash
		}
		commit(t, stay)
		for j, c := range codes(res) {
			if c != CodeOK {
				t.Fatalf("block %d, tx %d: code %d (%s)", h, j, c, res.TxResults[j].Log)
			}
		}
		if same := bytes.Equal(res.AppHash, other); same != (uint64(h) < vote.Height) {
			t.Errorf("block %d: AppHash %x, at version 6 throughout %x; want them equal only before the upgrade", h, res.AppHash, other)
		}
	}
	if up.StateVersion() != StateV7 || stay.StateVersion() != StateV6 {
		t.Fatalf("versions %d and %d, want 7 and 6", up.StateVersion(), stay.StateVersion())
	}
	for _, name := range []string{small.Name, capital.Name, "ᏣᎳᎩ COURT"} {
		if e, ok, _ := up.OrgByName(name); !ok || e.ID != small.ID {
			t.Errorf("OrgByName(%q) = %+v, %v at version 7; want %s", name, e, ok, small.ID)
		}
	}
	if e, ok, _ := stay.OrgByName(capital.Name); !ok || e.ID != capital.ID {
		t.Errorf("OrgByName(%q) at version 6 = %+v, %v; want %s (its own key there)", capital.Name, e, ok, capital.ID)
	}
	claims, err := up.Claims()
	if err != nil || len(claims) != 1 || claims[0].Org != capital.ID || claims[0].Holder != small.ID || claims[0].Height != 4 || claims[0].Member != MemberID(b.cert) {
		t.Fatalf("Claims() = %+v, %v; want org-capital's claim to the name org-small holds, at 4", claims, err)
	}
	if _, ok, _ := up.Org(capital.ID); !ok {
		t.Error("the organization that lost its name left the directory")
	}
	// After the upgrade, a third spelling is a claim to the same name.
	res := finalize(t, up, 5, nodes[2].dir(t, OrgEntry{ID: "org-third", Kind: "firm", Name: "ᏣᎳᎩ ᏟᎣᏌᎢ"}), nodes[2].dir(t, OrgEntry{ID: "org-fourth", Kind: "firm", Name: "ꮳꮃꭹ ꮯꭳꮜꭲ"}))
	commit(t, up)
	if got := codes(res); got[0] != CodeOK || got[1] != CodeOK {
		t.Fatalf("block 5: %v", got)
	}
	if claims, _ := up.Claims(); len(claims) != 2 {
		t.Errorf("Claims() after two spellings of one name = %+v, want two claims", claims)
	}
}

// blockDigest is the SHA-256 of a block's deposits as the deposit chain
// takes them, computed here from the format in deposits.go.
func blockDigest(member []byte, ds ...deposit) [32]byte {
	var b []byte
	for _, d := range ds {
		b = append(b, member...)
		b = binary.BigEndian.AppendUint64(b, d.leaf)
		if d.hasSM3 {
			b = append(append(append(b, 1), d.sha256[:]...), d.sm3[:]...)
		} else {
			b = append(append(b, 0), d.sha256[:]...)
		}
	}
	return sha256.Sum256(b)
}

func depositLogHead(t *testing.T, app *App) (uint64, [32]byte) {
	t.Helper()
	var size uint64
	var root []byte
	err := app.db.View(func(tx *bolt.Tx) (err error) {
		size, root, err = depositLog.Root(tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return size, DepositsValue(size, root)
}

// At state version 7 a block's deposits are committed with one link of
// the deposit chain, from the empty deposit log's head on a chain that
// starts at 7; the deposit log takes nothing; lookup answers as before,
// and after a restart.
func TestStateV7Deposits(t *testing.T) {
	a := newTestNode(t, nil)
	b := newTestNode(t, a.org)
	path := filepath.Join(t.TempDir(), "app.db")
	app := newAppAt(t, path, StateV7, a.root, a, b)
	_, start := depositLogHead(t, app)
	contract, photo, sm3 := digest("contract"), digest("photo"), digest("sm3 of the photo")
	block(t, app, 1, nil, a.batch7(t, 1, testLeaves(0, 3), nil, []Deposit{{Batch: 1, Offset: 0, SHA256: contract}, {Batch: 1, Offset: 2, SHA256: photo, SM3: sm3, HasSM3: true}}))
	link1 := DepositLink(start, 1, 2, blockDigest(a.memberID(), deposit{leaf: 0, sha256: contract}, deposit{leaf: 2, sha256: photo, sm3: sm3, hasSM3: true}))
	if got := proveValue(t, app, DepositsKey, 1); got != link1 {
		t.Fatalf("DepositsKey after block 1 = %x, want the link %x", got, link1)
	}
	// A block without deposits leaves the link; b's block adds one, and a
	// created event deposited again is not (it changes nothing).
	block(t, app, 2, nil, a.batch7(t, 2, testLeaves(3, 1), nil, nil))
	block(t, app, 3, nil,
		b.batch7(t, 1, testLeaves(10, 1), nil, []Deposit{{Batch: 1, Offset: 0, SHA256: contract}}),
		a.batch7(t, 3, nil, nil, []Deposit{{Batch: 1, Offset: 0, SHA256: contract}}))
	link3 := DepositLink(link1, 3, 3, blockDigest(b.memberID(), deposit{leaf: 4, sha256: contract}))
	if got, at2 := proveValue(t, app, DepositsKey, 3), proveValue(t, app, DepositsKey, 2); got != link3 || at2 != link1 {
		t.Errorf("DepositsKey after blocks 2 and 3 = %x, %x; want %x, %x", at2, got, link1, link3)
	}
	if size, _ := depositLogHead(t, app); size != 0 {
		t.Errorf("the deposit log has %d leaves at version 7, want none", size)
	}
	check := func(app *App) {
		t.Helper()
		if d, ok, err := app.Deposit(contract); err != nil || !ok || d.Leaf != 0 || d.Height != 1 || d.Member != MemberID(a.cert) || d.Count != 2 {
			t.Errorf("Deposit(contract) = %+v, %v, %v; want leaf 0, height 1, member a, count 2", d, ok, err)
		}
		if d, ok, _ := app.DepositSM3(sm3); !ok || d.SHA256 != photo || d.Leaf != 2 {
			t.Errorf("DepositSM3 = %+v, %v; want the photo's deposit", d, ok)
		}
	}
	check(app)
	again := reopen(t, app, path, a)
	check(again)
	block(t, again, 4, nil, a.batch7(t, 4, testLeaves(5, 1), nil, []Deposit{{Batch: 4, SHA256: digest("after restart")}}))
	link4 := DepositLink(link3, 4, 4, blockDigest(a.memberID(), deposit{leaf: 5, sha256: digest("after restart")}))
	if got := proveValue(t, again, DepositsKey, 4); got != link4 {
		t.Errorf("DepositsKey after a restart and block 4 = %x, want %x", got, link4)
	}
}

// An upgrade from version 6 to 7 starts the deposit chain from the
// deposit log's head at the upgrade: the log keeps what versions 4 to 6
// added, the chain binds it, and lookup finds deposits from both sides.
func TestUpgradeToV7Deposits(t *testing.T) {
	nodes := []*testNode{newTestNode(t, nil)}
	for i := 0; i < 2; i++ {
		nodes = append(nodes, newTestNode(t, nodes[0].org))
	}
	a := nodes[0]
	app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV6, a.root, nodes...)
	vote := UpgradeVote{Version: StateV7, Height: 3}
	block(t, app, 1, nil, a.batch4(t, 1, testLeaves(0, 2), nil, []Deposit{{Batch: 1, SHA256: digest("v6 one")}, {Batch: 1, Offset: 1, SHA256: digest("v6 two")}}),
		a.vote(t, vote), nodes[1].vote(t, vote), nodes[2].vote(t, vote))
	size, head := depositLogHead(t, app)
	if got := proveValue(t, app, DepositsKey, 1); size != 2 || got != head {
		t.Fatalf("at version 6 DepositsKey = %x for a log of %d; want the log's head %x", got, size, head)
	}
	block(t, app, 2, nil, a.batch4(t, 2, testLeaves(2, 1), nil, nil))
	block(t, app, 3, []uint32{CodeVersion}, a.batch4(t, 3, testLeaves(3, 1), nil, []Deposit{{Batch: 3, SHA256: digest("v7")}}),
		a.batch7(t, 3, testLeaves(3, 1), nil, []Deposit{{Batch: 3, SHA256: digest("v7")}}))
	if app.StateVersion() != StateV7 {
		t.Fatalf("version %d at the upgrade height, want 7", app.StateVersion())
	}
	want := DepositLink(head, 3, 3, blockDigest(a.memberID(), deposit{leaf: 3, sha256: digest("v7")}))
	if got := proveValue(t, app, DepositsKey, 3); got != want {
		t.Errorf("DepositsKey after the upgrade = %x, want the link from the log's head %x", got, want)
	}
	if s, _ := depositLogHead(t, app); s != 2 {
		t.Errorf("the deposit log has %d leaves after the upgrade, want the 2 of version 6", s)
	}
	for _, s := range []string{"v6 one", "v6 two", "v7"} {
		if _, ok, _ := app.Deposit(digest(s)); !ok {
			t.Errorf("Deposit(%q) not found after the upgrade", s)
		}
	}
}

// memberID is the node's member ID as a transaction's memberKey gives it.
func (n *testNode) memberID() []byte { return memberOfKey(n.key.Public().(ed25519.PublicKey)) }

// encodeOne is a deposit as nodes stored it, one record each, before
// runs: leaf (8) ‖ height (8) ‖ member (32) ‖ flags (1) ‖ sha256 (32) ‖
// [sm3 (32)].
func encodeOne(d deposit) []byte {
	b := binary.BigEndian.AppendUint64(nil, d.leaf)
	b = binary.BigEndian.AppendUint64(b, uint64(d.height))
	b = append(b, d.member[:]...)
	if d.hasSM3 {
		return append(append(append(b, 1), d.sha256[:]...), d.sm3[:]...)
	}
	return append(append(b, 0), d.sha256[:]...)
}

// Deposits are stored in runs, one record per transaction (split where
// having an SM3 changes); a node's deposits stored one record each, as
// nodes did before runs, are still read, and the numbers run on from
// them into the runs.
func TestDepositRuns(t *testing.T) {
	a := newTestNode(t, nil)
	path := filepath.Join(t.TempDir(), "app.db")
	app := newAppAt(t, path, StateV7, a.root, a)
	var member [32]byte
	copy(member[:], a.memberID())
	legacy := []deposit{
		{leaf: 100, height: 1, member: member, sha256: digest("legacy 0")},
		{leaf: 101, height: 1, member: member, sha256: digest("legacy 1"), sm3: digest("legacy sm3"), hasSM3: true},
	}
	err := app.db.Update(func(tx *bolt.Tx) error {
		for i, d := range legacy {
			if err := tx.Bucket(bDeposits).Put(binary.BigEndian.AppendUint64(nil, uint64(i)), encodeOne(d)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	app = reopen(t, app, path, a)
	ds := []Deposit{
		{Batch: 1, Offset: 0, SHA256: digest("run 0")},
		{Batch: 1, Offset: 1, SHA256: digest("run 1")},
		{Batch: 1, Offset: 2, SHA256: digest("run 2"), SM3: digest("run 2 sm3"), HasSM3: true},
		{Batch: 1, Offset: 3, SHA256: digest("run 3")},
		{Batch: 1, Offset: 4, SHA256: digest("legacy 1")},
	}
	block(t, app, 1, nil, a.batch7(t, 1, testLeaves(0, 5), nil, ds))
	var runs []uint64
	app.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bDepositRuns).ForEach(func(k, _ []byte) error {
			runs = append(runs, binary.BigEndian.Uint64(k))
			return nil
		})
	})
	if fmt.Sprint(runs) != "[2 4 5]" {
		t.Errorf("runs start at deposits %v, want [2 4 5] (after the 2 stored one each; split where having an SM3 changes)", runs)
	}
	check := func(app *App) {
		t.Helper()
		for _, tc := range []struct {
			name  string
			leaf  uint64
			count uint64
		}{{"legacy 0", 100, 1}, {"legacy 1", 4, 2}, {"run 0", 0, 1}, {"run 1", 1, 1}, {"run 2", 2, 1}, {"run 3", 3, 1}} {
			// "legacy 1" twice: the lookup names the one whose created
			// event the log took first, leaf 4 of the run, not the
			// stored deposit planted at leaf 101 (TestReleasedDepositLookup).
			d, ok, err := app.Deposit(digest(tc.name))
			if err != nil || !ok || d.Leaf != tc.leaf || d.Count != tc.count || d.Member != MemberID(a.cert) {
				t.Errorf("Deposit(%q) = %+v, %v, %v; want leaf %d, count %d", tc.name, d, ok, err, tc.leaf, tc.count)
			}
		}
		for sm3, leaf := range map[string]uint64{"legacy sm3": 4, "run 2 sm3": 2} {
			if d, ok, _ := app.DepositSM3(digest(sm3)); !ok || d.Leaf != leaf {
				t.Errorf("DepositSM3(%q) = %+v, %v; want leaf %d", sm3, d, ok, leaf)
			}
		}
	}
	check(app)
	again := reopen(t, app, path, a)
	check(again)
}

// batch7 is a signed version-7 batch.
func (n *testNode) batch7(t testing.TB, seq uint64, leaves [][]byte, heads []HeadUpdate, deposits []Deposit) []byte {
	t.Helper()
	b, err := NewBatchTx7(testChainID, n.cert, n.org.Cert, n.key, seq, leaves, heads, deposits)
	if err != nil {
		t.Fatalf("NewBatchTx7() = %v", err)
	}
	return b
}

// Version-7 batches round-trip; a deposit of the batch's own leaf costs 35
// bytes (45 in version 4), one naming another batch 43; their rules hold
// (flags 1 and 2 only, another batch really another), and a version-7
// batch is refused below state version 7, a version-4 one from it.
func TestTx7RoundTripAndStrictness(t *testing.T) {
	n := newTestNode(t, nil)
	deps := []Deposit{{Batch: 9, Offset: 3, SHA256: [32]byte{2}, SM3: [32]byte{7}, HasSM3: true}, {Batch: 1, Offset: 2, SHA256: [32]byte{1}}}
	raw := n.batch7(t, 9, testLeaves(0, 4), []HeadUpdate{{Key: [32]byte{1}, Batch: 9, Events: 2, Value: [32]byte{6}}}, deps)
	tx, err := DecodeTx(raw)
	if err != nil || tx.Version != TxVersion7 || len(tx.Deposits) != 2 || tx.Deposits[0].Batch != 1 || tx.Deposits[0].Offset != 2 || tx.Deposits[1].Batch != 9 || tx.Deposits[1].Offset != 3 || !tx.Deposits[1].HasSM3 || tx.Deposits[1].SM3 != ([32]byte{7}) || len(tx.Heads) != 1 {
		t.Fatalf("DecodeTx = %+v, %v", tx, err)
	}
	if !bytes.Equal(tx.Encode(), raw) {
		t.Error("a version-7 batch does not re-encode to its bytes")
	}
	size := func(ds ...Deposit) int { return len(n.batch7(t, 5, testLeaves(0, 1), nil, ds)) }
	size4 := func(ds ...Deposit) int { return len(n.batch4(t, 5, testLeaves(0, 1), nil, ds)) }
	own, other := Deposit{Batch: 5, SHA256: [32]byte{1}}, Deposit{Batch: 4, SHA256: [32]byte{1}}
	if got, got4 := size(own)-size(), size4(own)-size4(); got != 35 || got4 != 45 {
		t.Errorf("a deposit of the batch's own leaf costs %d bytes in version 7 and %d in version 4, want 35 and 45", got, got4)
	}
	if got := size(other) - size(); got != 43 {
		t.Errorf("a deposit naming another batch costs %d bytes, want 43", got)
	}
	one := n.batch7(t, 2, nil, nil, []Deposit{{Batch: 2, SHA256: [32]byte{1}}})
	flags := len(one) - 64 - 32 - 2 - 1
	if one[flags] != 0 {
		t.Fatalf("test bug: byte %d is %d, not the flags", flags, one[flags])
	}
	for _, f := range []byte{4, 8, 0x80} {
		bad := bytes.Clone(one)
		bad[flags] = f
		if _, err := DecodeTx(bad); !errors.Is(err, ErrMalformedTx) {
			t.Errorf("flags %d: %v, want ErrMalformedTx", f, err)
		}
	}
	// Flag 2 naming the batch itself is a second encoding: refused.
	self := append(bytes.Clone(one[:flags]), 2)
	self = binary.BigEndian.AppendUint64(self, 2)
	self = append(self, one[flags+1:]...)
	if _, err := DecodeTx(self); !errors.Is(err, ErrMalformedTx) {
		t.Errorf("a deposit naming its own batch as another: %v, want ErrMalformedTx", err)
	}
	for name, ds := range map[string][]Deposit{
		"offset too large": {{Batch: 1, Offset: MaxLeaves}},
		"twice the same":   {{Batch: 1, Offset: 1}, {Batch: 1, Offset: 1}},
		"SM3 without flag": {{Batch: 1, SM3: [32]byte{1}}},
	} {
		if _, err := NewBatchTx7(testChainID, n.cert, n.org.Cert, n.key, 1, testLeaves(0, 1), nil, ds); !errors.Is(err, ErrMalformedTx) {
			t.Errorf("%s: NewBatchTx7 = %v, want ErrMalformedTx", name, err)
		}
	}
	// Each state version takes its own batch version.
	v6 := newAppAt(t, filepath.Join(t.TempDir(), "v6.db"), StateV6, n.root, n)
	block(t, v6, 1, []uint32{CodeVersion, CodeOK}, n.batch7(t, 1, testLeaves(0, 1), nil, nil), n.batch4(t, 1, testLeaves(0, 1), nil, nil))
	v7 := newAppAt(t, filepath.Join(t.TempDir(), "v7.db"), StateV7, n.root, n)
	block(t, v7, 1, []uint32{CodeVersion, CodeOK}, n.batch4(t, 1, testLeaves(0, 1), nil, nil), n.batch7(t, 1, testLeaves(0, 1), nil, nil))
}

// reopen closes app's database and starts an App on it again, as a node
// restarts.
func reopen(t *testing.T, app *App, path string, n *testNode) *App {
	t.Helper()
	app.db.Close()
	again, err := NewApp(AppConfig{DB: openDB(t, path), ChainID: testChainID, Root: n.root.Cert})
	if err != nil {
		t.Fatal(err)
	}
	return again
}

// A block's deposits are kept one run a transaction: a deposit that a
// later transaction of the same block files again is seen there (and not
// added twice), and the block's digest takes the runs in order.
func TestStateV7DepositsAcrossBlockTxs(t *testing.T) {
	a := newTestNode(t, nil)
	app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV7, a.root, a)
	_, start := depositLogHead(t, app)
	contract, photo, video := digest("contract"), digest("photo"), digest("video")
	res := finalize(t, app, 1,
		a.batch7(t, 1, testLeaves(0, 2), nil, []Deposit{{Batch: 1, Offset: 0, SHA256: contract}}),
		a.batch7(t, 2, nil, nil, []Deposit{{Batch: 1, Offset: 1, SHA256: photo}, {Batch: 1, Offset: 0, SHA256: contract}}),
		a.batch7(t, 3, testLeaves(2, 1), nil, []Deposit{{Batch: 1, Offset: 1, SHA256: photo}, {Batch: 3, Offset: 0, SHA256: video}}))
	commit(t, app)
	if got := codes(res); got[0] != CodeOK || got[1] != CodeOK || got[2] != CodeOK {
		t.Fatalf("codes = %v, want all OK", got)
	}
	want := DepositLink(start, 1, 3, blockDigest(a.memberID(),
		deposit{leaf: 0, sha256: contract}, deposit{leaf: 1, sha256: photo}, deposit{leaf: 2, sha256: video}))
	if got := proveValue(t, app, DepositsKey, 1); got != want {
		t.Errorf("DepositsKey after block 1 = %x, want %x (three deposits, none twice)", got, want)
	}
	for _, c := range []struct {
		sum  [32]byte
		leaf uint64
	}{{contract, 0}, {photo, 1}, {video, 2}} {
		if d, ok, err := app.Deposit(c.sum); err != nil || !ok || d.Leaf != c.leaf || d.Count != 1 {
			t.Errorf("Deposit(%x) = %+v, %v, %v; want leaf %d, count 1", c.sum[:4], d, ok, err, c.leaf)
		}
	}
}

// A deposit is looked up in the digest index only if some deposit there
// is of its leaf or a later one (depositIndex.top); the index rebuilt at
// a restart knows its top too, so a created event deposited again after
// a restart is still not added, while the same digest at a new leaf is.
func TestStateV7DepositAgainAfterRestart(t *testing.T) {
	x := newDepositIndex()
	sum := digest("x")
	if c := x.leafCandidates(sum, 0); c != nil {
		t.Errorf("an empty index gives candidates %v for leaf 0", c)
	}
	x.add(0, &deposit{leaf: 7, sha256: sum})
	if c := x.leafCandidates(sum, 7); len(c) != 1 || c[0] != 0 {
		t.Errorf("leafCandidates(leaf 7) = %v, want [0]", c)
	}
	if c := x.leafCandidates(sum, 8); c != nil {
		t.Errorf("leafCandidates(leaf 8) = %v, want none: no deposit is of leaf 8 or later", c)
	}
	if c := x.leafCandidates(sum, 3); len(c) != 1 {
		t.Errorf("leafCandidates(leaf 3) = %v, want the candidate by digest", c)
	}

	a := newTestNode(t, nil)
	b := newTestNode(t, a.org)
	path := filepath.Join(t.TempDir(), "app.db")
	app := newAppAt(t, path, StateV7, a.root, a, b)
	contract, photo := digest("contract"), digest("photo")
	block(t, app, 1, nil, a.batch7(t, 1, testLeaves(0, 2), nil, []Deposit{{Batch: 1, Offset: 0, SHA256: contract}, {Batch: 1, Offset: 1, SHA256: photo}}))
	link1 := proveValue(t, app, DepositsKey, 1)
	again := reopen(t, app, path, a)
	block(t, again, 2, nil,
		a.batch7(t, 2, nil, nil, []Deposit{{Batch: 1, Offset: 1, SHA256: photo}, {Batch: 1, Offset: 0, SHA256: contract}}),
		b.batch7(t, 1, testLeaves(10, 1), nil, []Deposit{{Batch: 1, Offset: 0, SHA256: contract}}))
	want := DepositLink(link1, 2, 3, blockDigest(b.memberID(), deposit{leaf: 2, sha256: contract}))
	if got := proveValue(t, again, DepositsKey, 2); got != want {
		t.Errorf("DepositsKey after block 2 = %x, want %x (only b's deposit of a new leaf)", got, want)
	}
	if d, ok, err := again.Deposit(contract); err != nil || !ok || d.Leaf != 0 || d.Count != 2 {
		t.Errorf("Deposit(contract) = %+v, %v, %v; want leaf 0, count 2", d, ok, err)
	}
	if d, ok, err := again.Deposit(photo); err != nil || !ok || d.Leaf != 1 || d.Count != 1 {
		t.Errorf("Deposit(photo) = %+v, %v, %v; want leaf 1, count 1", d, ok, err)
	}
}
