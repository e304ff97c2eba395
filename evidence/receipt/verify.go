package receipt

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/evidence/custody"
)

// Options tunes Verify.
type Options struct {
	// Now is reserved. It is not used for the validity of time-stamp
	// tokens or certificates: each token is checked at its own time
	// (genTime), so that a receipt still verifies years later, after its
	// certificates have expired. Nothing else in a receipt depends on the
	// current time.
	Now time.Time
}

// Result is what a successful verification established, for display.
type Result struct {
	Evidence Evidence `json:"evidence"`
	// FileChecked is true when an evidence file was given and matched the
	// digests and size; false when only the receipt was checked.
	FileChecked bool              `json:"file_checked"`
	Timestamps  []TimestampResult `json:"timestamps"`
	Events      []EventResult     `json:"events"`
	Checkpoint  CheckpointResult  `json:"checkpoint"`
}

// TimestampResult is one verified RFC 3161 token.
type TimestampResult struct {
	Time   time.Time `json:"time"`   // genTime, UTC
	TSA    string    `json:"tsa"`    // subject CN of the TSA certificate ("" if not found)
	Serial string    `json:"serial"` // serial number, decimal
	Hash   string    `json:"hash"`   // hex SHA-256 of the DER reply, as in the created event
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
	roots         *x509.CertPool
	intermediates []*x509.Certificate
	valset        *types.ValidatorSet   // the trusted validator set
	validators    map[string]*Validator // by hex address
	checkpoints   checkpointCache
	tsaChecker    *notary.Checker // caches verified TSA chains
}

// NewVerifier checks trust (as ParseTrust does) and prepares a Verifier.
func NewVerifier(trust *Trust) (*Verifier, error) {
	if trust == nil {
		return nil, fmt.Errorf("%w: no trust bundle", ErrBadTrust)
	}
	if err := trust.check(); err != nil {
		return nil, err
	}
	rootCerts, err := certs.ParsePEM([]byte(trust.RootPEM))
	if err != nil {
		return nil, fmt.Errorf("%w: root certificate: %v", ErrBadTrust, err)
	}
	v := &Verifier{trust: trust, roots: x509.NewCertPool(), validators: make(map[string]*Validator)}
	for _, c := range rootCerts {
		v.roots.AddCert(c)
	}
	v.tsaChecker = notary.NewChecker(v.roots)
	if trust.TSAChain != "" {
		if v.intermediates, err = certs.ParsePEM([]byte(trust.TSAChain)); err != nil {
			return nil, fmt.Errorf("%w: TSA chain: %v", ErrBadTrust, err)
		}
	}
	vals := make([]*types.Validator, len(trust.Validators))
	for i := range trust.Validators {
		tv := &trust.Validators[i]
		key, _ := base64.StdEncoding.DecodeString(tv.PubKey) // checked by trust.check
		vals[i] = types.NewValidator(cmted25519.PubKey(key), tv.Power)
		v.validators[vals[i].Address.String()] = tv
	}
	// trust.check ruled out what would make NewValidatorSet panic: no
	// validators, a duplicate, a non-positive power, a total over the cap.
	v.valset = types.NewValidatorSet(vals)
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
//     and size are the receipt's;
//  2. checkCustody: the events are one unbroken custody chain whose created
//     event describes the receipt's evidence and lists its tokens;
//  3. checkTimestamp: each token is the one the created event lists, stamps
//     the SHA-256 and chains to the trusted root at its own time;
//  4. checkInclusion: each event is a leaf of the checkpoint's log
//     (RFC 6962 inclusion proofs), in log order;
//  5. checkCheckpoint: the checkpoint is a header of the trusted chain whose
//     AppHash is the log's size and root, signed by more than 2/3 of the
//     trusted validators' voting power.
//
// A failure is a *VerifyError naming its step. Other errors (reading
// artifact) are returned as they are.
func (v *Verifier) Verify(r *Receipt, artifact io.Reader, opts Options) (*Result, error) {
	_ = opts // reserved; see Options.Now
	if err := r.check(); err != nil {
		return nil, &VerifyError{Step: StepFormat, Err: err}
	}
	res := &Result{Evidence: r.Evidence}
	if artifact != nil {
		if err := checkDigest(r, artifact); err != nil {
			return nil, err
		}
		res.FileChecked = true
	}
	events, err := checkCustody(r)
	if err != nil {
		return nil, err
	}
	if res.Timestamps, err = v.checkTimestamp(r, events[0]); err != nil {
		return nil, err
	}
	if res.Events, err = checkInclusion(r, events); err != nil {
		return nil, err
	}
	if res.Checkpoint, err = v.checkCheckpointCached(&r.Checkpoint); err != nil {
		return nil, err
	}
	return res, nil
}
