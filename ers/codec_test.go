package ers

import (
	"bytes"
	"crypto"
	"errors"
	"strings"
	"testing"

	"github.com/custos-project/custos/internal/cms"
)

// fakeToken stands for a time-stamp token where only the codec is tested:
// Decode keeps the timeStamp as the DER element it finds.
var fakeToken = []byte{cms.TagSequence, 0}

// der builds an EvidenceRecord from parts: the digestAlgorithms contents,
// the extra fields after them and the archiveTimeStampSequence contents.
func der(version byte, algs, extra, seq []byte) []byte {
	return cms.TLV(cms.TagSequence, []byte{cms.TagInteger, 1, version}, cms.TLV(cms.TagSequence, algs), extra, cms.TLV(cms.TagSequence, seq))
}

func chainOf(ats ...[]byte) []byte { return cms.TLV(cms.TagSequence, ats...) }

func atsOf(parts ...[]byte) []byte { return cms.TLV(cms.TagSequence, parts...) }

var (
	sha256Alg  = algorithmID(crypto.SHA256)
	sha256Tag  = cms.TLV(tagDigestAlgorithm, cms.MustOID(cms.HashOID(crypto.SHA256)))
	hash32     = cms.TLV(cms.TagOctetString, make([]byte, 32))
	validTree  = cms.TLV(tagReducedHashtree, cms.TLV(cms.TagSequence, hash32, hash32))
	validChain = chainOf(atsOf(sha256Tag, validTree, fakeToken))
)

func TestDecodeRoundTrip(t *testing.T) {
	for name, b := range map[string][]byte{
		"tree":    der(1, sha256Alg, nil, validChain),
		"no tree": der(1, sha256Alg, nil, chainOf(atsOf(sha256Tag, fakeToken))),
		"two":     der(1, append(sha256Alg, algorithmID(crypto.SHA512)...), nil, append(validChain, chainOf(atsOf(cms.TLV(tagDigestAlgorithm, cms.MustOID(cms.HashOID(crypto.SHA512))), fakeToken))...)),
	} {
		r, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: Decode() = %v", name, err)
		}
		if got := r.Encode(); !bytes.Equal(got, b) {
			t.Errorf("%s: Encode(Decode(x)) = %x, want %x", name, got, b)
		}
	}
}

