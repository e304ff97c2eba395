package anchor

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
)

const testChainID = "custos-test"

var txNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testNode is a consortium member's node: its organization CA, its
// certificate and its Ed25519 key.
type testNode struct {
	root *certs.Authority
	org  *certs.Authority
	cert *x509.Certificate
	key  ed25519.PrivateKey
}

// newTestNode issues a node certificate under org, or under a new
// consortium if org is nil.
func newTestNode(t testing.TB, org *certs.Authority) *testNode {
	t.Helper()
	var root *certs.Authority
	if org == nil {
		var err error
		if root, err = certs.NewRoot("Test Root", txNow); err != nil {
			t.Fatalf("NewRoot() = %v", err)
		}
		if org, err = root.NewOrgCA(certs.KindCourt, "Test Court", txNow); err != nil {
			t.Fatalf("NewOrgCA() = %v", err)
		}
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := org.IssueNode("node0", pub, txNow)
	if err != nil {
		t.Fatalf("IssueNode() = %v", err)
	}
	return &testNode{root: root, org: org, cert: cert, key: key}
}

func (n *testNode) tx(t testing.TB, chainID string, seq uint64, leaves [][]byte) []byte {
	t.Helper()
	b, err := NewTx(chainID, n.cert, n.org.Cert, n.key, seq, leaves)
	if err != nil {
		t.Fatalf("NewTx() = %v", err)
	}
	return b
}

// batch2 is a signed version-2 batch.
func (n *testNode) batch2(t testing.TB, seq uint64, leaves [][]byte, heads []HeadUpdate) []byte {
	t.Helper()
	b, err := NewBatchTx(testChainID, n.cert, n.org.Cert, n.key, seq, leaves, heads)
	if err != nil {
		t.Fatalf("NewBatchTx() = %v", err)
	}
	return b
}

// vote is a signed upgrade vote.
func (n *testNode) vote(t testing.TB, v UpgradeVote) []byte {
	t.Helper()
	b, err := NewUpgradeTx(testChainID, n.cert, n.org.Cert, n.key, v)
	if err != nil {
		t.Fatalf("NewUpgradeTx() = %v", err)
	}
	return b
}

// testHeads are n head updates with distinct keys.
func testHeads(n int) []HeadUpdate {
	out := make([]HeadUpdate, n)
	for i := range out {
		out[i] = HeadUpdate{Key: sha256.Sum256([]byte{byte(i), 'k'}), Events: uint64(i + 1), Value: sha256.Sum256([]byte{byte(i), 'v'})}
	}
	return out
}

func TestTx2RoundTripAndStrictness(t *testing.T) {
	n := newTestNode(t, nil)
	v := NewVerifier(testChainID, n.root.Cert)
	for _, raw := range [][]byte{
		n.batch2(t, 1, testLeaves(0, 3), testHeads(5)),
		n.batch2(t, 2, nil, testHeads(1)),
		n.batch2(t, 3, testLeaves(0, 1), nil),
		n.vote(t, UpgradeVote{Version: 2, Height: 7}),
	} {
		tx, err := DecodeTx(raw)
		if err != nil {
			t.Fatalf("DecodeTx() = %v", err)
		}
		if !bytes.Equal(tx.Encode(), raw) {
			t.Errorf("DecodeTx(b).Encode() differs")
		}
		if err := v.Verify(tx, txNow); err != nil {
			t.Errorf("Verify() = %v", err)
		}
	}
	// Heads are sorted on the way in; a duplicate key has no encoding.
	dup := append(testHeads(2), testHeads(1)...)
	if _, err := NewBatchTx(testChainID, n.cert, n.org.Cert, n.key, 1, nil, dup); !errors.Is(err, ErrMalformedTx) {
		t.Errorf("NewBatchTx(duplicate key) = %v, want ErrMalformedTx", err)
	}
	bad := []struct {
		name string
		tx   func() ([]byte, error)
	}{
		{"empty batch", func() ([]byte, error) { return NewBatchTx(testChainID, n.cert, n.org.Cert, n.key, 1, nil, nil) }},
		{"head of no event", func() ([]byte, error) {
			return NewBatchTx(testChainID, n.cert, n.org.Cert, n.key, 1, nil, []HeadUpdate{{Events: 0}})
		}},
		{"vote for version 1", func() ([]byte, error) {
			return NewUpgradeTx(testChainID, n.cert, n.org.Cert, n.key, UpgradeVote{Version: 1, Height: 9})
		}},
		{"vote for height 0", func() ([]byte, error) {
			return NewUpgradeTx(testChainID, n.cert, n.org.Cert, n.key, UpgradeVote{Version: 2})
		}},
	}
	for _, tt := range bad {
		if _, err := tt.tx(); !errors.Is(err, ErrMalformedTx) {
			t.Errorf("%s: %v, want ErrMalformedTx", tt.name, err)
		}
	}
	// Unsorted heads on the wire are refused: flip the two keys of a
	// signed 2-head batch.
	raw := n.batch2(t, 5, nil, testHeads(2))
	tail := len(raw) - 64 - 2*headSize
	swapped := bytes.Clone(raw)
	copy(swapped[tail:], raw[tail+headSize:tail+2*headSize])
	copy(swapped[tail+headSize:], raw[tail:tail+headSize])
	if _, err := DecodeTx(swapped); !errors.Is(err, ErrMalformedTx) {
		t.Errorf("DecodeTx(unsorted heads) = %v, want ErrMalformedTx", err)
	}
}

func TestTxRoundTrip(t *testing.T) {
	n := newTestNode(t, nil)
	v := NewVerifier(testChainID, n.root.Cert)
	for _, count := range []uint64{1, 2, 100, MaxLeaves} {
		t.Run(fmt.Sprint(count), func(t *testing.T) {
			leaves := testLeaves(0, count)
			b := n.tx(t, testChainID, 42, leaves)
			tx, err := DecodeTx(b)
			if err != nil {
				t.Fatalf("DecodeTx() = %v", err)
			}
			if !tx.NodeCert.Equal(n.cert) || !tx.OrgCA.Equal(n.org.Cert) || tx.Seq != 42 || !equalProofs(tx.Leaves, leaves) {
				t.Errorf("DecodeTx() = %+v, want the encoded fields", tx)
			}
			if got := tx.Encode(); !bytes.Equal(got, b) {
				t.Errorf("DecodeTx(b).Encode() != b")
			}
			if err := v.Verify(tx, txNow); err != nil {
				t.Errorf("Verify() = %v", err)
			}
			sum := sha256.Sum256(n.cert.RawSubjectPublicKeyInfo)
			if got, want := tx.Member(), hex.EncodeToString(sum[:]); got != want {
				t.Errorf("Member() = %s, want %s", got, want)
			}
			if k, err := memberKeyHex(tx.Member()); err != nil || !bytes.Equal(k, tx.memberKey()) {
				t.Errorf("memberKeyHex(Member()) = %x, %v; want %x", k, err, tx.memberKey())
			}
		})
	}
}

// TestTxDecodeDoesNotAlias checks that a decoded Tx keeps no reference to
// the caller's buffer.
func TestTxDecodeDoesNotAlias(t *testing.T) {
	n := newTestNode(t, nil)
	b := n.tx(t, testChainID, 1, testLeaves(0, 2))
	want := bytes.Clone(b)
	tx, err := DecodeTx(b)
	if err != nil {
		t.Fatal(err)
	}
	clear(b)
	if !bytes.Equal(tx.Encode(), want) {
		t.Errorf("Encode() changed when the decoded buffer was overwritten")
	}
}

// TestTxMutations flips every byte of a valid transaction, truncates it at
// every length and extends it: DecodeTx or Verify must reject each result.
func TestTxMutations(t *testing.T) {
	n := newTestNode(t, nil)
	v := NewVerifier(testChainID, n.root.Cert)
	b := n.tx(t, testChainID, 7, testLeaves(0, 3))
	check := func(what string, m []byte) {
		t.Helper()
		tx, err := DecodeTx(m)
		if err == nil {
			err = v.Verify(tx, txNow)
		}
		if err == nil {
			t.Errorf("%s: DecodeTx and Verify accepted it", what)
		}
	}
	for i := range b {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			m := bytes.Clone(b)
			m[i] ^= mask
			check(fmt.Sprintf("byte %d ^ %#x", i, mask), m)
		}
	}
	for i := range b {
		check(fmt.Sprintf("truncated to %d", i), b[:i])
	}
	check("one more byte", append(bytes.Clone(b), 0))
	check("one more leaf", append(bytes.Clone(b), make([]byte, HashSize)...))
	check("twice", append(bytes.Clone(b), b...))
	// The untouched transaction still verifies (the cache was not poisoned).
	tx, _ := DecodeTx(b)
	if err := v.Verify(tx, txNow); err != nil {
		t.Errorf("Verify(original) = %v", err)
	}
}

