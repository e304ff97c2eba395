package ers

import (
	"crypto"
	"slices"

	"github.com/custos-project/custos/internal/cms"
)

// Record is an RFC 4998 §3 EvidenceRecord as Custos writes it:
//
//	EvidenceRecord ::= SEQUENCE {
//	   version                   INTEGER { v1(1) },
//	   digestAlgorithms          SEQUENCE OF AlgorithmIdentifier,
//	   cryptoInfos               [0] CryptoInfos OPTIONAL,     -- never written
//	   encryptionInfo            [1] EncryptionInfo OPTIONAL,  -- never written
//	   archiveTimeStampSequence  ArchiveTimeStampSequence }
//	ArchiveTimeStampSequence ::= SEQUENCE OF ArchiveTimeStampChain
//	ArchiveTimeStampChain    ::= SEQUENCE OF ArchiveTimeStamp
//
// (IMPLICIT TAGS). A record is a value: the functions of this package
// return new records or append to the ones given, never change what a
// record already holds.
type Record struct {
	// DigestAlgorithms are the hash algorithms of the ArchiveTimeStamps,
	// each once, in the order of their first use (RFC 4998 §3: the union of
	// their digestAlgorithm values). Each is written as an
	// AlgorithmIdentifier without parameters (RFC 5754 §2).
	DigestAlgorithms []crypto.Hash
	// Chains is the archiveTimeStampSequence: a new chain starts at each
	// hash-tree renewal (§5.3), a time-stamp renewal (§5.2) appends to the
	// last chain.
	Chains []Chain
}

// Chain is an RFC 4998 §5.1 ArchiveTimeStampChain: ArchiveTimeStamps of
// one hash algorithm, each renewing the time-stamps before it.
type Chain []ArchiveTimeStamp

// ArchiveTimeStamp is RFC 4998 §4.1
//
//	ArchiveTimeStamp ::= SEQUENCE {
//	   digestAlgorithm [0] AlgorithmIdentifier OPTIONAL,  -- always written
//	   attributes      [1] Attributes OPTIONAL,           -- never written
//	   reducedHashtree [2] SEQUENCE OF PartialHashtree OPTIONAL,
//	   timeStamp       ContentInfo }
type ArchiveTimeStamp struct {
	// Hash is the digestAlgorithm: the hash of the tree and of the
	// time-stamp's message imprint.
	Hash crypto.Hash
	// Tree is the reducedHashtree, from the leaves up; nil when absent (the
	// time-stamp is then over the covered hash itself).
	Tree []PartialHashtree
	// TimeStamp is the DER ContentInfo of the RFC 3161 TimeStampToken.
	TimeStamp []byte
}

// PartialHashtree is RFC 4998 §4.1 PartialHashtree ::= SEQUENCE OF OCTET
// STRING: hash values of one level of a hash tree.
type PartialHashtree [][]byte

// hashDER holds, for each hash, the DER of its OID and of its
// AlgorithmIdentifier without parameters, encoded once.
var hashDER = func() map[crypto.Hash][2][]byte {
	m := make(map[crypto.Hash][2][]byte)
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		oid := cms.MustOID(cms.HashOID(h))
		m[h] = [2][]byte{oid, cms.TLV(cms.TagSequence, oid)}
	}
	return m
}()

// oidDER is the DER OBJECT IDENTIFIER of h.
func oidDER(h crypto.Hash) []byte { return hashDER[h][0] }

// algorithmID is the DER AlgorithmIdentifier of h, without parameters
// (RFC 5754 §2).
func algorithmID(h crypto.Hash) []byte { return hashDER[h][1] }

// Encode returns the DER encoding of r. It is written in one pass into one
// buffer, every length computed first.
func (r *Record) Encode() []byte {
	n := r.contentLen()
	return r.appendBody(make([]byte, 0, cms.Size(n)), n)
}

// version1 is the DER INTEGER 1.
var version1 = []byte{cms.TagInteger, 1, 1}

func (r *Record) algsLen() int {
	n := 0
	for _, h := range r.DigestAlgorithms {
		n += len(algorithmID(h))
	}
	return n
}

func (r *Record) contentLen() int {
	return len(version1) + cms.Size(r.algsLen()) + cms.Size(sequenceLen(r.Chains))
}

func (r *Record) appendBody(dst []byte, n int) []byte {
	dst = cms.AppendTLV(dst, cms.TagSequence, n, version1)
	dst = cms.AppendTLV(dst, cms.TagSequence, r.algsLen())
	for _, h := range r.DigestAlgorithms {
		dst = append(dst, algorithmID(h)...)
	}
	return appendSequence(dst, r.Chains)
}

// EncodeSequence returns the DER ArchiveTimeStampSequence of chains: the
// bytes a hash-tree renewal hashes (RFC 4998 §5.2).
func EncodeSequence(chains []Chain) []byte {
	return appendSequence(make([]byte, 0, cms.Size(sequenceLen(chains))), chains)
}

