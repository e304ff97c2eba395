package receipt

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/ers"
	"github.com/custos-project/custos/internal/rfc3161"
)

// Options tunes Verify.
type Options struct {
	// Now is reserved. It is not used for the validity of time-stamp
	// tokens or certificates: each token is checked at its own time
	// (genTime), so that a receipt still verifies years later, after its
	// certificates have expired. Nothing else in a receipt depends on the
	// current time.
	Now time.Time

	// SHA256, SM3 and Size describe an evidence file that was hashed
	// elsewhere: the court's web page hashes the file with Web Crypto and
	// never hands its bytes to the verifier. When Verify gets no artifact
	// and SHA256 is set, step digest compares these instead of reading a
	// file: SHA256 (32 bytes) with evidence.sha256, always; SM3 (32 bytes)
	// with evidence.sm3 when both are present; Size with evidence.size when
	// it is not 0. SHA-256 alone identifies the file (the time-stamps are
	// over it). Giving these and an artifact is an error.
	SHA256 []byte
	SM3    []byte
	Size   int64

	// Transitions is the cacheable companion of receipts made after
	// validator-set changes (a transitions list, or a trust bundle of
	// version 2's): used when the receipt carries no transitions of its
	// own. Those up to the checkpoint's height are followed from the trust
	// bundle's set; later ones are ignored.
	Transitions []Transition
}

// Result is what a successful verification established, for display.
type Result struct {
	Version  int      `json:"version"` // the receipt's format version
	Evidence Evidence `json:"evidence"`
	// FileChecked is true when an evidence file, or its digests
	// (Options.SHA256), was given and matched the receipt; false when only
	// the receipt was checked.
	FileChecked bool              `json:"file_checked"`
	Timestamps  []TimestampResult `json:"timestamps"`
	Events      []EventResult     `json:"events"`
	Custody     CustodyResult     `json:"custody"`
	Checkpoint  CheckpointResult  `json:"checkpoint"`
	// EvidenceRecord is what the embedded evidence record proved (version
	// 5); nil for a receipt without one.
	EvidenceRecord *RecordResult `json:"evidence_record,omitempty"`
}

// CustodyResult says what the receipt proves about the completeness of
// its custody events.
type CustodyResult struct {
	// Complete is true when the chain proved, at the checkpoint, that the
	// item had exactly Total events and the receipt either lists them all
	// or accounts for each one it leaves out (Omitted).
	Complete bool `json:"complete"`
	// Total is the number of events the item had at the checkpoint (0 when
	// not proven).
	Total uint32 `json:"total,omitempty"`
	// Listed is the number of events the receipt carries.
	Listed int `json:"listed"`
	// Omitted counts, by type, the events the receipt leaves out.
	Omitted map[string]uint32 `json:"omitted,omitempty"`
	// Note says, in words, what is and is not proven.
	Note string `json:"note"`
}

// TimestampResult is one verified RFC 3161 token.
type TimestampResult struct {
	Time   time.Time `json:"time"`   // genTime, UTC
	TSA    string    `json:"tsa"`    // subject CN of the TSA certificate ("" if not found)
	Serial string    `json:"serial"` // serial number, decimal
	Hash   string    `json:"hash"`   // hex SHA-256 of the DER reply, as in the created event
	// Unverified says why a further token (from an external TSA) could not
	// be checked: its TSA chains to no root of the trust bundle, or its
	// certificate does not check at the token's time. Its hash
	// is still the one the anchored created event recorded.
	Unverified string `json:"unverified,omitempty"`
}

// EventResult is one custody event, checked and found in the log.
type EventResult struct {
	*custody.Event
	LeafIndex uint64 `json:"leaf_index"`
	LeafHash  string `json:"leaf_hash"` // hex RFC 6962 leaf hash
}