func TestDecodeTxErrors(t *testing.T) {
	n := newTestNode(t, nil)
	valid := n.tx(t, testChainID, 1, testLeaves(0, 1))
	// header is everything up to the leaf count.
	header := valid[:len(valid)-4-HashSize-ed25519.SignatureSize]
	withCount := func(count uint32, leaves int) []byte {
		b := binary.BigEndian.AppendUint32(bytes.Clone(header), count)
		return append(b, make([]byte, leaves*HashSize+ed25519.SignatureSize)...)
	}
	replace := func(at int, v ...byte) []byte {
		b := bytes.Clone(valid)
		copy(b[at:], v)
		return b
	}
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"magic only", []byte(TxMagic)},
		{"bad magic", replace(0, 'c')},
		{"version 0", replace(4, 0)},
		{"version 2", replace(4, 2)},
		{"node certificate length 0", replace(5, 0, 0)},
		{"node certificate too long", replace(5, 0xff, 0xff)},
		{"node certificate one byte short", replace(5, valid[5], valid[6]-1)},
		{"count 0", withCount(0, 0)},
		{"count MaxLeaves+1", withCount(MaxLeaves+1, MaxLeaves+1)},
		{"count 2, one leaf", withCount(2, 1)},
		{"count 1, two leaves", withCount(1, 2)},
		{"no signature", valid[:len(valid)-ed25519.SignatureSize]},
		{"trailing byte", append(bytes.Clone(valid), 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeTx(tt.b); !errors.Is(err, ErrMalformedTx) {
				t.Errorf("DecodeTx(%s) = %v, want ErrMalformedTx", tt.name, err)
			}
		})
	}
	if _, err := DecodeTx(withCount(MaxLeaves, MaxLeaves)); err != nil {
		t.Errorf("DecodeTx(MaxLeaves leaves) = %v, want nil", err)
	}
}

