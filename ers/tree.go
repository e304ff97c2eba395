package ers

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"slices"
)

// hashPair returns H(min(a, b) || max(a, b)): the node over two children,
// their hashes concatenated in ascending binary order (RFC 4998 §4.2 step
// 3). It allocates nothing beyond the result for SHA-2.
func hashPair(h crypto.Hash, a, b []byte) []byte { return appendPair(nil, h, a, b) }

// appendPair appends hashPair(h, a, b) to dst.
func appendPair(dst []byte, h crypto.Hash, a, b []byte) []byte {
	if bytes.Compare(a, b) > 0 {
		a, b = b, a
	}
	var buf [2 * sha512.Size]byte
	n := copy(buf[:], a)
	n += copy(buf[n:], b)
	return appendSum(dst, h, buf[:n])
}

// sum is H(data) for a SHA-2 h.
func sum(h crypto.Hash, data []byte) []byte { return appendSum(nil, h, data) }

// appendSum appends H(data) to dst, for a SHA-2 h without allocating.
func appendSum(dst []byte, h crypto.Hash, data []byte) []byte {
	switch h {
	case crypto.SHA256:
		s := sha256.Sum256(data)
		return append(dst, s[:]...)
	case crypto.SHA384:
		s := sha512.Sum384(data)
		return append(dst, s[:]...)
	case crypto.SHA512:
		s := sha512.Sum512(data)
		return append(dst, s[:]...)
	}
	// Not a SHA-2 (the package takes none other): a copy goes to the
	// hash.Hash, so that data does not escape on the paths above.
	hh := h.New()
	hh.Write(bytes.Clone(data))
	return hh.Sum(dst)
}

// hashSorted returns H of the ascending binary concatenation of values
// (RFC 4998 §4.2 step 3, §4.3 step 3).
func hashSorted(h crypto.Hash, values [][]byte) []byte {
	sorted := slices.Clone(values)
	slices.SortFunc(sorted, bytes.Compare)
	hh := h.New()
	for _, v := range sorted {
		hh.Write(v)
	}
	return hh.Sum(nil)
}

// nodeHash is the hash a PartialHashtree stands for: its one value, or H
// of its values in ascending binary order.
func nodeHash(h crypto.Hash, p PartialHashtree) []byte {
	if len(p) == 1 {
		return p[0]
	}
	return hashSorted(h, p)
}

// rootOf recovers the root of a reduced hash tree (RFC 4998 §4.3 step 3):
// h' is the hash of the first PartialHashtree's values, sorted in
// ascending binary order and concatenated; h' then joins the values of the
// next PartialHashtree, whose hash, computed the same way, is the next h',
// up to the root. Father nodes are not written (§4.2 step 5), so h' is
// added to each later list, never looked up in it. A first list of one
// value stands for that value itself, unhashed (RFC 6283 §3.1.1 states
// this exception; Custos and Bouncy Castle write such lists). A later
// list of one value makes h' the pair of the two, which is all Custos and
// Bouncy Castle write above the first list; a later list of several values
// is a node with more than two children, and its values are not hashed
// among themselves first (Bouncy Castle 1.72 reads them so, unlike §4.3).
func rootOf(h crypto.Hash, tree []PartialHashtree) []byte {
	r := nodeHash(h, tree[0])
	for _, p := range tree[1:] {
		if len(p) == 1 {
			r = hashPair(h, r, p[0])
			continue
		}
		r = hashSorted(h, append(slices.Clip(p), r))
	}
	return r
}

// tree is a binary hash tree over n leaves: levels[0] holds the leaves,
// each next level the nodes over pairs of the one below (an odd last node
// is carried up unchanged), the last level the root. Each level is one
// flat slice of hashes of size bytes.
type tree struct {
	h      crypto.Hash
	size   int
	levels [][]byte
}

// newTree builds the tree over leaves, n hashes of h.Size() bytes
// concatenated: n-1 hashes of 2 hashes each.
func newTree(h crypto.Hash, leaves []byte) *tree {
	t := &tree{h: h, size: h.Size(), levels: [][]byte{leaves}}
	for level := leaves; len(level) > t.size; {
		n := len(level) / t.size
		next := make([]byte, 0, (n+1)/2*t.size)
		for i := 0; i+1 < n; i += 2 {
			next = appendPair(next, h, t.node(level, i), t.node(level, i+1))
		}
		if n%2 == 1 {
			next = append(next, t.node(level, n-1)...)
		}
		t.levels = append(t.levels, next)
		level = next
	}
	return t
}

func (t *tree) node(level []byte, i int) []byte { return level[i*t.size : (i+1)*t.size : (i+1)*t.size] }

func (t *tree) len() int { return len(t.levels[0]) / t.size }

func (t *tree) leaf(i int) []byte { return t.node(t.levels[0], i) }

func (t *tree) root() []byte { return t.levels[len(t.levels)-1] }

// siblings appends to out the siblings of leaf i on the way to the root,
// from the bottom; none for a tree of one leaf.
func (t *tree) siblings(i int, out [][]byte) [][]byte {
	for _, level := range t.levels[:len(t.levels)-1] {
		if sib := i ^ 1; sib < len(level)/t.size {
			out = append(out, t.node(level, sib))
		}
		i >>= 1
	}
	return out
}

// path is the reduced hash tree of leaf i (RFC 4998 §4.2): the leaf with
// its first sibling, then each next sibling on the way to the root; nil
// for a tree of one leaf, whose root is the leaf. The hashes are the
// tree's own memory: callers must not change them.
func (t *tree) path(i int) []PartialHashtree {
	var out []PartialHashtree
	leaf := t.leaf(i)
	for _, level := range t.levels[:len(t.levels)-1] {
		sib := i ^ 1
		if sib < len(level)/t.size {
			if out == nil {
				out = append(out, PartialHashtree{leaf, t.node(level, sib)})
			} else {
				out = append(out, PartialHashtree{t.node(level, sib)})
			}
		}
		i >>= 1
	}
	return out
}
