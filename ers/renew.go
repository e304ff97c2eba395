package ers

import (
	"context"
	"crypto"
	"fmt"
	"slices"

	"github.com/custos-project/custos/internal/cms"
)

// RenewTimeStamps renews the time-stamps of records (RFC 4998 §5.2), for
// instance before their TSA's certificate expires: each record gets one new
// ArchiveTimeStamp at the end of its last chain, of the chain's hash
// algorithm, whose reduced hash tree covers the hash of the timeStamp of
// every ArchiveTimeStamp already in that chain. The records of one batch
// share their time-stamps and so one leaf; the leaves of all the records
// given form one hash tree, so the call costs one time-stamp for each hash
// algorithm among the records' last chains (one, usually), whatever their
// number.
//
// It returns the renewed records, in the order given; they share the
// unchanged parts of the records given, which are not changed.
func RenewTimeStamps(ctx context.Context, records []*Record, s Stamper) ([]*Record, error) {
	groups := make(map[crypto.Hash]*renewalGroup)
	var order []crypto.Hash
	keys := make([]string, len(records))
	for i, r := range records {
		if err := checkRenewable(r); err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		last := r.Chains[len(r.Chains)-1]
		h := last[0].Hash
		g := groups[h]
		if g == nil {
			g = &renewalGroup{index: make(map[string]int)}
			groups[h] = g
			order = append(order, h)
		}
		keys[i] = g.add(h, last)
	}
	renewals := make(map[crypto.Hash][]ArchiveTimeStamp, len(groups))
	for _, h := range order {
		ats, err := groups[h].stamp(ctx, h, s)
		if err != nil {
			return nil, err
		}
		renewals[h] = ats
	}
	out := make([]*Record, len(records))
	for i, r := range records {
		h := r.Chains[len(r.Chains)-1][0].Hash
		ats := renewals[h][groups[h].index[keys[i]]]
		out[i] = appendToLastChain(r, ats)
	}
	return out, nil
}

// checkRenewable checks that r has the shape renewals build on.
func checkRenewable(r *Record) error {
	if r == nil || len(r.Chains) == 0 || len(r.Chains[len(r.Chains)-1]) == 0 {
		return fmt.Errorf("%w: a record without an archive time-stamp", ErrInput)
	}
	if cms.HashOID(r.Chains[len(r.Chains)-1][0].Hash) == nil {
		return fmt.Errorf("%w: hash %v", ErrInput, r.Chains[len(r.Chains)-1][0].Hash)
	}
	return nil
}

// renewalGroup collects the distinct chains (by the hashes of their
// time-stamps) renewed under one hash algorithm.
type renewalGroup struct {
	index  map[string]int // key → position in hashes
	hashes [][][]byte     // per distinct chain: H(timeStamp) of each ArchiveTimeStamp
}

// add registers chain and returns its key.
func (g *renewalGroup) add(h crypto.Hash, chain Chain) string {
	hs := make([][]byte, len(chain))
	key := make([]byte, 0, len(chain)*h.Size())
	for k, a := range chain {
		hs[k] = sum(h, a.TimeStamp)
		key = append(key, hs[k]...)
	}
	if _, ok := g.index[string(key)]; !ok {
		g.index[string(key)] = len(g.hashes)
		g.hashes = append(g.hashes, hs)
	}
	return string(key)
}

