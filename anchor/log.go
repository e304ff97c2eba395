package anchor

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	bolt "go.etcd.io/bbolt"
)

// HashSize is the size of every hash in the log: RFC 6962 with SHA-256.
const HashSize = 32

var (
	hasher       = rfc6962.DefaultHasher
	rangeFactory = &compact.RangeFactory{Hash: hasher.HashChildren}

	bNodes   = []byte("nodes") // nested bucket: level(1) ‖ index(8) → hash(32)
	kCompact = []byte("range") // size(8) ‖ the compact range [0, size), left to right
)

// Log is an append-only RFC 6962 Merkle tree stored in bbolt: every complete
// subtree hash is kept (key: level(1) ‖ index(8, big-endian)), plus the
// compact range of the whole tree, so appending costs O(log n) and any
// historical root or proof can be computed.
//
// A Log holds no state of its own: every method works inside the caller's
// bbolt transaction, so a rolled-back transaction leaves no trace, and a Log
// is safe for concurrent use. Everything lives under one top-level bucket:
//
//	<bucket>/range         size(8, big-endian) ‖ popcount(size) × hash(32)
//	<bucket>/nodes/<id>    hash(32), id = level(1) ‖ index(8, big-endian)
//
// The range holds the roots of the perfect subtrees covering [0, size), left
// to right (the compact range, see compact.Range); it is what Append extends
// and what Root folds. Level 0 of nodes holds the leaf hashes.
type Log struct {
	bucket []byte
}

// NewLog returns the log stored under the top-level bucket named bucket.
func NewLog(bucket string) *Log {
	return &Log{bucket: []byte(bucket)}
}

// Init creates the log's buckets if they are missing. tx must be writable.
func (l *Log) Init(tx *bolt.Tx) error {
	b, err := tx.CreateBucketIfNotExists(l.bucket)
	if err != nil {
		return fmt.Errorf("anchor: create log bucket: %w", err)
	}
	if _, err := b.CreateBucketIfNotExists(bNodes); err != nil {
		return fmt.Errorf("anchor: create log nodes bucket: %w", err)
	}
	return nil
}

// Size returns the number of leaves in the log.
func (l *Log) Size(tx *bolt.Tx) (uint64, error) {
	r, _, err := l.load(tx)
	if err != nil {
		return 0, err
	}
	return r.End(), nil
}

