package ers

import (
	"crypto"
	"encoding/asn1"
	"fmt"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/custos-project/custos/internal/cms"
)

// The limits of Decode. A record that Custos writes stays far below them:
// a chain grows by one ArchiveTimeStamp per time-stamp renewal (every few
// years), the sequence by one chain per hash-tree renewal, and a reduced
// hash tree of 2^64 items has 64 levels.
const (
	MaxSize          = 4 << 20 // bytes of an encoded record
	MaxChains        = 256     // chains in the archiveTimeStampSequence
	MaxChainLen      = 1024    // ArchiveTimeStamps in a chain
	MaxTreeDepth     = 64      // PartialHashtrees in a reducedHashtree
	MaxPartialHashes = 1024    // hashes in a PartialHashtree
)

// Decode parses the DER of an RFC 4998 EvidenceRecord strictly: DER only
// (cryptobyte refuses indefinite and non-minimal lengths), version 1, no
// trailing bytes, every digest algorithm SHA-256, SHA-384 or SHA-512
// without parameters, digestAlgorithm present in every ArchiveTimeStamp,
// hashes of its size, no cryptoInfos, encryptionInfo or attributes, and the
// limits above. Decode then Encode gives back the same bytes.
//
// Decode checks the form only: Verify checks what the record proves. The
// time-stamp token is kept as the DER element found, unparsed. The record's
// hashes and tokens share der's memory.
func Decode(der []byte) (*Record, error) {
	if len(der) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(der), MaxSize)
	}
	in := cryptobyte.String(der)
	var body cryptobyte.String
	if !in.ReadASN1(&body, cbasn1.SEQUENCE) {
		return nil, fmt.Errorf("%w: not a DER SEQUENCE", ErrMalformed)
	}
	if !in.Empty() {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(in))
	}
	var version int64
	if !body.ReadASN1Integer(&version) {
		return nil, fmt.Errorf("%w: version", ErrMalformed)
	}
	if version != 1 {
		return nil, fmt.Errorf("%w: version %d, want 1", ErrUnsupported, version)
	}
	r := &Record{}
	var err error
	if r.DigestAlgorithms, err = decodeAlgorithms(&body); err != nil {
		return nil, err
	}
	if body.PeekASN1Tag(cbasn1.Tag(0).ContextSpecific().Constructed()) || body.PeekASN1Tag(cbasn1.Tag(1).ContextSpecific().Constructed()) {
		return nil, fmt.Errorf("%w: cryptoInfos or encryptionInfo", ErrUnsupported)
	}
	var seq cryptobyte.String
	if !body.ReadASN1(&seq, cbasn1.SEQUENCE) || !body.Empty() {
		return nil, fmt.Errorf("%w: archiveTimeStampSequence", ErrMalformed)
	}
	if r.Chains, err = decodeSequence(seq); err != nil {
		return nil, err
	}
	return r, nil
}

func decodeAlgorithms(body *cryptobyte.String) ([]crypto.Hash, error) {
	var algs cryptobyte.String
	if !body.ReadASN1(&algs, cbasn1.SEQUENCE) {
		return nil, fmt.Errorf("%w: digestAlgorithms", ErrMalformed)
	}
	var out []crypto.Hash
	for !algs.Empty() {
		var ai cryptobyte.String
		if !algs.ReadASN1(&ai, cbasn1.SEQUENCE) {
			return nil, fmt.Errorf("%w: digestAlgorithms", ErrMalformed)
		}
		h, err := decodeAlgorithm(ai)
		if err != nil {
			return nil, err
		}
		if len(out) == 3 {
			return nil, fmt.Errorf("%w: more than 3 digestAlgorithms", ErrTooLarge)
		}
		out = append(out, h)
	}
	if out == nil {
		return nil, fmt.Errorf("%w: no digestAlgorithms", ErrMalformed)
	}
	return out, nil
}

// decodeAlgorithm reads the contents of an AlgorithmIdentifier: a SHA-2
// OID and no parameters.
func decodeAlgorithm(ai cryptobyte.String) (crypto.Hash, error) {
	var oid asn1.ObjectIdentifier
	if !ai.ReadASN1ObjectIdentifier(&oid) {
		return 0, fmt.Errorf("%w: AlgorithmIdentifier", ErrMalformed)
	}
	if !ai.Empty() {
		return 0, fmt.Errorf("%w: digest algorithm %v with parameters", ErrUnsupported, oid)
	}
	h := cms.HashFunc(oid)
	if h == 0 {
		return 0, fmt.Errorf("%w: digest algorithm %v", ErrUnsupported, oid)
	}
	return h, nil
}

func decodeSequence(seq cryptobyte.String) ([]Chain, error) {
	var chains []Chain
	for !seq.Empty() {
		if len(chains) == MaxChains {
			return nil, fmt.Errorf("%w: more than %d chains", ErrTooLarge, MaxChains)
		}
		var c cryptobyte.String
		if !seq.ReadASN1(&c, cbasn1.SEQUENCE) {
			return nil, fmt.Errorf("%w: ArchiveTimeStampChain", ErrMalformed)
		}
		chain, err := decodeChain(c)
		if err != nil {
			return nil, err
		}
		chains = append(chains, chain)
	}
	if chains == nil {
		return nil, fmt.Errorf("%w: empty archiveTimeStampSequence", ErrMalformed)
	}
	return chains, nil
}

