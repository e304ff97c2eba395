package ers

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"time"

	"github.com/custos-project/custos/internal/cms"
)

// Stamper asks a TSA for an RFC 3161 time-stamp over digest, a hash h, and
// returns the whole DER TimeStampResp (RFC 3161 §2.4.2): for the built-in
// TSA or a notary.Client, the Reply of the notary.Token that Stamp returns.
// The caller decides which TSA; ers checks that the token's signature
// verifies and that it stamps digest, and keeps only the token.
type Stamper func(ctx context.Context, h crypto.Hash, digest []byte) (reply []byte, err error)

// stamp time-stamps digest and returns the token (a DER ContentInfo) and
// its genTime, after checking that it is a DER time-stamp token whose
// message imprint is h and digest: the TSA answered what was asked. Its
// signature and whether the TSA is trusted are Verify's questions, asked
// with the verifier's roots (a token need not embed its certificates).
func stamp(ctx context.Context, s Stamper, h crypto.Hash, digest []byte) (token []byte, at time.Time, err error) {
	reply, err := s(ctx, h, digest)
	if err != nil {
		return nil, at, fmt.Errorf("ers: time-stamp: %w", err)
	}
	if token, err = cms.DecodeReply(reply); err != nil {
		return nil, at, fmt.Errorf("%w: %w", ErrBadToken, err)
	}
	sd, err := cms.Decode(token)
	if err != nil {
		return nil, at, fmt.Errorf("%w: %w", ErrBadToken, err)
	}
	info, err := cms.DecodeTSTInfo(sd.Content)
	if err != nil {
		return nil, at, fmt.Errorf("%w: TSTInfo: %w", ErrBadToken, err)
	}
	mi := info.MessageImprint
	if mi.Hash() != h || !bytes.Equal(mi.HashedMessage, digest) {
		return nil, at, fmt.Errorf("%w: the TSA stamped %v %x, asked %v %x", ErrMismatch, mi.Hash(), mi.HashedMessage, h, digest)
	}
	return token, info.Time, nil
}

// Batch is one hash tree over the hashes of many data objects and the one
// time-stamp over its root (RFC 4998 §4.2): the first ArchiveTimeStamp of
// each object's Record. A Batch is read-only once built and safe for
// concurrent use.
type Batch struct {
	tree  *tree
	token []byte
	time  time.Time
}

// Build hashes a binary tree over hashes (each the hash h of one data
// object, in any order; equal hashes are allowed) and time-stamps its root
// with one call of s. It costs len(hashes)-1 hashes of two hashes each, and
// memory for about twice the hashes. h is SHA-256, SHA-384 or SHA-512.
func Build(ctx context.Context, h crypto.Hash, hashes [][]byte, s Stamper) (*Batch, error) {
	if cms.HashOID(h) == nil {
		return nil, fmt.Errorf("%w: hash %v", ErrInput, h)
	}
	if len(hashes) == 0 {
		return nil, fmt.Errorf("%w: no hashes", ErrInput)
	}
	leaves := make([]byte, 0, len(hashes)*h.Size())
	for i, d := range hashes {
		if len(d) != h.Size() {
			return nil, fmt.Errorf("%w: hash %d has %d bytes, want %d for %v", ErrInput, i, len(d), h.Size(), h)
		}
		leaves = append(leaves, d...)
	}
	t := newTree(h, leaves)
	token, at, err := stamp(ctx, s, h, t.root())
	if err != nil {
		return nil, err
	}
	return &Batch{tree: t, token: token, time: at}, nil
}

// Len is the number of data objects of the batch.
func (b *Batch) Len() int { return b.tree.len() }

// Hash is the batch's hash algorithm.
func (b *Batch) Hash() crypto.Hash { return b.tree.h }

// Root is the time-stamped root of the tree.
func (b *Batch) Root() []byte { return b.tree.root() }

// Token is the DER TimeStampToken over the root.
func (b *Batch) Token() []byte { return b.token }

// Time is the token's genTime.
func (b *Batch) Time() time.Time { return b.time }

// ArchiveTimeStamp returns the ArchiveTimeStamp of the i-th data object:
// its reduced hash tree and the batch's token, both shared with the batch.
func (b *Batch) ArchiveTimeStamp(i int) ArchiveTimeStamp {
	return ArchiveTimeStamp{Hash: b.tree.h, Tree: b.tree.path(i), TimeStamp: b.token}
}

// Record returns the EvidenceRecord of the i-th data object (0 ≤ i <
// Len()), which shares memory with the batch: Clone it to change it.
func (b *Batch) Record(i int) *Record {
	return &Record{DigestAlgorithms: []crypto.Hash{b.tree.h}, Chains: []Chain{{b.ArchiveTimeStamp(i)}}}
}

// AppendRecord appends the DER EvidenceRecord of the i-th data object to
// dst: the bytes of Record(i).Encode(), written without building the
// Record, so that it allocates nothing beyond dst's growth.
func (b *Batch) AppendRecord(dst []byte, i int) []byte {
	var stack [MaxTreeDepth][]byte
	t := b.tree
	sibs := t.siblings(i, stack[:0])
	hashLen := cms.Size(t.size)
	treeLen := 0
	if len(sibs) > 0 {
		treeLen = cms.Size(2*hashLen) + (len(sibs)-1)*cms.Size(hashLen)
	}
	oid, alg := oidDER(t.h), algorithmID(t.h)
	atsLen := cms.Size(len(oid)) + len(b.token)
	if treeLen > 0 {
		atsLen += cms.Size(treeLen)
	}
	chainLen := cms.Size(atsLen)
	seqLen := cms.Size(chainLen)
	dst = cms.AppendTLV(dst, cms.TagSequence, len(version1)+cms.Size(len(alg))+cms.Size(seqLen), version1)
	dst = cms.AppendTLV(dst, cms.TagSequence, len(alg), alg)
	dst = cms.AppendTLV(dst, cms.TagSequence, seqLen)
	dst = cms.AppendTLV(dst, cms.TagSequence, chainLen)
	dst = cms.AppendTLV(dst, cms.TagSequence, atsLen)
	dst = cms.AppendTLV(dst, tagDigestAlgorithm, len(oid), oid)
	if treeLen > 0 {
		dst = cms.AppendTLV(dst, tagReducedHashtree, treeLen)
		dst = cms.AppendTLV(dst, cms.TagSequence, 2*hashLen)
		dst = cms.AppendTLV(dst, cms.TagOctetString, t.size, t.leaf(i))
		for k, s := range sibs {
			if k > 0 {
				dst = cms.AppendTLV(dst, cms.TagSequence, hashLen)
			}
			dst = cms.AppendTLV(dst, cms.TagOctetString, t.size, s)
		}
	}
	return append(dst, b.token...)
}