func TestDecodeStrict(t *testing.T) {
	valid := der(1, sha256Alg, nil, validChain)
	nullAlg := cms.AlgorithmID(cms.HashOID(crypto.SHA256), true)
	many := func(n int, elem []byte) []byte { return bytes.Repeat(elem, n) }
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"trailing byte", append(bytes.Clone(valid), 0), ErrMalformed},
		{"not a sequence", append([]byte{cms.TagSet}, valid[1:]...), ErrMalformed},
		{"indefinite length", append([]byte{cms.TagSequence, 0x80}, append(valid[2:], 0, 0)...), ErrMalformed},
		{"long form for a short length", append([]byte{cms.TagSequence, 0x81}, valid[1:]...), ErrMalformed},
		{"version 2", der(2, sha256Alg, nil, validChain), ErrUnsupported},
		{"no algorithms", der(1, nil, nil, validChain), ErrMalformed},
		{"SHA-1", der(1, cms.AlgorithmID([]int{1, 3, 14, 3, 2, 26}, false), nil, validChain), ErrUnsupported},
		{"NULL parameters", der(1, nullAlg, nil, validChain), ErrUnsupported},
		{"NULL parameters in the archive time-stamp", der(1, sha256Alg, nil, chainOf(atsOf(cms.TLV(tagDigestAlgorithm, nullAlg[2:]), fakeToken))), ErrUnsupported},
		{"cryptoInfos", der(1, sha256Alg, cms.TLV(cms.TagContext0, cms.TLV(cms.TagSequence)), validChain), ErrUnsupported},
		{"encryptionInfo", der(1, sha256Alg, cms.TLV(cms.TagContext1, cms.TLV(cms.TagSequence)), validChain), ErrUnsupported},
		{"no chain", der(1, sha256Alg, nil, nil), ErrMalformed},
		{"empty chain", der(1, sha256Alg, nil, chainOf()), ErrMalformed},
		{"no digestAlgorithm", der(1, sha256Alg, nil, chainOf(atsOf(validTree, fakeToken))), ErrUnsupported},
		{"attributes", der(1, sha256Alg, nil, chainOf(atsOf(sha256Tag, cms.TLV(tagAttributes), validTree, fakeToken))), ErrUnsupported},
		{"empty tree", der(1, sha256Alg, nil, chainOf(atsOf(sha256Tag, cms.TLV(tagReducedHashtree), fakeToken))), ErrMalformed},
		{"empty partial tree", der(1, sha256Alg, nil, chainOf(atsOf(sha256Tag, cms.TLV(tagReducedHashtree, cms.TLV(cms.TagSequence)), fakeToken))), ErrMalformed},
		{"short hash", der(1, sha256Alg, nil, chainOf(atsOf(sha256Tag, cms.TLV(tagReducedHashtree, cms.TLV(cms.TagSequence, cms.TLV(cms.TagOctetString, make([]byte, 31)))), fakeToken))), ErrMalformed},
		{"no time-stamp", der(1, sha256Alg, nil, chainOf(atsOf(sha256Tag, validTree))), ErrMalformed},
		{"time-stamp not a sequence", der(1, sha256Alg, nil, chainOf(atsOf(sha256Tag, validTree, []byte{cms.TagOctetString, 0}))), ErrMalformed},
		{"two time-stamps", der(1, sha256Alg, nil, chainOf(atsOf(sha256Tag, validTree, fakeToken, fakeToken))), ErrMalformed},
		{"four algorithms", der(1, many(4, sha256Alg), nil, validChain), ErrTooLarge},
		{"too many chains", der(1, sha256Alg, nil, many(MaxChains+1, validChain)), ErrTooLarge},
		{"too long a chain", der(1, sha256Alg, nil, chainOf(many(MaxChainLen+1, atsOf(sha256Tag, fakeToken)))), ErrTooLarge},
		{"too deep a tree", der(1, sha256Alg, nil, chainOf(atsOf(sha256Tag, cms.TLV(tagReducedHashtree, many(MaxTreeDepth+1, cms.TLV(cms.TagSequence, hash32))), fakeToken))), ErrTooLarge},
		{"too wide a tree", der(1, sha256Alg, nil, chainOf(atsOf(sha256Tag, cms.TLV(tagReducedHashtree, cms.TLV(cms.TagSequence, many(MaxPartialHashes+1, hash32))), fakeToken))), ErrTooLarge},
		{"too large", make([]byte, MaxSize+1), ErrTooLarge},
	}
	for _, c := range cases {
		if _, err := Decode(c.in); !errors.Is(err, c.want) {
			t.Errorf("Decode(%s) = %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := Decode(valid); err != nil {
		t.Fatalf("Decode(valid) = %v", err)
	}
}

// fuzzSeeds adds to f a synthetic record and records built and renewed by
// a real TSA; it returns the PKI of the latter.
func fuzzSeeds(f *testing.F) *testPKI {
	f.Add(der(1, sha256Alg, nil, validChain))
	p := newTestPKI(f)
	_, stages, _ := renewedRecords(f, p, false)
	for _, recs := range stages {
		f.Add(recs[0].Encode())
	}
	// The committed vectors: n-ary trees among them.
	_, files := readRenewalVectors(f, renewalVectorsDir)
	for name, b := range files {
		if strings.HasSuffix(name, ".der") {
			f.Add(b)
		}
	}
	return p
}

// FuzzDecode checks that Decode never panics, that whatever it accepts
// encodes back to the same bytes, and that Verify never panics on it.
func FuzzDecode(f *testing.F) {
	p := fuzzSeeds(f)
	data := hashes([]byte("evidence item 0"))
	data[crypto.SHA384] = sum(crypto.SHA384, []byte("evidence item 0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Decode(b)
		if err != nil {
			if r != nil {
				t.Fatalf("Decode() = %v and a record", err)
			}
			return
		}
		if got := r.Encode(); !bytes.Equal(got, b) {
			t.Fatalf("Encode(Decode(x)) = %x, want x = %x", got, b)
		}
		_, _ = Verify(r, data, VerifyOptions{Roots: p.roots})
		// The record's own first hash as the data's, so that checkDataHash
		// passes and rootOf reads whatever tree was decoded.
		if a := r.Chains[0][0]; a.Tree != nil {
			_, _ = Verify(r, Hashes{a.Hash: a.Tree[0][0]}, VerifyOptions{Roots: p.roots})
		}
	})
}

func TestTreeCodec(t *testing.T) {
	p := newTestPKI(t)
	x := p.tsa(t, "TSA A", t0)
	b := build(t, x, items(1000))
	for _, i := range []int{0, 1, 500, 999} {
		a := b.ArchiveTimeStamp(i)
		der := EncodeTree(a.Tree)
		tree, err := DecodeTree(der, crypto.SHA256)
		if err != nil {
			t.Fatalf("DecodeTree(EncodeTree(tree %d)) = %v", i, err)
		}
		r := &Record{DigestAlgorithms: []crypto.Hash{crypto.SHA256}, Chains: []Chain{{{Hash: crypto.SHA256, Tree: tree, TimeStamp: b.Token()}}}}
		if !bytes.Equal(r.Encode(), b.AppendRecord(nil, i)) {
			t.Fatalf("a record assembled from the stored tree %d and the batch's token differs from AppendRecord", i)
		}
	}
	for name, in := range map[string][]byte{
		"trailing":     append(EncodeTree(b.ArchiveTimeStamp(0).Tree), 0),
		"empty":        cms.TLV(cms.TagSequence),
		"SHA-512 size": EncodeTree(b.ArchiveTimeStamp(0).Tree),
	} {
		h := crypto.SHA256
		if name == "SHA-512 size" {
			h = crypto.SHA512
		}
		if _, err := DecodeTree(in, h); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeTree(%s) = %v, want ErrMalformed", name, err)
		}
	}
}