func decodeChain(c cryptobyte.String) (Chain, error) {
	var chain Chain
	for !c.Empty() {
		if len(chain) == MaxChainLen {
			return nil, fmt.Errorf("%w: more than %d archive time-stamps in a chain", ErrTooLarge, MaxChainLen)
		}
		var a cryptobyte.String
		if !c.ReadASN1(&a, cbasn1.SEQUENCE) {
			return nil, fmt.Errorf("%w: ArchiveTimeStamp", ErrMalformed)
		}
		ats, err := decodeArchiveTimeStamp(a)
		if err != nil {
			return nil, err
		}
		chain = append(chain, ats)
	}
	if chain == nil {
		return nil, fmt.Errorf("%w: empty ArchiveTimeStampChain", ErrMalformed)
	}
	return chain, nil
}

func decodeArchiveTimeStamp(a cryptobyte.String) (ArchiveTimeStamp, error) {
	var ats ArchiveTimeStamp
	var ai cryptobyte.String
	if !a.ReadASN1(&ai, cbasn1.Tag(0).ContextSpecific().Constructed()) {
		return ats, fmt.Errorf("%w: ArchiveTimeStamp without digestAlgorithm", ErrUnsupported)
	}
	var err error
	if ats.Hash, err = decodeAlgorithm(ai); err != nil {
		return ats, err
	}
	if a.PeekASN1Tag(cbasn1.Tag(1).ContextSpecific().Constructed()) {
		return ats, fmt.Errorf("%w: ArchiveTimeStamp attributes", ErrUnsupported)
	}
	var tree cryptobyte.String
	var hasTree bool
	if !a.ReadOptionalASN1(&tree, &hasTree, cbasn1.Tag(2).ContextSpecific().Constructed()) {
		return ats, fmt.Errorf("%w: reducedHashtree", ErrMalformed)
	}
	if hasTree {
		if ats.Tree, err = decodeTree(tree, ats.Hash.Size()); err != nil {
			return ats, err
		}
	}
	var ts cryptobyte.String
	if !a.ReadASN1Element(&ts, cbasn1.SEQUENCE) || !a.Empty() {
		return ats, fmt.Errorf("%w: timeStamp", ErrMalformed)
	}
	ats.TimeStamp = ts
	return ats, nil
}

func decodeTree(tree cryptobyte.String, size int) ([]PartialHashtree, error) {
	var out []PartialHashtree
	for !tree.Empty() {
		if len(out) == MaxTreeDepth {
			return nil, fmt.Errorf("%w: more than %d partial hash trees", ErrTooLarge, MaxTreeDepth)
		}
		var p cryptobyte.String
		if !tree.ReadASN1(&p, cbasn1.SEQUENCE) {
			return nil, fmt.Errorf("%w: PartialHashtree", ErrMalformed)
		}
		var pht PartialHashtree
		for !p.Empty() {
			if len(pht) == MaxPartialHashes {
				return nil, fmt.Errorf("%w: more than %d hashes in a partial hash tree", ErrTooLarge, MaxPartialHashes)
			}
			var v cryptobyte.String
			if !p.ReadASN1(&v, cbasn1.OCTET_STRING) {
				return nil, fmt.Errorf("%w: PartialHashtree value", ErrMalformed)
			}
			if len(v) != size {
				return nil, fmt.Errorf("%w: hash of %d bytes in the reduced hash tree, want %d", ErrMalformed, len(v), size)
			}
			pht = append(pht, v)
		}
		if pht == nil {
			return nil, fmt.Errorf("%w: empty PartialHashtree", ErrMalformed)
		}
		out = append(out, pht)
	}
	if out == nil {
		return nil, fmt.Errorf("%w: empty reducedHashtree", ErrMalformed)
	}
	return out, nil
}

// DecodeTree decodes what EncodeTree wrote, for hashes h, as strictly as
// Decode reads a reducedHashtree (no trailing bytes, hashes of h's size,
// the same limits). The tree shares der's memory.
func DecodeTree(der []byte, h crypto.Hash) ([]PartialHashtree, error) {
	if cms.HashOID(h) == nil {
		return nil, fmt.Errorf("%w: hash %v", ErrUnsupported, h)
	}
	in := cryptobyte.String(der)
	var tree cryptobyte.String
	if !in.ReadASN1(&tree, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, fmt.Errorf("%w: not one DER SEQUENCE OF PartialHashtree", ErrMalformed)
	}
	return decodeTree(tree, h.Size())
}

// DecodeArchiveTimeStamp decodes what EncodeArchiveTimeStamp wrote, as
// strictly as Decode reads an ArchiveTimeStamp inside a record (no
// trailing bytes, the same algorithms and limits). It shares der's memory.
func DecodeArchiveTimeStamp(der []byte) (ArchiveTimeStamp, error) {
	in := cryptobyte.String(der)
	var a cryptobyte.String
	if !in.ReadASN1(&a, cbasn1.SEQUENCE) || !in.Empty() {
		return ArchiveTimeStamp{}, fmt.Errorf("%w: not one DER ArchiveTimeStamp", ErrMalformed)
	}
	return decodeArchiveTimeStamp(a)
}

// ParseHash returns the hash algorithm named s ("SHA-256", "SHA-384",
// "SHA-512", as crypto.Hash spells them; case and the dash do not
// matter), or false if s names none that an evidence record may use.
func ParseHash(s string) (crypto.Hash, bool) {
	for h := range hashDER {
		if normalizeHashName(h.String()) == normalizeHashName(s) {
			return h, true
		}
	}
	return 0, false
}

func normalizeHashName(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, "-", ""))
}
