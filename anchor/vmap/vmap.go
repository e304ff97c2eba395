// Package vmap is a verifiable map: a compacted sparse Merkle tree over
// 256-bit keys and values, with SHA-256. The consortium chain's state map
// is one (custody heads, and later other replicated state), and receipts
// carry its membership proofs, which courts check offline. It imports only
// the standard library.
//
// Key bits: bit i of key k (i = 0..255) is (k[i/8] >> (7 - i%8)) & 1; 0 goes
// left, from the root at depth 0.
//
// Hashes: an empty subtree is 32 zero bytes; a subtree holding exactly one
// key k with value v is Leaf(k, v) = SHA-256(0x00 ‖ k ‖ v), whatever its
// depth; any other subtree is Node(l, r) = SHA-256(0x01 ‖ l ‖ r) of its two
// halves. The map's root is the hash of the whole tree.
//
// A membership proof of (k, v) is the sibling hashes along k's path from
// depth 1 down to the depth d at which k's leaf sits: Siblings[i] is the
// hash of the subtree at depth i+1 on the other side of k's path. To check
// it, start from h = Leaf(k, v) and for i = d-1 down to 0 set h =
// Node(h, Siblings[i]) if bit i of k is 0, else Node(Siblings[i], h); it
// holds iff h is the root. A proof has one spelling: at most 256 siblings,
// and, when there are any, the last is not the empty hash (the leaf sits at
// the shallowest depth where it is alone).
//
// A Tree is immutable: Set returns a new version that shares every
// unchanged subtree with the old one, so that the versions of recent
// blocks stay provable at the cost of what each block changed.
package vmap

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
)

// Hash is a key, a value or a node hash.
type Hash = [32]byte

// Empty is the hash of an empty subtree.
var Empty Hash

// Errors of proof verification.
var (
	// ErrProof means a proof does not lead to the root.
	ErrProof = errors.New("vmap: proof does not match the root")
	// ErrNonCanonical means a proof is not in its one canonical form.
	ErrNonCanonical = errors.New("vmap: proof not in canonical form")
)

// Pair is one entry of the map.
type Pair struct {
	Key, Value Hash
}

// node is a subtree: a leaf (pair set) or an inner node with two children,
// either of which may be nil (empty). Its hash is cached.
type node struct {
	hash        Hash
	pair        *Pair // a leaf when set
	left, right *node
}

// Tree is one version of the map. The zero value and New() are the empty
// map. A Tree is safe for concurrent reads.
type Tree struct {
	root *node
	n    int
}

// New returns the empty map.
func New() *Tree { return &Tree{} }

// Len is the number of keys.
func (t *Tree) Len() int { return t.n }

// Root is the map's root hash.
func (t *Tree) Root() Hash {
	if t.root == nil {
		return Empty
	}
	return t.root.hash
}

func bit(k *Hash, i int) byte { return (k[i/8] >> (7 - i%8)) & 1 }

// LeafHash is Leaf(k, v).
func LeafHash(k, v Hash) Hash {
	var b [65]byte
	b[0] = 0
	copy(b[1:], k[:])
	copy(b[33:], v[:])
	return sha256.Sum256(b[:])
}

// NodeHash is Node(l, r).
func NodeHash(l, r Hash) Hash {
	var b [65]byte
	b[0] = 1
	copy(b[1:], l[:])
	copy(b[33:], r[:])
	return sha256.Sum256(b[:])
}

func leaf(p Pair) *node { return &node{hash: LeafHash(p.Key, p.Value), pair: &p} }

func hashOf(n *node) Hash {
	if n == nil {
		return Empty
	}
	return n.hash
}

func inner(l, r *node) *node { return &node{hash: NodeHash(hashOf(l), hashOf(r)), left: l, right: r} }

// Get returns the value of k.
func (t *Tree) Get(k Hash) (Hash, bool) {
	n := t.root
	for depth := 0; n != nil; depth++ {
		if n.pair != nil {
			if n.pair.Key == k {
				return n.pair.Value, true
			}
			return Hash{}, false
		}
		if bit(&k, depth) == 0 {
			n = n.left
		} else {
			n = n.right
		}
	}
	return Hash{}, false
}

// Set returns a new version of the map with k set to v.
func (t *Tree) Set(k, v Hash) *Tree {
	root, added := set(t.root, 0, Pair{k, v})
	return &Tree{root: root, n: t.n + added}
}