func TestNewTxErrors(t *testing.T) {
	n := newTestNode(t, nil)
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	leaves := testLeaves(0, 2)
	tests := []struct {
		name    string
		chainID string
		key     ed25519.PrivateKey
		leaves  [][]byte
		want    error
	}{
		{"empty chain ID", "", n.key, leaves, ErrChainID},
		{"NUL in chain ID", "a\x00b", n.key, leaves, ErrChainID},
		{"other key", testChainID, otherKey, leaves, ErrNodeKey},
		{"short key", testChainID, n.key[:32], leaves, ErrNodeKey},
		{"no leaves", testChainID, n.key, nil, ErrMalformedTx},
		{"too many leaves", testChainID, n.key, testLeaves(0, MaxLeaves+1), ErrMalformedTx},
		{"short leaf", testChainID, n.key, [][]byte{leaves[0], leaves[1][:31]}, ErrBadLeaf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewTx(tt.chainID, n.cert, n.org.Cert, tt.key, 1, tt.leaves); !errors.Is(err, tt.want) {
				t.Errorf("NewTx(%s) = %v, want %v", tt.name, err, tt.want)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	n := newTestNode(t, nil)
	sibling := newTestNode(t, n.org) // same organization
	otherOrg, err := n.root.NewOrgCA(certs.KindNotary, "Test Notary", txNow)
	if err != nil {
		t.Fatal(err)
	}
	stranger := newTestNode(t, nil) // another consortium
	tsa, err := n.org.IssueTSA("Test TSA", txNow)
	if err != nil {
		t.Fatal(err)
	}
	leaves := testLeaves(0, 2)
	signed := func(node *testNode, orgCA *x509.Certificate, chainID string) *Tx {
		b, err := NewTx(chainID, node.cert, orgCA, node.key, 1, leaves)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := DecodeTx(b)
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	ecdsaNode := &Tx{Version: TxVersion, Kind: KindBatch, NodeCert: tsa.Cert, OrgCA: n.org.Cert, Seq: 1, Leaves: leaves, Sig: make([]byte, ed25519.SignatureSize)}
	tests := []struct {
		name string
		tx   *Tx
		at   time.Time
		want error
	}{
		{"member", signed(n, n.org.Cert, testChainID), txNow, nil},
		{"another node of the organization", signed(sibling, n.org.Cert, testChainID), txNow, nil},
		{"in four years", signed(n, n.org.Cert, testChainID), txNow.AddDate(4, 0, 0), nil},
		{"other chain ID", signed(n, n.org.Cert, "custos-other"), txNow, ErrBadSignature},
		{"other consortium", signed(stranger, stranger.org.Cert, testChainID), txNow, ErrNotMember},
		{"wrong organization CA", signed(n, otherOrg.Cert, testChainID), txNow, ErrNotMember},
		{"root as organization CA", signed(n, n.root.Cert, testChainID), txNow, ErrNotMember},
		{"ECDSA node key", ecdsaNode, txNow, ErrNodeKey},
		{"node certificate expired", signed(n, n.org.Cert, testChainID), txNow.AddDate(6, 0, 0), ErrExpired},
		{"before issue", signed(n, n.org.Cert, testChainID), txNow.Add(-time.Hour), ErrExpired},
		{"no certificate", &Tx{Leaves: leaves}, txNow, ErrMalformedTx},
		{"no leaves", &Tx{Version: TxVersion, Kind: KindBatch, NodeCert: n.cert, OrgCA: n.org.Cert}, txNow, ErrMalformedTx},
		{"short leaf", &Tx{Version: TxVersion, Kind: KindBatch, NodeCert: n.cert, OrgCA: n.org.Cert, Leaves: [][]byte{{1}}}, txNow, ErrBadLeaf},
	}
	for _, cache := range []string{"cold", "warm"} {
		v := NewVerifier(testChainID, n.root.Cert)
		for _, tt := range tests {
			t.Run(cache+"/"+tt.name, func(t *testing.T) {
				if cache == "warm" {
					v.Verify(tt.tx, txNow) // cache the pair, if it is a member's
				}
				if err := v.Verify(tt.tx, tt.at); !errors.Is(err, tt.want) {
					t.Errorf("Verify(%s) = %v, want %v", tt.name, err, tt.want)
				}
			})
		}
	}
}

// TestVerifyFields checks that Verify covers the fields a caller reads, not
// bytes kept aside: changing a decoded Tx breaks its signature.
func TestVerifyFields(t *testing.T) {
	n := newTestNode(t, nil)
	v := NewVerifier(testChainID, n.root.Cert)
	for _, change := range []func(*Tx){
		func(tx *Tx) { tx.Seq++ },
		func(tx *Tx) { tx.Leaves[0] = testLeaves(9, 1)[0] },
		func(tx *Tx) { tx.Leaves = tx.Leaves[:1] },
	} {
		tx, err := DecodeTx(n.tx(t, testChainID, 1, testLeaves(0, 2)))
		if err != nil {
			t.Fatal(err)
		}
		change(tx)
		if err := v.Verify(tx, txNow); !errors.Is(err, ErrBadSignature) {
			t.Errorf("Verify(changed tx) = %v, want ErrBadSignature", err)
		}
	}
}

func TestVerifierChainID(t *testing.T) {
	n := newTestNode(t, nil)
	tx, _ := DecodeTx(n.tx(t, testChainID, 1, testLeaves(0, 1)))
	if err := NewVerifier("", n.root.Cert).Verify(tx, txNow); !errors.Is(err, ErrChainID) {
		t.Errorf("Verify() with an empty chain ID = %v, want ErrChainID", err)
	}
}

func TestVerifierConcurrent(t *testing.T) {
	n := newTestNode(t, nil)
	other := newTestNode(t, n.org)
	v := NewVerifier(testChainID, n.root.Cert)
	txs := make([]*Tx, 8)
	for i := range txs {
		node := n
		if i%2 == 1 {
			node = other
		}
		txs[i], _ = DecodeTx(node.tx(t, testChainID, uint64(i), testLeaves(uint64(i), 3)))
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 20 {
				if err := v.Verify(txs[(i+j)%len(txs)], txNow); err != nil {
					t.Errorf("Verify() = %v", err)
				}
			}
		})
	}
	wg.Wait()
}

// FuzzDecodeTx checks that DecodeTx never panics, that whatever it accepts
// re-encodes to the same bytes (the encoding is canonical), and that Verify
// never panics on it.
func FuzzDecodeTx(f *testing.F) {
	n := newTestNode(f, nil)
	v := NewVerifier(testChainID, n.root.Cert)
	f.Add(n.tx(f, testChainID, 0, testLeaves(0, 1)))
	f.Add(n.tx(f, testChainID, 1<<40, testLeaves(5, 3)))
	f.Add(n.tx(f, "custos-other", 2, testLeaves(0, 2)))
	f.Add([]byte(TxMagic + "\x01"))
	f.Add(n.batch2(f, 3, testLeaves(0, 2), testHeads(3)))
	f.Add(n.batch2(f, 4, nil, testHeads(1)))
	f.Add(n.vote(f, UpgradeVote{Version: 2, Height: 100}))
	f.Add([]byte(TxMagic + "\x02\x03"))
	f.Add(n.batch3(f, 5, testLeaves(0, 2), []HeadUpdate{{Key: [32]byte{1}, Batch: 5, Offset: 1, Events: 2, Value: [32]byte{2}}}))
	f.Add([]byte(TxMagic + "\x03\x02"))
	f.Add(n.batch4(f, 6, testLeaves(0, 2), nil, []Deposit{{Batch: 6, Offset: 0, SHA256: [32]byte{1}}, {Batch: 6, Offset: 1, SHA256: [32]byte{2}, SM3: [32]byte{3}, HasSM3: true}}))
	f.Add(n.batch4(f, 7, nil, nil, []Deposit{{Batch: 2, Offset: 9, SHA256: [32]byte{4}}}))
	f.Add(n.batch7(f, 8, testLeaves(0, 2), nil, []Deposit{{Batch: 8, Offset: 0, SHA256: [32]byte{1}}, {Batch: 8, Offset: 1, SHA256: [32]byte{2}, SM3: [32]byte{3}, HasSM3: true}}))
	f.Add(n.batch7(f, 9, nil, []HeadUpdate{{Key: [32]byte{1}, Batch: 2, Offset: 1, Events: 2, Value: [32]byte{2}}}, []Deposit{{Batch: 2, Offset: 9, SHA256: [32]byte{4}, SM3: [32]byte{5}, HasSM3: true}}))
	f.Add([]byte(TxMagic + "\x07\x01"))
	f.Add(n.dir(f, OrgEntry{ID: "org-1", Kind: "court", Name: "杭州互联网法院"}, OrgEntry{ID: "org-2", Kind: "firm", Name: "ACME Law"}))
	f.Add(n.dir8(f, OrgEntry{ID: "org-1", Kind: "court", Name: "杭州互联网法院", Revision: 1}, OrgEntry{ID: "org-2", Kind: "firm", Name: "ACME Law", Revision: 1 << 40}))
	f.Add([]byte(TxMagic + "\x08\x03"))
	f.Add(n.reg(f, Registration{ID: "R1", Org: "org-1", Files: []RegFile{{SHA256: [32]byte{5}, PHash: 9, HasPHash: true}}}, Registration{ID: "R2", Legacy: "CUS-(2025)-作登字-000001", Files: []RegFile{{SHA256: [32]byte{6}}}}, Registration{ID: "R3", Revoked: true}))
	gov, err := n.org.IssueGovernance("fuzz governance", txNow)
	if err != nil {
		f.Fatal(err)
	}
	g := &govMember{testNode: n, gov: gov, id: MemberID(n.cert)}
	pub := n.key.Public().(ed25519.PublicKey)
	target := g.target()
	for _, p := range []Proposal{
		{ID: "admit", Expires: 10, Action: ActAdmit, OrgCA: n.org.Cert, ValidatorKey: pub, Power: 10},
		{ID: "remove", Expires: 10, Override: true, Action: ActRemove, Target: target},
		{ID: "rotate", Expires: 10, Action: ActRotate, Target: target, ValidatorKey: pub},
		{ID: "power", Expires: 10, Action: ActPower, Target: target, Power: 3},
		{ID: "retire", Expires: 10, Action: ActRetireCA, Target: target, CAHash: sha256.Sum256(n.org.Cert.Raw)},
	} {
		f.Add(g.propose(f, p))
	}
	f.Add(g.ballot(f, "admit", true))
	f.Add(g.ballot(f, "remove", false))
	f.Add([]byte(TxMagic + "\x06\x05"))
	f.Add(g.ballot9(f, "admit", sha256.Sum256([]byte("a proposal")), true))
	f.Add(g.ballot9(f, "remove", [32]byte{}, false))
	f.Add([]byte(TxMagic + "\x09\x06"))
	f.Add([]byte(TxMagic + "\x09\x05"))
	f.Add(g.revoke(f, g.gov.Cert, ""))
	f.Add([]byte(TxMagic + "\x0a\x07"))
	f.Add([]byte(TxMagic + "\x0a\x06"))
	// A member of a consortium of the sm suite (SM2 root and organization
	// CA, Ed25519 node key), checked by verifyChainSM.
	smRoot, err := certs.NewSuiteRoot(certs.SuiteSM, "SM Root", txNow)
	if err != nil {
		f.Fatal(err)
	}
	smOrg, err := smRoot.NewOrgCA(certs.KindNotary, "SM Notary", txNow)
	if err != nil {
		f.Fatal(err)
	}
	sm := newTestNode(f, smOrg)
	smV := NewVerifier(testChainID, smRoot.Cert)
	if tx, err := DecodeTx(sm.batch7(f, 1, testLeaves(0, 1), nil, nil)); err != nil || smV.Verify(tx, txNow) != nil {
		f.Fatalf("an sm-suite member's batch: %v, or it does not verify", err)
	}
	f.Add(sm.batch7(f, 1, testLeaves(0, 1), nil, nil))
	f.Add(sm.dir(f, OrgEntry{ID: "org-sm", Kind: "notary", Name: "SM Notary"}))
	smGov, err := smOrg.IssueGovernance("SM governance", txNow)
	if err != nil {
		f.Fatal(err)
	}
	smRevoke := (&govMember{testNode: sm, gov: smGov, id: MemberID(sm.cert)}).revoke(f, smGov.Cert, "")
	if tx, err := DecodeTx(smRevoke); err != nil || smV.Verify(tx, txNow) != nil {
		f.Fatalf("an sm-suite member's revocation: %v, or it does not verify", err)
	}
	f.Add(smRevoke)
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := DecodeTx(b)
		if err != nil {
			if !errors.Is(err, ErrMalformedTx) {
				t.Fatalf("DecodeTx() = %v, want ErrMalformedTx", err)
			}
			return
		}
		if got := tx.Encode(); !bytes.Equal(got, b) {
			t.Fatalf("DecodeTx(b).Encode() = %x, want %x", got, b)
		}
		for _, v := range []*Verifier{v, smV} {
			err := v.Verify(tx, txNow)
			if err != nil && !isVerifyError(err) {
				t.Fatalf("Verify() = %v, not one of the errors it documents", err)
			}
		}
	})
}