// CheckpointResult describes the verified checkpoint.
type CheckpointResult struct {
	ChainID     string    `json:"chain_id"`
	Height      int64     `json:"height"`
	Time        time.Time `json:"time"` // the block time of the header
	TreeSize    uint64    `json:"tree_size"`
	Root        string    `json:"root"`
	BlockHash   string    `json:"block_hash"` // hex header hash, the block ID the commit signs
	Signers     []Signer  `json:"signers"`
	SignedPower int64     `json:"signed_power"`
	TotalPower  int64     `json:"total_power"`
	// Transitions is the number of validator-set transitions followed from
	// the trust bundle's set to the set that signed the checkpoint.
	Transitions int `json:"transitions,omitempty"`
}

// Signer is a trusted validator whose commit signature was verified.
type Signer struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Address string `json:"address"` // hex CometBFT address: first 20 bytes of SHA-256(pub key)
	Power   int64  `json:"power"`
}

// Verifier verifies receipts against one trust bundle. Building it parses
// the bundle's certificates and validator set once; a Verifier is then safe
// for concurrent use.
//
// A Verifier remembers the checkpoints it has verified (the last
// few hundred), keyed by the SHA-256 of all their fields: receipts issued
// together share a checkpoint, and its result depends on nothing but those
// bytes and the trust bundle, so its signatures are checked once. Nothing
// else is cached: every receipt's own digests, events, proofs and tokens
// are checked every time.
type Verifier struct {
	trust         *Trust
	intermediates []*x509.Certificate
	tsaRoots      *x509.CertPool        // root_pem and tsa_roots_pem, for evidence records
	valset        *validatorSet         // the trusted validator set, in CometBFT's order
	valsetHash    []byte                // its hash, the header's ValidatorsHash
	validators    map[string]*Validator // by hex address
	checkpoints   checkpointCache
	tsaChecker    *rfc3161.Checker // caches verified TSA chains
}

// NewVerifier checks trust (as ParseTrust does) and prepares a Verifier.
func NewVerifier(trust *Trust) (*Verifier, error) {
	if trust == nil {
		return nil, fmt.Errorf("%w: no trust bundle", ErrBadTrust)
	}
	if err := trust.check(); err != nil {
		return nil, err
	}
	return newVerifier(trust)
}