// Append adds leafHashes, each a 32-byte RFC 6962 leaf hash (RFC 6962 §2.1:
// SHA-256(0x00 ‖ entry)), to the end of the log and returns the index of the
// first. Every node that the appends complete is stored, then the new
// compact range. tx must be writable. If any leaf hash is malformed, nothing
// is written.
func (l *Log) Append(tx *bolt.Tx, leafHashes [][]byte) (first uint64, err error) {
	r, nodes, err := l.load(tx)
	if err != nil {
		return 0, err
	}
	first = r.End()
	if uint64(len(leafHashes)) > ^uint64(0)-first {
		return 0, fmt.Errorf("%w: %d leaves would overflow the log", ErrBadSize, len(leafHashes))
	}
	// bbolt keeps a reference to every value until the transaction ends, so
	// the leaves are copied into one buffer that nobody else holds.
	buf := make([]byte, 0, len(leafHashes)*HashSize)
	for i, h := range leafHashes {
		if len(h) != HashSize {
			return 0, fmt.Errorf("%w: leaf %d has %d bytes", ErrBadLeaf, i, len(h))
		}
		buf = append(buf, h...)
	}
	nodes.FillPercent = 0.95 // keys only ever grow at the end of each level
	// The completed nodes are collected and put in key order (level, then
	// index). Put in the order the appends complete them, each level-0 key
	// lands before the higher levels' keys in the same in-memory bbolt
	// node, which then shifts them all: appending n leaves to a young tree
	// cost O(n²) (100,000 leaves took 71 s; in key order, 0.5 s). Within a
	// level the appends complete nodes in index order, so a list a level
	// is in key order without sorting (sorting took a sixth of Append).
	type put struct {
		key  [9]byte
		hash []byte
	}
	var levels [64][]put
	// Appending n leaves completes the n leaves and at most n+63 parents;
	// their hashes are copied into one buffer that nobody else holds.
	hashes := make([]byte, 0, (2*len(leafHashes)+64)*HashSize)
	visit := func(id compact.NodeID, hash []byte) {
		var p put
		nodeKey(p.key[:0], id)
		hashes = append(hashes, hash...)
		p.hash = hashes[len(hashes)-len(hash) : len(hashes) : len(hashes)]
		if levels[id.Level] == nil {
			levels[id.Level] = make([]put, 0, len(leafHashes)>>id.Level+1)
		}
		levels[id.Level] = append(levels[id.Level], p)
	}
	for i := range leafHashes {
		if err := r.Append(buf[i*HashSize:(i+1)*HashSize:(i+1)*HashSize], visit); err != nil {
			return 0, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
	}
	for _, level := range levels {
		for _, p := range level {
			if err := nodes.Put(p.key[:], p.hash); err != nil {
				return 0, fmt.Errorf("anchor: store node: %w", err)
			}
		}
	}
	if err := tx.Bucket(l.bucket).Put(kCompact, encodeRange(r)); err != nil {
		return 0, fmt.Errorf("anchor: store tree head: %w", err)
	}
	return first, nil
}

// Root returns the size of the log and its root hash (RFC 6962 §2.1: the
// Merkle Tree Hash of all leaves; for the empty tree, SHA-256 of nothing).
func (l *Log) Root(tx *bolt.Tx) (size uint64, root []byte, err error) {
	r, _, err := l.load(tx)
	if err != nil {
		return 0, nil, err
	}
	root, err = rangeRoot(r)
	return r.End(), root, err
}

// RootAt returns the root hash the log had when it held size leaves.
// It fails with ErrBadSize if size is larger than the log.
func (l *Log) RootAt(tx *bolt.Tx, size uint64) ([]byte, error) {
	r, nodes, err := l.load(tx)
	if err != nil {
		return nil, err
	}
	if size > r.End() {
		return nil, fmt.Errorf("%w: size %d, log has %d leaves", ErrBadSize, size, r.End())
	}
	if size == r.End() {
		return rangeRoot(r)
	}
	hashes, err := getNodes(nodes, compact.RangeNodes(0, size, nil))
	if err != nil {
		return nil, err
	}
	old, err := rangeFactory.NewRange(0, size, hashes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return rangeRoot(old)
}

// LeafHash returns the leaf hash at index. It fails with ErrBadIndex if
// index is not below the log's size.
func (l *Log) LeafHash(tx *bolt.Tx, index uint64) ([]byte, error) {
	r, nodes, err := l.load(tx)
	if err != nil {
		return nil, err
	}
	if index >= r.End() {
		return nil, fmt.Errorf("%w: index %d, log has %d leaves", ErrBadIndex, index, r.End())
	}
	h, err := getNodes(nodes, []compact.NodeID{compact.NewNodeID(0, index)})
	if err != nil {
		return nil, err
	}
	return h[0], nil
}

// InclusionProof returns the audit path (RFC 6962 §2.1.1) of the leaf at
// index in the tree of the given size, as proof.VerifyInclusion checks it.
// It requires index < size ≤ Size: a larger size fails with ErrBadSize, and
// an index not below size with ErrBadIndex.
func (l *Log) InclusionProof(tx *bolt.Tx, index, size uint64) ([][]byte, error) {
	if index >= size {
		return nil, fmt.Errorf("%w: index %d, tree size %d", ErrBadIndex, index, size)
	}
	return l.prove(tx, size, func() (proof.Nodes, error) { return proof.Inclusion(index, size) })
}

// ConsistencyProof returns the consistency proof (RFC 6962 §2.1.2) between
// the trees of size1 and size2 leaves, as proof.VerifyConsistency checks it.
// It requires size1 ≤ size2 ≤ Size, and fails with ErrBadSize otherwise. The
// proof is empty when size1 is 0 or equals size2.
func (l *Log) ConsistencyProof(tx *bolt.Tx, size1, size2 uint64) ([][]byte, error) {
	if size1 > size2 {
		return nil, fmt.Errorf("%w: size1 %d > size2 %d", ErrBadSize, size1, size2)
	}
	return l.prove(tx, size2, func() (proof.Nodes, error) { return proof.Consistency(size1, size2) })
}

// prove fetches the nodes that plan names in the tree of the given size and
// hashes them into a proof.
func (l *Log) prove(tx *bolt.Tx, size uint64, plan func() (proof.Nodes, error)) ([][]byte, error) {
	r, nodes, err := l.load(tx)
	if err != nil {
		return nil, err
	}
	if size > r.End() {
		return nil, fmt.Errorf("%w: size %d, log has %d leaves", ErrBadSize, size, r.End())
	}
	p, err := plan()
	if err != nil { // unreachable: the arguments were checked above
		return nil, fmt.Errorf("%w: %v", ErrBadSize, err)
	}
	hashes, err := getNodes(nodes, p.IDs)
	if err != nil {
		return nil, err
	}
	return p.Rehash(hashes, hasher.HashChildren)
}

// load reads the compact range of the whole log and opens the nodes bucket.
func (l *Log) load(tx *bolt.Tx) (*compact.Range, *bolt.Bucket, error) {
	b := tx.Bucket(l.bucket)
	if b == nil {
		return nil, nil, fmt.Errorf("%w: no bucket %q", ErrNoLog, l.bucket)
	}
	nodes := b.Bucket(bNodes)
	if nodes == nil {
		return nil, nil, fmt.Errorf("%w: no bucket %q/%s", ErrNoLog, l.bucket, bNodes)
	}
	r, err := decodeRange(b.Get(kCompact))
	if err != nil {
		return nil, nil, err
	}
	return r, nodes, nil
}

// encodeRange encodes the compact range [0, size) as
// size(8) ‖ popcount(size) × hash(32).
func encodeRange(r *compact.Range) []byte {
	b := make([]byte, 8, 8+HashSize*len(r.Hashes()))
	binary.BigEndian.PutUint64(b, r.End())
	for _, h := range r.Hashes() {
		b = append(b, h...)
	}
	return b
}

// decodeRange is the inverse of encodeRange; nil is the empty range. The
// hashes are copied out of bbolt's memory.
func decodeRange(v []byte) (*compact.Range, error) {
	if v == nil {
		return rangeFactory.NewEmptyRange(0), nil
	}
	if len(v) < 8 {
		return nil, fmt.Errorf("%w: tree head of %d bytes", ErrCorrupt, len(v))
	}
	size := binary.BigEndian.Uint64(v)
	n := bits.OnesCount64(size)
	if len(v) != 8+n*HashSize {
		return nil, fmt.Errorf("%w: tree head of %d bytes for size %d", ErrCorrupt, len(v), size)
	}
	flat := append([]byte(nil), v[8:]...)
	hashes := make([][]byte, n)
	for i := range hashes {
		hashes[i] = flat[i*HashSize : (i+1)*HashSize : (i+1)*HashSize]
	}
	return rangeFactory.NewRange(0, size, hashes)
}

// rangeRoot folds a compact range starting at 0 into its root.
func rangeRoot(r *compact.Range) ([]byte, error) {
	if r.End() == 0 {
		return hasher.EmptyRoot(), nil
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return root, nil
}

// getNodes reads the hashes of the given nodes, copied out of bbolt's memory.
func getNodes(nodes *bolt.Bucket, ids []compact.NodeID) ([][]byte, error) {
	flat := make([]byte, len(ids)*HashSize)
	hashes := make([][]byte, len(ids))
	var key [9]byte
	for i, id := range ids {
		v := nodes.Get(nodeKey(key[:0], id))
		if len(v) != HashSize {
			return nil, fmt.Errorf("%w: node (%d, %d) has %d bytes", ErrCorrupt, id.Level, id.Index, len(v))
		}
		hashes[i] = flat[i*HashSize : (i+1)*HashSize : (i+1)*HashSize]
		copy(hashes[i], v)
	}
	return hashes, nil
}

// nodeKey appends the key of a node: level(1) ‖ index(8, big-endian).
func nodeKey(dst []byte, id compact.NodeID) []byte {
	return binary.BigEndian.AppendUint64(append(dst, byte(id.Level)), id.Index)
}
