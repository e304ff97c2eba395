package receipt

import (
	"crypto"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"time"

	"github.com/custos-project/custos/ers"
)

// RecordResult is what a version-5 receipt's embedded evidence record
// (RFC 4998) proved.
type RecordResult struct {
	// Time is the genTime of the record's first time-stamp: the data of
	// the receipt's SHA-256 existed then. Zero when Unverified.
	Time time.Time `json:"time"`
	// Stamps are the record's ArchiveTimeStamps, chain by chain.
	Stamps []RecordStamp `json:"stamps,omitempty"`
	// Unverified says why the record could not be checked: its chains
	// after a hash-tree renewal need a digest of the file that the receipt
	// does not give (SHA-384 or SHA-512), and no file was given. The
	// receipt's other steps stand; the record proves nothing here.
	Unverified string `json:"unverified,omitempty"`
}

// RecordStamp is one verified ArchiveTimeStamp of the record.
type RecordStamp struct {
	Chain int       `json:"chain"`
	Index int       `json:"index"`
	Hash  string    `json:"hash"` // its digest algorithm, e.g. SHA-256
	Time  time.Time `json:"time"` // the token's genTime
	TSA   string    `json:"tsa"`  // the token signer's common name
}

// recordHashers are the further digests a record's chains may need, which
// step digest computes while it reads the file (the receipt gives SHA-256).
var recordHashers = map[crypto.Hash]func() hash.Hash{crypto.SHA384: sha512.New384, crypto.SHA512: sha512.New}

// recordAlgorithms is the digest algorithms of r's embedded record other
// than SHA-256, when it decodes; nil otherwise (step evidence-record then
// reports why).
func recordAlgorithms(r *Receipt) []crypto.Hash {
	if r.EvidenceRecord == "" {
		return nil
	}
	der, err := decodeBase64(r.EvidenceRecord)
	if err != nil {
		return nil
	}
	rec, err := ers.Decode(der)
	if err != nil {
		return nil
	}
	var out []crypto.Hash
	for _, h := range rec.DigestAlgorithms {
		if recordHashers[h] != nil {
			out = append(out, h)
		}
	}
	return out
}

// hashArtifact reads artifact once through w and the hashers of algs,
// returning the bytes read and the further digests.
func hashArtifact(w io.Writer, artifact io.Reader, algs []crypto.Hash) (int64, ers.Hashes, error) {
	extra := ers.Hashes{}
	hs := make([]hash.Hash, len(algs))
	ws := []io.Writer{w}
	for i, a := range algs {
		hs[i] = recordHashers[a]()
		ws = append(ws, hs[i])
	}
	n, err := io.Copy(io.MultiWriter(ws...), artifact)
	if err != nil {
		return n, nil, err
	}
	for i, a := range algs {
		extra[a] = hs[i].Sum(nil)
	}
	return n, extra, nil
}

// checkRecord is step evidence-record (version 5): the embedded record
// decodes strictly (ers.Decode) and proves, with ers.Verify, the data
// whose SHA-256 is the receipt's evidence.sha256 (which the earlier steps
// authenticated), its time-stamps chaining to the trust bundle's TSA roots
// at their own times, as the receipt's tokens do. extra holds the file's
// further digests when a file was read.
func (v *Verifier) checkRecord(r *Receipt, extra ers.Hashes) (*RecordResult, error) {
	bad := func(want, got, format string, args ...any) error {
		return fail(StepRecord, ErrRecord, want, got, format, args...)
	}
	der, err := decodeBase64(r.EvidenceRecord)
	if err != nil { // r.check ruled this out
		return nil, bad("", "", "evidence_record: %v", err)
	}
	rec, err := ers.Decode(der)
	if err != nil {
		return nil, bad("", "", "decode: the record is not a strict DER RFC 4998 evidence record: %v", err)
	}
	sum, _ := hex.DecodeString(r.Evidence.SHA256) // checked by r.check
	data := ers.Hashes{crypto.SHA256: sum}
	for _, h := range rec.DigestAlgorithms {
		if h == crypto.SHA256 {
			continue
		}
		d, ok := extra[h]
		if !ok {
			return &RecordResult{Unverified: fmt.Sprintf(
				"the record was renewed with %v, which needs the file's own %v digest: give the file to check it", h, h)}, nil
		}
		data[h] = d
	}
	res, err := ers.Verify(rec, data, ers.VerifyOptions{Roots: v.tsaRoots, Intermediates: v.intermediates})
	var ve *ers.VerifyError
	if errors.As(err, &ve) {
		return nil, bad(ve.Want, ve.Got, "%s (chain %d, archive time-stamp %d): %v", ve.Step, ve.Chain, ve.Index, ve.Err)
	}
	if err != nil {
		return nil, bad("", "", "%v", err)
	}
	out := &RecordResult{Time: res.Time.UTC()}
	for _, s := range res.Stamps {
		out.Stamps = append(out.Stamps, RecordStamp{Chain: s.Chain, Index: s.Index, Hash: s.Hash.String(), Time: s.Time.UTC(), TSA: s.TSA})
	}
	return out, nil
}

// RecordDER is the DER of r's embedded evidence record, nil when it has
// none (or its base64 does not decode: Parse refuses that).
func (r *Receipt) RecordDER() []byte {
	if r.EvidenceRecord == "" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(r.EvidenceRecord)
	if err != nil {
		return nil
	}
	return b
}

// WithRecord returns a copy of r that carries der, the item's evidence
// record, as version 5: r must be of version 3, 4 or 5 (a version-5
// receipt's record is replaced). The copy shares r's other members.
func (r *Receipt) WithRecord(der []byte) (*Receipt, error) {
	if !slices.Contains([]int{Version3, Version4, Version5}, r.Version) {
		return nil, fmt.Errorf("%w: a version-%d receipt cannot carry an evidence record (versions 3 and 4 can)", ErrMalformed, r.Version)
	}
	if len(der) == 0 {
		return nil, fmt.Errorf("%w: an empty evidence record", ErrMalformed)
	}
	c := *r
	c.Version, c.EvidenceRecord = Version5, base64.StdEncoding.EncodeToString(der)
	return &c, nil
}
