package ers

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"slices"
	"testing"
)

// naryTree is a tree of mixed arity as another producer may write one
// (RFC 4998 §4.2 does not fix the arity): three leaves under n0, three
// under n1 and three under n2, the three nodes under n012, which is paired
// with m at the root. Its reduced hash tree for leaf 0 (§4.2 step 5, the
// father nodes left out) is {l0, l1, l2}, {n1, n2}, {m}.
type naryTree struct {
	leaves     [][]byte
	n, m, root []byte
	path       []PartialHashtree
}

func newNaryTree(h crypto.Hash, leaf0 []byte) *naryTree {
	t := &naryTree{leaves: [][]byte{leaf0}}
	for k := 1; k < 9; k++ {
		t.leaves = append(t.leaves, sum(h, fmt.Appendf(nil, "n-ary leaf %d", k)))
	}
	var ns [][]byte
	for k := 0; k < 9; k += 3 {
		ns = append(ns, hashSorted(h, t.leaves[k:k+3]))
	}
	t.n, t.m = hashSorted(h, ns), sum(h, []byte("n-ary subtree m"))
	t.root = hashSorted(h, [][]byte{t.n, t.m})
	t.path = []PartialHashtree{sorted(t.leaves[:3]), sorted(ns[1:]), {t.m}}
	return t
}

func sorted(v [][]byte) PartialHashtree {
	p := slices.Clone(v)
	slices.SortFunc(p, bytes.Compare)
	return p
}

// TestRootOf checks the reading of a reduced hash tree of RFC 4998 §4.3
// step 3: the hash of a list, sorted and concatenated, joins the next list
// (the first list's one value stands for itself, RFC 6283 §3.1.1). For a
// later list of one value that is the pair Custos and Bouncy Castle write;
// for a later list of several values it is not their node hash paired with
// the running hash (Bouncy Castle 1.72's BinaryTreeRootCalculator reading).
func TestRootOf(t *testing.T) {
	h := crypto.SHA256
	bin := newTree(h, slices.Concat(hashesOf(h, items(5))...))
	nary := newNaryTree(h, sum(h, []byte("item")))
	// The subtree reading of the same lists.
	subtree := hashPair(h, hashPair(h, nodeHash(h, nary.path[0]), nodeHash(h, nary.path[1])), nary.m)
	reversed := make([]PartialHashtree, len(nary.path))
	for i, p := range nary.path {
		reversed[i] = slices.Clone(p)
		slices.Reverse(reversed[i])
	}
	for _, c := range []struct {
		name string
		tree []PartialHashtree
		want []byte
	}{
		{"binary leaf 0", bin.path(0), bin.root()},
		{"binary leaf 4 (carried up)", bin.path(4), bin.root()},
		{"one value first", []PartialHashtree{{bin.leaf(4)}, {bin.levels[2][:32]}}, bin.root()},
		{"n-ary", nary.path, nary.root},
		{"n-ary, values in descending order", reversed, nary.root},
		{"n-ary, first level only", []PartialHashtree{nary.path[0], {hashSorted(h, nary.path[1])}}, hashPair(h, hashSorted(h, nary.path[0]), hashSorted(h, nary.path[1]))},
	} {
		if got := rootOf(h, c.tree); !bytes.Equal(got, c.want) {
			t.Errorf("rootOf(%s) = %x, want %x", c.name, got, c.want)
		}
	}
	if got := rootOf(h, nary.path); bytes.Equal(got, subtree) {
		t.Errorf("rootOf(n-ary) = %x, the subtree reading's root", got)
	}
	missing := slices.Clone(nary.path)
	missing[1] = missing[1][:1]
	if got := rootOf(h, missing); bytes.Equal(got, nary.root) {
		t.Errorf("rootOf(n-ary with a hash missing from a level) = the root")
	}
}

// TestVerifyNary verifies a record of the n-ary tree and refuses it with a
// hash missing from a level, stamped over the subtree reading's root, or
// with a value of the wrong length built in memory (Decode refuses it in
// DER).
func TestVerifyNary(t *testing.T) {
	p := newTestPKI(t)
	x := p.tsa(t, "TSA A", t0)
	h := crypto.SHA256
	data := []byte("an item of an n-ary tree")
	nary := newNaryTree(h, sum(h, data))
	record := func(tree []PartialHashtree, root []byte) *Record {
		t.Helper()
		tok, _, err := stamp(t.Context(), x.stamper(), h, root)
		if err != nil {
			t.Fatal(err)
		}
		return &Record{DigestAlgorithms: []crypto.Hash{h}, Chains: []Chain{{{Hash: h, Tree: tree, TimeStamp: tok}}}}
	}
	r := record(nary.path, nary.root)
	if _, err := Verify(roundTrip(t, r), hashes(data), VerifyOptions{Roots: p.roots}); err != nil {
		t.Fatalf("Verify(n-ary record) = %v", err)
	}
	missing := r.Clone()
	missing.Chains[0][0].Tree[1] = missing.Chains[0][0].Tree[1][1:]
	subtree := record(nary.path, hashPair(h, hashPair(h, hashSorted(h, nary.path[0]), hashSorted(h, nary.path[1])), nary.m))
	empty := r.Clone()
	empty.Chains[0][0].Tree = []PartialHashtree{}
	emptyList := r.Clone()
	emptyList.Chains[0][0].Tree[2] = PartialHashtree{}
	short := r.Clone()
	short.Chains[0][0].Tree[1][0] = short.Chains[0][0].Tree[1][0][:31]
	for name, c := range map[string]struct {
		r    *Record
		step string
		err  error
	}{
		"hash missing":     {missing, "checkRoot", ErrMismatch},
		"subtree reading":  {subtree, "checkRoot", ErrMismatch},
		"short hash value": {short, "checkStructure", ErrMalformed},
		"empty tree":       {empty, "checkStructure", ErrMalformed},
		"empty list":       {emptyList, "checkStructure", ErrMalformed},
	} {
		_, err := Verify(c.r, hashes(data), VerifyOptions{Roots: p.roots})
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Step != c.step || !errors.Is(err, c.err) {
			t.Errorf("Verify(%s) = %v, want %v at %s", name, err, c.err, c.step)
		}
	}
	if _, err := Decode(short.Encode()); !errors.Is(err, ErrMalformed) {
		t.Errorf("Decode(short hash value) = %v, want ErrMalformed", err)
	}
}