// newVerifier is NewVerifier for a trust bundle already checked.
func newVerifier(trust *Trust) (*Verifier, error) {
	rootCerts, err := certs.ParsePEM([]byte(trust.RootPEM))
	if err != nil {
		return nil, fmt.Errorf("%w: root certificate: %v", ErrBadTrust, err)
	}
	v := &Verifier{trust: trust, validators: make(map[string]*Validator)}
	if trust.TSARootsPEM != "" {
		extra, err := certs.ParsePEM([]byte(trust.TSARootsPEM))
		if err != nil {
			return nil, fmt.Errorf("%w: TSA roots: %v", ErrBadTrust, err)
		}
		rootCerts = append(rootCerts, extra...)
	}
	// The checker keeps the roots as certificates too: an sm token's chain
	// (SM2 with SM3, which x509.Verify does not know) is found among them.
	v.tsaChecker = rfc3161.NewCheckerForRoots(rootCerts)
	v.tsaRoots = x509.NewCertPool()
	for _, c := range rootCerts {
		v.tsaRoots.AddCert(c)
	}
	if trust.TSAChain != "" {
		if v.intermediates, err = certs.ParsePEM([]byte(trust.TSAChain)); err != nil {
			return nil, fmt.Errorf("%w: TSA chain: %v", ErrBadTrust, err)
		}
	}
	vals := make([]validator, len(trust.Validators))
	for i := range trust.Validators {
		tv := &trust.Validators[i]
		key, _ := base64.StdEncoding.DecodeString(tv.PubKey) // checked by trust.check
		vals[i] = validator{Address: address(key), PubKey: key, Power: tv.Power}
		v.validators[fmt.Sprintf("%X", vals[i].Address)] = tv
	}
	// trust.check ruled out what CometBFT's NewValidatorSet refuses: no
	// validators, a duplicate, a non-positive power, a total over the cap.
	v.valset = newValidatorSet(vals)
	v.valsetHash = v.valset.hash()
	if trust.Version == TrustVersion2 || len(trust.ValidatorsCurrent) > 0 {
		if err := v.checkCurrent(); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// Verify checks r against the trust bundle, and artifact (if not nil)
// against r. It is NewVerifier(trust) then Verifier.Verify; build a
// Verifier once to check many receipts.
func Verify(r *Receipt, artifact io.Reader, trust *Trust, opts Options) (*Result, error) {
	v, err := NewVerifier(trust)
	if err != nil {
		return nil, err
	}
	return v.Verify(r, artifact, opts)
}

// Verify checks r, and artifact if not nil, in this order, stopping at the
// first failure:
//
//  0. format: r is a well-formed receipt of this version;
//  1. checkDigest: artifact's SHA-256 (and SM3, when the receipt has one)
//     and size are the receipt's; without an artifact, the digests in
//     opts (Options.SHA256), when given, are;
//  2. checkCustody: the events are one item's custody chain (version 1:
//     unbroken, from seq 0; version 2: increasing seqs from 0, each linked
//     to its listed predecessor) whose created event describes the
//     receipt's evidence and lists its tokens;
//     2a. checkCompleteness (version 2): the custody head is the one the
//     chain's state map holds for the item at the checkpoint, and the
//     events are all of its events or prove each one in its event tree, so
//     that what they leave out is counted by type;
//  3. checkTimestamp: each token is the one the created event lists, stamps
//     the SHA-256 and chains to the trusted root at its own time;
//  4. checkInclusion: each event is a leaf of the checkpoint's log
//     (RFC 6962 inclusion proofs), in log order;
//  5. checkCheckpoint: the checkpoint is a header of the trusted chain whose
//     AppHash is the log's size and root, signed by more than 2/3 of the
//     voting power of the validators in force at its height: the trusted
//     ones, or those that the transitions (the receipt's, version 4, or
//     opts.Transitions, or a version-2 trust bundle's) lead to from them (checkTransition, step
//     transition);
//  6. checkRecord (version 5): the embedded evidence record (RFC 4998)
//     proves the evidence's SHA-256 under the trust bundle's TSA roots
//     (step evidence-record).
//
// A failure is a *VerifyError naming its step. Other errors (reading
// artifact, unusable Options) are returned as they are.
func (v *Verifier) Verify(r *Receipt, artifact io.Reader, opts Options) (*Result, error) {
	digests, haveDigests, err := digestsFromOptions(&opts)
	if err != nil {
		return nil, err
	}
	if haveDigests && artifact != nil {
		return nil, fmt.Errorf("receipt: both an evidence file and its digests (Options.SHA256) given")
	}
	if err := r.check(); err != nil {
		return nil, &VerifyError{Step: StepFormat, Err: err}
	}
	res := &Result{Version: r.Version, Evidence: r.Evidence}
	var extra ers.Hashes
	switch {
	case artifact != nil:
		extra, err = digestsOf(r, artifact, recordAlgorithms(r))
	case haveDigests:
		err = compareDigests(r, digests)
	}
	if err != nil {
		return nil, err
	}
	res.FileChecked = artifact != nil || haveDigests
	events, err := checkCustody(r)
	if err != nil {
		return nil, err
	}
	if r.Version == Version1 {
		res.Custody = CustodyResult{Listed: len(events), Note: noteV1}
	} else if res.Custody, err = checkCompleteness(r, events); err != nil {
		return nil, err
	}
	if res.Timestamps, err = v.checkTimestamp(r, events[0]); err != nil {
		return nil, err
	}
	if res.Events, err = checkInclusion(r, events); err != nil {
		return nil, err
	}
	if res.Checkpoint, err = v.checkpointWith(&r.Checkpoint, opts.Transitions); err != nil {
		return nil, err
	}
	if r.EvidenceRecord != "" {
		if res.EvidenceRecord, err = v.checkRecord(r, extra); err != nil {
			return nil, err
		}
	}
	return res, nil
}
