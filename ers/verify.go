package ers

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/custos-project/custos/internal/rfc3161"
)

// Hashes are the hashes of one data object, by algorithm: Verify needs one
// for each algorithm of the record's DigestAlgorithms.
type Hashes map[crypto.Hash][]byte

// VerifyOptions are the trust anchors and the time of a verification.
type VerifyOptions struct {
	// Roots are the trusted roots of the TSAs. Required.
	Roots *x509.CertPool
	// Intermediates are certificates that may complete a TSA's chain
	// besides those its tokens embed.
	Intermediates []*x509.Certificate
	// Now, when set, is the time at which the last time-stamp must still
	// be valid (its signer's chain verifies at Now): a record that fails
	// only this needed renewal before Now. Zero: each time-stamp is
	// checked at the time it had to be valid, the last one at its own
	// genTime, so that a record verifies years later.
	Now time.Time
}

// Stamp describes one verified ArchiveTimeStamp.
type Stamp struct {
	Chain, Index int         // position in the record, from 0
	Hash         crypto.Hash // its digestAlgorithm
	Time         time.Time   // the token's genTime
	TSA          string      // the subject common name of the token's signer
}

// Result is what a verified record proves.
type Result struct {
	// Time is the genTime of the first time-stamp: the data object existed
	// then.
	Time time.Time
	// Stamps are the record's ArchiveTimeStamps in order, chain by chain.
	Stamps []Stamp
}

// Verify checks that r proves the existence of the data object whose
// hashes are data, in this order (RFC 4998 §5.3; docs/evidence-records.md
// lists every rule):
//
//  1. checkStructure: the record has a chain and every chain an
//     ArchiveTimeStamp; all ArchiveTimeStamps of a chain have one hash
//     algorithm; DigestAlgorithms are exactly those of the chains, once
//     each; every value of a reduced hash tree is a hash of its size, and
//     neither a tree nor a PartialHashtree is empty; data holds a hash of the right size for
//     each.
//  2. for each chain i, with its algorithm H, the covered hash is h(d)
//     for the first chain, H(h(d) || H(DER of the chains before)) for the
//     next ones (hash-tree renewal, §5.2);
//  3. checkDataHash: the first ArchiveTimeStamp's reduced hash tree has
//     the covered hash in its first PartialHashtree (without a tree, the
//     time-stamp is over the covered hash);
//  4. checkRenewal: every later ArchiveTimeStamp j of the chain has in its
//     first PartialHashtree H(timeStamp) of every ArchiveTimeStamp before
//     it in the chain (time-stamp renewal, §5.2); without a tree, it is
//     the second and stamps the first's H(timeStamp);
//  5. checkToken, checkRoot: each token is a DER time-stamp token whose
//     signature verifies, and its message imprint is the root of the
//     reduced hash tree (rootOf, RFC 4998 §4.3 step 3, any arity), of
//     algorithm H;
//  6. checkToken: its signer chains to opts.Roots, with the critical
//     timeStamping usage, at its own genTime;
//  7. checkValidity: each token was still valid when the next one, which
//     renews it, was issued (its chain verifies at the next genTime, and
//     genTimes do not go back), and the last one at opts.Now if set.
//
// A failure is a *VerifyError naming the step and the ArchiveTimeStamp,
// wrapping ErrMalformed, ErrMissingHash, ErrMismatch, ErrBadToken or
// ErrUntrusted.
func Verify(r *Record, data Hashes, opts VerifyOptions) (*Result, error) {
	if err := checkStructure(r, data); err != nil {
		return nil, err
	}
	res := &Result{}
	var prev *verifiedToken
	for i, chain := range r.Chains {
		h := chain[0].Hash
		covered := data[h]
		if i > 0 {
			covered = renewedLeaf(h, data[h], r.Chains[:i])
		}
		tsHashes := make([][]byte, len(chain)) // H(timeStamp) of each, for the renewals
		for j, a := range chain {
			tsHashes[j] = sum(h, a.TimeStamp)
		}
		for j := range chain {
			tok, err := checkArchiveTimeStamp(chain, tsHashes, i, j, covered, opts)
			if err != nil {
				return nil, err
			}
			if err := checkValidity(prev, tok, opts); err != nil {
				return nil, err
			}
			res.Stamps = append(res.Stamps, Stamp{Chain: i, Index: j, Hash: h, Time: tok.ts.Time, TSA: tok.signer.Subject.CommonName})
			prev = tok
		}
	}
	if !opts.Now.IsZero() {
		if err := checkAt(prev, opts.Now, opts); err != nil {
			return nil, err
		}
	}
	res.Time = res.Stamps[0].Time
	return res, nil
}