// stamp builds the tree over the group's chains, time-stamps its root and
// returns each chain's renewing ArchiveTimeStamp. A chain's leaf is the
// hash of its one time-stamp, or the node over the hashes of all of them;
// its reduced hash tree starts with those hashes (RFC 4998 §5.2: the new
// ArchiveTimeStamp covers the previous time-stamps; Bouncy Castle looks for
// each of them in the first PartialHashtree).
func (g *renewalGroup) stamp(ctx context.Context, h crypto.Hash, s Stamper) ([]ArchiveTimeStamp, error) {
	leaves := make([]byte, 0, len(g.hashes)*h.Size())
	for _, hs := range g.hashes {
		leaves = append(leaves, nodeHash(h, hs)...)
	}
	t := newTree(h, leaves)
	token, _, err := stamp(ctx, s, h, t.root())
	if err != nil {
		return nil, err
	}
	out := make([]ArchiveTimeStamp, len(g.hashes))
	for i, hs := range g.hashes {
		path := t.path(i)
		var tr []PartialHashtree
		switch {
		case len(hs) == 1:
			tr = path
		case path == nil:
			tr = []PartialHashtree{hs}
		default:
			// The leaf's first sibling goes up one PartialHashtree: the
			// first holds the time-stamps' hashes, whose node is the leaf.
			tr = append([]PartialHashtree{hs, {path[0][1]}}, path[1:]...)
		}
		out[i] = ArchiveTimeStamp{Hash: h, Tree: tr, TimeStamp: token}
	}
	return out, nil
}

// appendToLastChain returns r with ats appended to its last chain, sharing
// the rest with r.
func appendToLastChain(r *Record, ats ArchiveTimeStamp) *Record {
	chains := slices.Clone(r.Chains)
	last := chains[len(chains)-1]
	chains[len(chains)-1] = append(last[:len(last):len(last)], ats)
	return &Record{DigestAlgorithms: slices.Clone(r.DigestAlgorithms), Chains: chains}
}

// RenewHashTree renews the hash trees of records with the hash algorithm h
// (RFC 4998 §5.2, hash-tree renewal), for instance when their algorithm
// weakens: dataHashes[i] is the hash h of the i-th record's data object,
// computed anew from the stored bytes. Each record gets a new chain whose
// first ArchiveTimeStamp covers H(dataHashes[i] || H(its
// ArchiveTimeStampSequence as DER)); the leaves of all the records form one
// hash tree, time-stamped once.
//
// It returns the renewed records, in the order given; they share the
// unchanged parts of the records given, which are not changed.
func RenewHashTree(ctx context.Context, h crypto.Hash, records []*Record, dataHashes [][]byte, s Stamper) ([]*Record, error) {
	if cms.HashOID(h) == nil {
		return nil, fmt.Errorf("%w: hash %v", ErrInput, h)
	}
	if len(records) == 0 || len(records) != len(dataHashes) {
		return nil, fmt.Errorf("%w: %d records and %d data hashes", ErrInput, len(records), len(dataHashes))
	}
	leaves := make([]byte, 0, len(records)*h.Size())
	for i, r := range records {
		if err := checkRenewable(r); err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		if len(dataHashes[i]) != h.Size() {
			return nil, fmt.Errorf("%w: data hash %d has %d bytes, want %d for %v", ErrInput, i, len(dataHashes[i]), h.Size(), h)
		}
		leaves = append(leaves, renewedLeaf(h, dataHashes[i], r.Chains)...)
	}
	t := newTree(h, leaves)
	token, _, err := stamp(ctx, s, h, t.root())
	if err != nil {
		return nil, err
	}
	out := make([]*Record, len(records))
	for i, r := range records {
		nr := &Record{DigestAlgorithms: slices.Clone(r.DigestAlgorithms), Chains: slices.Clone(r.Chains)}
		nr.addAlgorithm(h)
		nr.Chains = append(nr.Chains, Chain{{Hash: h, Tree: t.path(i), TimeStamp: token}})
		out[i] = nr
	}
	return out, nil
}

// renewedLeaf is the hash a hash-tree renewal covers for a data object
// whose hash is dataHash (RFC 4998 §5.2 steps 4-5): H(h(d) || H(atsSeq)),
// atsSeq the DER ArchiveTimeStampSequence of the chains before.
func renewedLeaf(h crypto.Hash, dataHash []byte, chains []Chain) []byte {
	seq := sum(h, EncodeSequence(chains))
	return sum(h, append(slices.Clone(dataHash), seq...))
}