// set puts p into the subtree n at depth, copying the path.
func set(n *node, depth int, p Pair) (*node, int) {
	m, added := set1(n, depth, p)
	if added {
		return m, 1
	}
	return m, 0
}

func set1(n *node, depth int, p Pair) (*node, bool) {
	switch {
	case n == nil:
		return leaf(p), true
	case n.pair != nil && n.pair.Key == p.Key:
		return leaf(p), false
	case n.pair != nil:
		return split(leaf(*n.pair), leaf(p), depth), true
	}
	l, r := n.left, n.right
	var added bool
	if bit(&p.Key, depth) == 0 {
		l, added = set1(l, depth+1, p)
	} else {
		r, added = set1(r, depth+1, p)
	}
	return inner(l, r), added
}

// split builds the subtree at depth holding two leaves with different keys.
func split(a, b *node, depth int) *node {
	ba, bb := bit(&a.pair.Key, depth), bit(&b.pair.Key, depth)
	if ba == bb {
		child := split(a, b, depth+1)
		if ba == 0 {
			return inner(child, nil)
		}
		return inner(nil, child)
	}
	if ba == 0 {
		return inner(a, b)
	}
	return inner(b, a)
}

// SetMany returns a new version of the map with every pair set (a key
// given twice: the later pair wins). It hashes each node on the paths of
// the keys once, however many of the keys share it, so a block's updates
// cost far less together than one Set each.
func (t *Tree) SetMany(pairs []Pair) *Tree {
	if len(pairs) == 0 {
		return t
	}
	ps := dedupe(pairs)
	root, added := setMany(t.root, 0, ps)
	return &Tree{root: root, n: t.n + added}
}

// dedupe sorts pairs by key, keeping the last pair of each key.
func dedupe(pairs []Pair) []Pair {
	ps := make([]Pair, len(pairs))
	copy(ps, pairs)
	sort.SliceStable(ps, func(i, j int) bool { return less(&ps[i].Key, &ps[j].Key) })
	out := ps[:0]
	for i, p := range ps {
		if i+1 < len(ps) && ps[i+1].Key == p.Key {
			continue
		}
		out = append(out, p)
	}
	return out
}

// setMany puts sorted, distinct pairs sharing their first depth bits into
// the subtree n at depth; it returns the new subtree and how many keys it
// added.
func setMany(n *node, depth int, ps []Pair) (*node, int) {
	switch {
	case len(ps) == 0:
		return n, 0
	case n == nil:
		return build(ps, depth), len(ps)
	case len(ps) == 1:
		return set(n, depth, ps[0])
	case n.pair != nil:
		i := sort.Search(len(ps), func(i int) bool { return !less(&ps[i].Key, &n.pair.Key) })
		if i < len(ps) && ps[i].Key == n.pair.Key {
			return build(ps, depth), len(ps) - 1
		}
		merged := make([]Pair, 0, len(ps)+1)
		merged = append(append(append(merged, ps[:i]...), *n.pair), ps[i:]...)
		return build(merged, depth), len(ps)
	}
	i := sort.Search(len(ps), func(i int) bool { return bit(&ps[i].Key, depth) == 1 })
	l, al := setMany(n.left, depth+1, ps[:i])
	r, ar := setMany(n.right, depth+1, ps[i:])
	return inner(l, r), al + ar
}

// Build returns the map of pairs, in O(n) hashes. A key given twice is an
// error.
func Build(pairs []Pair) (*Tree, error) {
	ps := append([]Pair(nil), pairs...)
	sort.Slice(ps, func(i, j int) bool { return less(&ps[i].Key, &ps[j].Key) })
	for i := 1; i < len(ps); i++ {
		if ps[i].Key == ps[i-1].Key {
			return nil, fmt.Errorf("vmap: key %x given twice", ps[i].Key)
		}
	}
	return &Tree{root: build(ps, 0), n: len(ps)}, nil
}

func less(a, b *Hash) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// build makes the subtree at depth of sorted pairs that share their first
// depth bits.
func build(ps []Pair, depth int) *node {
	switch len(ps) {
	case 0:
		return nil
	case 1:
		return leaf(ps[0])
	}
	i := sort.Search(len(ps), func(i int) bool { return bit(&ps[i].Key, depth) == 1 })
	return inner(build(ps[:i], depth+1), build(ps[i:], depth+1))
}