func fail(step string, chain, index int, err error, want, got string) error {
	return &VerifyError{Step: step, Chain: chain, Index: index, Err: err, Want: want, Got: got}
}

// checkStructure is step 1.
func checkStructure(r *Record, data Hashes) error {
	if r == nil || len(r.Chains) == 0 {
		return fail("checkStructure", -1, 0, fmt.Errorf("%w: no archive time-stamp chain", ErrMalformed), "", "")
	}
	var used []crypto.Hash
	for i, chain := range r.Chains {
		if len(chain) == 0 {
			return fail("checkStructure", i, 0, fmt.Errorf("%w: empty chain", ErrMalformed), "", "")
		}
		for j, a := range chain {
			if a.Hash != chain[0].Hash {
				return fail("checkStructure", i, j, fmt.Errorf("%w: digest algorithm differs within the chain", ErrMalformed), chain[0].Hash.String(), a.Hash.String())
			}
		}
		h := chain[0].Hash
		if err := checkTreeSizes(chain, i); err != nil {
			return err
		}
		if !slices.Contains(used, h) {
			used = append(used, h)
		}
		if d, ok := data[h]; !ok || len(d) != h.Size() {
			return fail("checkStructure", i, 0, fmt.Errorf("%w: %v", ErrMissingHash, h), fmt.Sprintf("a %d-byte %v hash", h.Size(), h), fmt.Sprintf("%d bytes", len(d)))
		}
	}
	got := slices.Clone(r.DigestAlgorithms)
	slices.Sort(got)
	slices.Sort(used)
	if !slices.Equal(got, used) {
		return fail("checkStructure", -1, 0, fmt.Errorf("%w: digestAlgorithms are not those of the archive time-stamps", ErrMalformed), fmt.Sprint(used), fmt.Sprint(got))
	}
	return nil
}

// checkTreeSizes checks that every value of every reduced hash tree of
// chain i is a hash of its algorithm's size: Decode refuses any other, and
// a record built in memory must not have concatenations read two ways
// (RFC 4998 §4.3 concatenates a list's values without lengths).
func checkTreeSizes(chain Chain, i int) error {
	for j, a := range chain {
		for _, p := range a.Tree {
			for _, v := range p {
				if len(v) != a.Hash.Size() {
					return fail("checkStructure", i, j, fmt.Errorf("%w: a hash of %d bytes in the reduced hash tree", ErrMalformed, len(v)),
						fmt.Sprintf("%d bytes", a.Hash.Size()), fmt.Sprintf("%d bytes", len(v)))
				}
			}
		}
		if a.Tree != nil && (len(a.Tree) == 0 || slices.ContainsFunc(a.Tree, func(p PartialHashtree) bool { return len(p) == 0 })) {
			return fail("checkStructure", i, j, fmt.Errorf("%w: an empty reduced hash tree or PartialHashtree", ErrMalformed), "", "")
		}
	}
	return nil
}

// verifiedToken is a checked token with its signer.
type verifiedToken struct {
	chain, index int
	ts           *timestamp.Timestamp
	signer       *x509.Certificate
}

// checkArchiveTimeStamp runs steps 3 to 6 on the j-th ArchiveTimeStamp
// of chain i, which covers covered (its first) or the chain's earlier
// time-stamps (the later ones).
func checkArchiveTimeStamp(chain Chain, tsHashes [][]byte, i, j int, covered []byte, opts VerifyOptions) (*verifiedToken, error) {
	a := chain[j]
	var root []byte
	if j == 0 {
		if err := checkDataHash(a, i, covered); err != nil {
			return nil, err
		}
		root = covered
	} else {
		if err := checkRenewal(a, tsHashes[:j], i, j); err != nil {
			return nil, err
		}
		root = tsHashes[0]
	}
	if a.Tree != nil {
		root = rootOf(a.Hash, a.Tree)
	}
	return checkToken(a, i, j, root, opts)
}