func sequenceLen(chains []Chain) int {
	n := 0
	for _, c := range chains {
		n += cms.Size(c.contentLen())
	}
	return n
}

func appendSequence(dst []byte, chains []Chain) []byte {
	dst = cms.AppendTLV(dst, cms.TagSequence, sequenceLen(chains))
	for _, c := range chains {
		dst = cms.AppendTLV(dst, cms.TagSequence, c.contentLen())
		for i := range c {
			dst = c[i].append(dst)
		}
	}
	return dst
}

func (c Chain) contentLen() int {
	n := 0
	for i := range c {
		n += cms.Size(c[i].contentLen())
	}
	return n
}

// Context-specific constructed tags of an ArchiveTimeStamp (IMPLICIT).
const (
	tagDigestAlgorithm = 0xa0 // [0] AlgorithmIdentifier
	tagAttributes      = 0xa1 // [1] Attributes
	tagReducedHashtree = 0xa2 // [2] SEQUENCE OF PartialHashtree
)

func (a *ArchiveTimeStamp) algContentLen() int { return len(oidDER(a.Hash)) }

func (a *ArchiveTimeStamp) treeContentLen() int {
	n := 0
	for _, p := range a.Tree {
		n += cms.Size(p.contentLen())
	}
	return n
}

func (a *ArchiveTimeStamp) contentLen() int {
	n := cms.Size(a.algContentLen()) + len(a.TimeStamp)
	if a.Tree != nil {
		n += cms.Size(a.treeContentLen())
	}
	return n
}

func (a *ArchiveTimeStamp) append(dst []byte) []byte {
	dst = cms.AppendTLV(dst, cms.TagSequence, a.contentLen())
	dst = cms.AppendTLV(dst, tagDigestAlgorithm, a.algContentLen(), oidDER(a.Hash))
	if a.Tree != nil {
		dst = appendTree(dst, tagReducedHashtree, a.Tree, a.treeContentLen())
	}
	return append(dst, a.TimeStamp...)
}

func (p PartialHashtree) contentLen() int {
	n := 0
	for _, v := range p {
		n += cms.Size(len(v))
	}
	return n
}

// Clone returns a deep copy of r, sharing nothing with it.
func (r *Record) Clone() *Record {
	c := &Record{DigestAlgorithms: slices.Clone(r.DigestAlgorithms), Chains: make([]Chain, len(r.Chains))}
	for i, ch := range r.Chains {
		c.Chains[i] = make(Chain, len(ch))
		for j, a := range ch {
			c.Chains[i][j] = a.clone()
		}
	}
	return c
}

func (a ArchiveTimeStamp) clone() ArchiveTimeStamp {
	out := ArchiveTimeStamp{Hash: a.Hash, TimeStamp: slices.Clone(a.TimeStamp)}
	if a.Tree != nil {
		out.Tree = make([]PartialHashtree, len(a.Tree))
		for i, p := range a.Tree {
			out.Tree[i] = make(PartialHashtree, len(p))
			for j, v := range p {
				out.Tree[i][j] = slices.Clone(v)
			}
		}
	}
	return out
}

// addAlgorithm appends h to r.DigestAlgorithms unless it is there.
func (r *Record) addAlgorithm(h crypto.Hash) {
	if !slices.Contains(r.DigestAlgorithms, h) {
		r.DigestAlgorithms = append(r.DigestAlgorithms, h)
	}
}

// EncodeTree returns the DER SEQUENCE OF PartialHashtree of tree: an
// item's reduced hash tree alone, for a store that keeps each item's tree
// and its batch's token apart (about 34 bytes a level instead of the whole
// record) and assembles the ArchiveTimeStamp when it serves it. It is the
// reducedHashtree field with the universal SEQUENCE tag.
func EncodeTree(tree []PartialHashtree) []byte {
	a := ArchiveTimeStamp{Tree: tree}
	n := a.treeContentLen()
	return appendTree(make([]byte, 0, cms.Size(n)), cms.TagSequence, tree, n)
}

// appendTree appends the SEQUENCE OF PartialHashtree tree, of n bytes of
// contents, under tag.
func appendTree(dst []byte, tag byte, tree []PartialHashtree, n int) []byte {
	dst = cms.AppendTLV(dst, tag, n)
	for _, p := range tree {
		dst = cms.AppendTLV(dst, cms.TagSequence, p.contentLen())
		for _, v := range p {
			dst = cms.AppendTLV(dst, cms.TagOctetString, len(v), v)
		}
	}
	return dst
}

// EncodeArchiveTimeStamp returns the DER of one ArchiveTimeStamp: a
// time-stamp renewal shared by every record of a batch, stored once and
// appended to each record's chain when it is served.
func EncodeArchiveTimeStamp(a ArchiveTimeStamp) []byte {
	return a.append(make([]byte, 0, cms.Size(a.contentLen())))
}