// Proof is a proof about one key: membership (Value set) or non-membership
// (Value nil; Other set when the path ends at another key's leaf, nil when
// it ends at an empty subtree).
type Proof struct {
	Key      Hash
	Value    *Hash
	Other    *Pair
	Siblings []Hash
}

// Prove proves k in the map: its value and membership proof, or that it
// is absent.
func (t *Tree) Prove(k Hash) (*Proof, error) {
	p := &Proof{Key: k}
	n := t.root
	for depth := 0; ; depth++ {
		switch {
		case n == nil:
			return p, nil
		case n.pair != nil:
			if n.pair.Key == k {
				v := n.pair.Value
				p.Value = &v
			} else {
				o := *n.pair
				p.Other = &o
			}
			return p, nil
		}
		if bit(&k, depth) == 0 {
			p.Siblings = append(p.Siblings, hashOf(n.right))
			n = n.left
		} else {
			p.Siblings = append(p.Siblings, hashOf(n.left))
			n = n.right
		}
	}
}

// rootFrom folds siblings up from h at the depth len(siblings) on k's path.
func rootFrom(k Hash, h Hash, siblings []Hash) Hash {
	for i := len(siblings) - 1; i >= 0; i-- {
		if bit(&k, i) == 0 {
			h = NodeHash(h, siblings[i])
		} else {
			h = NodeHash(siblings[i], h)
		}
	}
	return h
}

// VerifyMembership checks that siblings prove k = v under root.
func VerifyMembership(root, k, v Hash, siblings []Hash) error {
	if len(siblings) > 256 || len(siblings) > 0 && siblings[len(siblings)-1] == Empty {
		return fmt.Errorf("%w: %d siblings, the last empty: %v", ErrNonCanonical, len(siblings), len(siblings) > 0 && siblings[len(siblings)-1] == Empty)
	}
	if got := rootFrom(k, LeafHash(k, v), siblings); got != root {
		return fmt.Errorf("%w: computed root %x, want %x", ErrProof, got, root)
	}
	return nil
}

// VerifyNonMembership checks that siblings prove k absent under root: the
// path of k ends at an empty subtree (other nil) or at the leaf of another
// key that shares the path (other set). Canonically the path ends where the
// subtree is empty or holds one key: its last sibling is not empty, unless
// the map is empty (no siblings, root Empty) or holds the one key other.
func VerifyNonMembership(root, k Hash, other *Pair, siblings []Hash) error {
	d := len(siblings)
	if d > 256 {
		return fmt.Errorf("%w: %d siblings", ErrNonCanonical, d)
	}
	h := Empty
	if other != nil {
		if other.Key == k {
			return fmt.Errorf("%w: the other leaf has the key itself", ErrProof)
		}
		for i := 0; i < d; i++ {
			if bit(&other.Key, i) != bit(&k, i) {
				return fmt.Errorf("%w: the other leaf is not on the key's path", ErrProof)
			}
		}
		h = LeafHash(other.Key, other.Value)
	}
	if d > 0 && siblings[d-1] == Empty {
		return fmt.Errorf("%w: the last sibling is empty", ErrNonCanonical)
	}
	if got := rootFrom(k, h, siblings); got != root {
		return fmt.Errorf("%w: computed root %x, want %x", ErrProof, got, root)
	}
	return nil
}

// ParseHex decodes siblings written as 64 lowercase hex digits each.
func ParseHex(ss []string) ([]Hash, error) {
	if len(ss) > 256 {
		return nil, fmt.Errorf("%w: %d siblings", ErrNonCanonical, len(ss))
	}
	out := make([]Hash, len(ss))
	for i, s := range ss {
		if len(s) != 64 || hex.EncodeToString(mustHex(s)) != s {
			return nil, fmt.Errorf("%w: sibling %d %q is not 64 lowercase hex digits", ErrNonCanonical, i, s)
		}
		copy(out[i][:], mustHex(s))
	}
	return out, nil
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil
	}
	return b
}

// FormatHex writes siblings as lowercase hex.
func FormatHex(hs []Hash) []string {
	out := make([]string, len(hs))
	for i := range hs {
		out[i] = hex.EncodeToString(hs[i][:])
	}
	return out
}