// checkDataHash is step 3.
func checkDataHash(a ArchiveTimeStamp, i int, covered []byte) error {
	if a.Tree != nil && !containsHash(a.Tree[0], covered) {
		return fail("checkDataHash", i, 0, fmt.Errorf("%w: the data object's hash is not in the reduced hash tree", ErrMismatch), hex.EncodeToString(covered), "absent")
	}
	return nil
}

// checkRenewal is step 4.
// earlier are H(timeStamp) of the ArchiveTimeStamps before a in its chain.
func checkRenewal(a ArchiveTimeStamp, earlier [][]byte, i, j int) error {
	if a.Tree == nil {
		if j != 1 {
			return fail("checkRenewal", i, j, fmt.Errorf("%w: a renewal of %d time-stamps without a reduced hash tree", ErrMismatch, j), "", "")
		}
		return nil // the root is H(timeStamp of the first), checked by checkToken
	}
	for k, want := range earlier {
		if !containsHash(a.Tree[0], want) {
			return fail("checkRenewal", i, j, fmt.Errorf("%w: the renewal does not cover archive time-stamp %d", ErrMismatch, k), hex.EncodeToString(want), "absent")
		}
	}
	return nil
}

func containsHash(p PartialHashtree, h []byte) bool {
	return slices.ContainsFunc(p, func(v []byte) bool { return bytes.Equal(v, h) })
}

// checkToken is steps 5 and 6.
func checkToken(a ArchiveTimeStamp, i, j int, root []byte, opts VerifyOptions) (*verifiedToken, error) {
	ts, signer, err := rfc3161.CheckSignature(a.TimeStamp, opts.Intermediates)
	if err != nil {
		return nil, fail("checkToken", i, j, fmt.Errorf("%w: %w", ErrBadToken, err), "", "")
	}
	if ts.HashAlgorithm != a.Hash || !bytes.Equal(ts.HashedMessage, root) {
		return nil, fail("checkRoot", i, j, fmt.Errorf("%w: the time-stamp is not over the root of the reduced hash tree", ErrMismatch),
			fmt.Sprintf("%v %x", a.Hash, root), fmt.Sprintf("%v %x", ts.HashAlgorithm, ts.HashedMessage))
	}
	if err := rfc3161.CheckChain(signer, ts, opts.Roots, opts.Intermediates); err != nil {
		return nil, fail("checkToken", i, j, fmt.Errorf("%w: %w", ErrUntrusted, err), "", "")
	}
	return &verifiedToken{chain: i, index: j, ts: ts, signer: signer}, nil
}

// checkValidity is step 7 for prev, renewed by next.
func checkValidity(prev, next *verifiedToken, opts VerifyOptions) error {
	if prev == nil {
		return nil
	}
	if next.ts.Time.Before(prev.ts.Time) {
		return fail("checkValidity", next.chain, next.index, fmt.Errorf("%w: the renewal's time is before the time-stamp it renews", ErrMismatch),
			"at or after "+prev.ts.Time.UTC().Format(time.RFC3339), next.ts.Time.UTC().Format(time.RFC3339))
	}
	return checkAt(prev, next.ts.Time, opts)
}

// checkAt checks that tok's signer chain verifies at t.
func checkAt(tok *verifiedToken, t time.Time, opts VerifyOptions) error {
	at := *tok.ts
	at.Time = t
	if err := rfc3161.CheckChain(tok.signer, &at, opts.Roots, opts.Intermediates); err != nil {
		return fail("checkValidity", tok.chain, tok.index, fmt.Errorf("%w: not valid when it had to be: %w", ErrUntrusted, err), "valid at "+t.UTC().Format(time.RFC3339), "invalid")
	}
	return nil
}