// isVerifyError reports whether err is one of the errors Verifier.Verify
// documents.
func isVerifyError(err error) bool {
	for _, e := range []error{ErrChainID, ErrMalformedTx, ErrBadLeaf, ErrNodeKey, ErrExpired, ErrNotMember, ErrBadSignature} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func BenchmarkVerify(b *testing.B) {
	n := newTestNode(b, nil)
	for _, count := range []uint64{1, 1000, MaxLeaves} {
		b.Run(fmt.Sprintf("leaves=%d", count), func(b *testing.B) {
			v := NewVerifier(testChainID, n.root.Cert)
			tx, err := DecodeTx(n.tx(b, testChainID, 1, testLeaves(0, count)))
			if err != nil {
				b.Fatal(err)
			}
			if err := v.Verify(tx, txNow); err != nil { // warm the cache
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if err := v.Verify(tx, txNow); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
			b.ReportMetric(float64(b.N*int(count))/b.Elapsed().Seconds(), "leaves/s")
		})
	}
}

// BenchmarkVerifyCold verifies the certificate chain every time, as for the
// first transaction of a node.
func BenchmarkVerifyCold(b *testing.B) {
	n := newTestNode(b, nil)
	tx, _ := DecodeTx(n.tx(b, testChainID, 1, testLeaves(0, 1)))
	for b.Loop() {
		if err := NewVerifier(testChainID, n.root.Cert).Verify(tx, txNow); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleNewTx() {
	root, _ := certs.NewRoot("Consortium Root", txNow)
	court, _ := root.NewOrgCA(certs.KindCourt, "District Court", txNow)
	pub, key, _ := ed25519.GenerateKey(rand.Reader) // the node's validator key
	nodeCert, _ := court.IssueNode("court-node-1", pub, txNow)

	leaves := testLeaves(0, 3)
	b, err := NewTx("custos-1", nodeCert, court.Cert, key, 1, leaves)
	if err != nil {
		fmt.Println(err)
		return
	}
	tx, err := DecodeTx(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(tx.Leaves), NewVerifier("custos-1", root.Cert).Verify(tx, txNow))
	// Output: 3 <nil>
}

// DecodeTx refuses a kind byte its version does not have at the kind
// byte, whatever the kind: kind 1 (a batch) too, which versions 5, 6 and 8
// do not have.
func TestDecodeTxUnknownKind(t *testing.T) {
	for _, vk := range [][2]byte{{TxVersion5, KindBatch}, {TxVersion6, KindBatch}, {TxVersion8, KindBatch}, {TxVersion2, KindDirectory}, {TxVersion5, KindDirectory}} {
		raw := append([]byte(TxMagic), vk[0], vk[1])
		raw = append(raw, make([]byte, 200)...)
		if _, err := DecodeTx(raw); !errors.Is(err, ErrMalformedTx) || !strings.Contains(err.Error(), "unknown kind") {
			t.Errorf("DecodeTx(version %d, kind %d) = %v, want unknown kind", vk[0], vk[1], err)
		}
	}
}
