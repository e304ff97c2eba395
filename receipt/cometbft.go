package receipt

// This file is the part of CometBFT v0.38 that a light client needs to
// check one signed header, written against the protobuf messages alone
// (protobuf.go decodes and encodes them). CometBFT's own packages are not
// linked: the verifier must stay small enough to audit and to download
// (the browser verifier runs this same code), and must build for GOOS=js.
//
// Each function names the CometBFT function it reimplements
// (types/block.go, types/light.go, types/validator_set.go,
// types/validator.go, types/vote.go, types/canonical.go,
// types/validation.go); the error messages are CometBFT's. The tests
// cross-check every one against CometBFT's own on generated and tampered
// inputs (cometbft_test.go).

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"encoding/binary"

	"github.com/transparency-dev/merkle/rfc6962"
)

const (
	hashSize    = sha256.Size // tmhash.Size
	addressSize = 20          // crypto.AddressSize
	// maxChainIDLen is types.MaxChainIDLen.
	maxChainIDLen = 50
	// maxSignatureSize is types.MaxSignatureSize: the largest signature
	// of any key type CometBFT v0.38 knows (ML-DSA-65, 3309 bytes). A
	// commit slot may carry that much; an Ed25519 key then refuses it.
	maxSignatureSize = 3309
	// blockProtocol is version.BlockProtocol, the block version of
	// CometBFT v0.38.
	blockProtocol = 11
)

// validator is one member of a validator set, with an Ed25519 key
// (types.Validator).
type validator struct {
	Address  []byte // the first 20 bytes of SHA-256(PubKey) (crypto/ed25519 PubKey.Address)
	PubKey   ed25519.PublicKey
	Power    int64
	Priority int64 // proposer_priority
}

// address is a validator's CometBFT address: the first 20 bytes of the
// SHA-256 of its 32-byte Ed25519 public key.
func address(pub []byte) []byte {
	sum := sha256.Sum256(pub)
	return sum[:addressSize]
}

// bytes is the validator's leaf in the validator set hash: the protobuf
// SimpleValidator{pub_key, voting_power} (Validator.Bytes).
func (v *validator) bytes() []byte {
	return simpleValidatorBytes(v.PubKey, v.Power)
}

// validatorSet is a validator set in its canonical order (types.ValidatorSet).
type validatorSet struct {
	Validators []validator
	Proposer   *validator
	total      int64
	// protoTotal is the total_voting_power member of a set decoded from a
	// receipt (CometBFT's ToProto writes 0 and FromProto ignores it).
	protoTotal int64
}

// newValidatorSet orders vals as types.NewValidatorSet does
// (ValidatorsByVotingPower: power descending, then address ascending). The
// caller has checked that the keys are distinct and the total power is
// within maxTotalPower.
func newValidatorSet(vals []validator) *validatorSet {
	vals = slices.Clone(vals)
	slices.SortStableFunc(vals, func(a, b validator) int {
		if c := cmp.Compare(b.Power, a.Power); c != 0 {
			return c
		}
		return bytes.Compare(a.Address, b.Address)
	})
	vs := &validatorSet{Validators: vals}
	for _, v := range vals {
		vs.total += v.Power
	}
	vs.initialPriorities()
	return vs
}

// initialPriorities sets the proposer priorities and the proposer that
// types.NewValidatorSet gives a set built from scratch, as the receipt
// writer builds it (anchor.Node.SignedHeader): updateWithChangeSet gives
// every new validator the same priority, -(T + T>>3) for total power T,
// which RescalePriorities keeps and shiftByAvgProposerPriority turns to 0;
// IncrementProposerPriority(1) then adds each validator's power to its
// priority and subtracts T from the validator with the highest priority
// (ties: the lowest address), which becomes the proposer. No clipping
// happens: powers and T are at most MaxInt64/8.
func (vs *validatorSet) initialPriorities() {
	if len(vs.Validators) == 0 {
		return
	}
	best := 0
	for i := range vs.Validators {
		v := &vs.Validators[i]
		v.Priority = v.Power
		b := &vs.Validators[best]
		if v.Priority > b.Priority || (v.Priority == b.Priority && bytes.Compare(v.Address, b.Address) < 0) {
			best = i
		}
	}
	vs.Validators[best].Priority -= vs.total
	p := vs.Validators[best]
	vs.Proposer = &p
}

// hash is the Merkle root (crypto/merkle, RFC 6962 §2.1) of the validators'
// bytes, in the set's order (ValidatorSet.Hash).
func (vs *validatorSet) hash() []byte {
	items := make([][]byte, len(vs.Validators))
	for i := range vs.Validators {
		items[i] = vs.Validators[i].bytes()
	}
	return merkleRoot(items)
}

// byAddress returns the validator with address addr, or nil.
func (vs *validatorSet) byAddress(addr []byte) *validator {
	for i := range vs.Validators {
		if bytes.Equal(vs.Validators[i].Address, addr) {
			return &vs.Validators[i]
		}
	}
	return nil
}

// validatorFromProto is types.ValidatorFromProto for Ed25519 keys. Other
// key types (secp256k1, ML-DSA-65) decode in CometBFT but can never be
// trusted here, since a trust bundle lists Ed25519 keys only; they are
// refused at once.
func validatorFromProto(vp *pbValidator) (*validator, error) {
	if vp == nil {
		return nil, errors.New("nil validator")
	}
	k := vp.PubKey
	switch k.Kind {
	case 0:
		return nil, errors.New("fromproto: key type <nil> is not supported")
	case keyEd25519:
	default:
		return nil, fmt.Errorf("fromproto: key type %s is not supported by this verifier (Ed25519 only)", keyTypeNames[k.Kind])
	}
	if len(k.Key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("invalid size for PubKeyEd25519. Got %d, expected %d", len(k.Key), ed25519.PublicKeySize)
	}
	return &validator{Address: vp.Address, PubKey: bytes.Clone(k.Key), Power: vp.VotingPower, Priority: vp.ProposerPriority}, nil
}

// validateBasic is Validator.ValidateBasic.
func (v *validator) validateBasic() error {
	if v.Power < 0 {
		return errors.New("validator has negative voting power")
	}
	if addr := address(v.PubKey); !bytes.Equal(v.Address, addr) {
		return fmt.Errorf("validator address is incorrectly derived from pubkey. Exp: %X, got %X", addr, v.Address)
	}
	return nil
}

// validatorSetFromProto is types.ValidatorSetFromProto: the validators in
// the order given, the proposer, a total power within the cap, and
// ValidatorSet.ValidateBasic.
func validatorSetFromProto(vp *pbValidatorSet) (*validatorSet, error) {
	vs := &validatorSet{Validators: make([]validator, len(vp.Validators)), protoTotal: vp.TotalVotingPower}
	for i, p := range vp.Validators {
		v, err := validatorFromProto(p)
		if err != nil {
			return nil, err
		}
		vs.Validators[i] = *v
	}
	p, err := validatorFromProto(vp.Proposer)
	if err != nil {
		return nil, fmt.Errorf("fromProto: validatorSet proposer error: %w", err)
	}
	vs.Proposer = p
	for _, v := range vs.Validators { // updateTotalVotingPower, with safeAddClip
		vs.total = addClip(vs.total, v.Power)
		if vs.total > maxTotalPower {
			return nil, fmt.Errorf("total voting power %d exceeds maximum %d", vs.total, int64(maxTotalPower))
		}
	}
	return vs, vs.validateBasic()
}

// addClip is CometBFT's safeAddClip: a + b, clipped to the int64 range.
func addClip(a, b int64) int64 {
	switch {
	case b > 0 && a > math.MaxInt64-b:
		return math.MaxInt64
	case b < 0 && a < math.MinInt64-b:
		return math.MinInt64
	}
	return a + b
}

// validateBasic is ValidatorSet.ValidateBasic.
func (vs *validatorSet) validateBasic() error {
	if len(vs.Validators) == 0 {
		return errors.New("validator set is nil or empty")
	}
	for i := range vs.Validators {
		if err := vs.Validators[i].validateBasic(); err != nil {
			return fmt.Errorf("invalid validator #%d: %w", i, err)
		}
	}
	if err := vs.Proposer.validateBasic(); err != nil {
		return fmt.Errorf("proposer failed validate basic, error: %w", err)
	}
	if vs.byAddress(vs.Proposer.Address) == nil {
		return errors.New("proposer not in validator set") // types.ErrProposerNotInVals
	}
	return nil
}

// validateHash is types.ValidateHash: empty or 32 bytes.
func validateHash(h []byte) error {
	if len(h) > 0 && len(h) != hashSize {
		return fmt.Errorf("expected size to be %d bytes, got %d bytes", hashSize, len(h))
	}
	return nil
}

// blockIDFromProto is the validation of types.BlockIDFromProto
// (PartSetHeaderFromProto, then BlockID.ValidateBasic).
func blockIDFromProto(b *pbBlockID) error {
	if err := validateHash(b.PartSetHeader.Hash); err != nil {
		return fmt.Errorf("wrong Hash: %w", err)
	}
	return validateBlockID(b)
}

// validateBlockID is BlockID.ValidateBasic.
func validateBlockID(b *pbBlockID) error {
	if err := validateHash(b.Hash); err != nil {
		return errors.New("wrong Hash")
	}
	if err := validateHash(b.PartSetHeader.Hash); err != nil {
		return fmt.Errorf("wrong PartSetHeader: %v", fmt.Errorf("wrong Hash: %w", err))
	}
	return nil
}

// blockIDIsZero is BlockID.IsZero: the ID of a nil block.
func blockIDIsZero(b *pbBlockID) bool {
	return len(b.Hash) == 0 && b.PartSetHeader.Total == 0 && len(b.PartSetHeader.Hash) == 0
}

// signedHeaderFromProto is the validation of types.SignedHeaderFromProto:
// HeaderFromProto for the header and CommitFromProto for the commit, when
// present.
func signedHeaderFromProto(sh *pbSignedHeader) error {
	if sh.Header != nil {
		if err := blockIDFromProto(&sh.Header.LastBlockId); err != nil {
			return err
		}
		if err := validateHeader(sh.Header); err != nil {
			return err
		}
	}
	if sh.Commit != nil {
		return commitFromProto(sh.Commit)
	}
	return nil
}

// validateHeader is Header.ValidateBasic.
func validateHeader(h *pbHeader) error {
	if h.Version.Block != blockProtocol {
		return fmt.Errorf("block protocol is incorrect: got: %d, want: %d ", h.Version.Block, uint64(blockProtocol))
	}
	if len(h.ChainID) > maxChainIDLen {
		return fmt.Errorf("chainID is too long; got: %d, max: %d", len(h.ChainID), maxChainIDLen)
	}
	if h.Height < 0 {
		return errors.New("negative Height")
	} else if h.Height == 0 {
		return errors.New("zero Height")
	}
	if err := validateBlockID(&h.LastBlockId); err != nil {
		return fmt.Errorf("wrong LastBlockID: %w", err)
	}
	hashes := []struct {
		name string
		h    []byte
	}{{"LastCommitHash", h.LastCommitHash}, {"DataHash", h.DataHash}, {"EvidenceHash", h.EvidenceHash}}
	for _, x := range hashes {
		if err := validateHash(x.h); err != nil {
			return fmt.Errorf("wrong %s: %v", x.name, err)
		}
	}
	if len(h.ProposerAddress) != addressSize {
		return fmt.Errorf("invalid ProposerAddress length; got: %d, expected: %d", len(h.ProposerAddress), addressSize)
	}
	hashes = []struct {
		name string
		h    []byte
	}{{"ValidatorsHash", h.ValidatorsHash}, {"NextValidatorsHash", h.NextValidatorsHash},
		{"ConsensusHash", h.ConsensusHash}, {"LastResultsHash", h.LastResultsHash}} // AppHash: any length
	for _, x := range hashes {
		if err := validateHash(x.h); err != nil {
			return fmt.Errorf("wrong %s: %v", x.name, err)
		}
	}
	return nil
}

// commitFromProto is the validation of types.CommitFromProto: the block
// ID, each CommitSig, then Commit.ValidateBasic.
func commitFromProto(c *pbCommit) error {
	if err := blockIDFromProto(&c.BlockID); err != nil {
		return err
	}
	for i := range c.Signatures {
		if err := validateCommitSig(&c.Signatures[i]); err != nil {
			return err
		}
	}
	return validateCommit(c)
}

// validateCommit is Commit.ValidateBasic.
func validateCommit(c *pbCommit) error {
	if c.Height < 0 {
		return errors.New("negative Height")
	}
	if c.Round < 0 {
		return errors.New("negative Round")
	}
	if c.Height >= 1 {
		if blockIDIsZero(&c.BlockID) {
			return errors.New("commit cannot be for nil block")
		}
		if len(c.Signatures) == 0 {
			return errors.New("no signatures in commit")
		}
		for i := range c.Signatures {
			if err := validateCommitSig(&c.Signatures[i]); err != nil {
				return fmt.Errorf("wrong CommitSig #%d: %v", i, err)
			}
		}
	}
	return nil
}

// validateCommitSig is CommitSig.ValidateBasic.
func validateCommitSig(s *pbCommitSig) error {
	switch blockIDFlag(s) {
	case flagAbsent:
		switch {
		case len(s.ValidatorAddress) != 0:
			return errors.New("validator address is present")
		case !s.Timestamp.IsZero():
			return errors.New("time is present")
		case len(s.Signature) != 0:
			return errors.New("signature is present")
		}
	case flagCommit, flagNil:
		switch {
		case len(s.ValidatorAddress) != addressSize:
			return fmt.Errorf("expected ValidatorAddress size to be %d bytes, got %d bytes", addressSize, len(s.ValidatorAddress))
		case len(s.Signature) == 0:
			return errors.New("signature is missing")
		case len(s.Signature) > maxSignatureSize:
			return fmt.Errorf("signature is too big (max: %d)", maxSignatureSize)
		}
	default:
		return fmt.Errorf("unknown BlockIDFlag: %v", uint8(s.BlockIdFlag))
	}
	return nil
}

// blockIDFlag is the slot's flag as CometBFT reads it: CommitSig.FromProto
// converts the protobuf int32 to a byte, so that 258 reads as 2 (COMMIT).
// checkFlags refuses any value but 1, 2 and 3 before this is used, so the
// two readings agree on every checkpoint that gets this far.
func blockIDFlag(s *pbCommitSig) pbBlockIDFlag {
	return pbBlockIDFlag(uint8(s.BlockIdFlag))
}

// checkFlags refuses a commit slot whose block_id_flag is not exactly
// ABSENT (1), COMMIT (2) or NIL (3). CometBFT reads the int32 as a byte
// (blockIDFlag), so 258 would pass as COMMIT and 257 as ABSENT; a receipt
// has one spelling, so only the values CometBFT writes are accepted. This
// is stricter than CometBFT, never looser.
func checkFlags(c *pbCommit) error {
	if c == nil {
		return nil
	}
	for i := range c.Signatures {
		switch f := c.Signatures[i].BlockIdFlag; f {
		case flagAbsent, flagCommit, flagNil:
		default:
			return fmt.Errorf("commit signature %d: block_id_flag %d is not 1 (ABSENT), 2 (COMMIT) or 3 (NIL)", i, int32(f))
		}
	}
	return nil
}

// validateSignedHeader is SignedHeader.ValidateBasic(chainID).
func validateSignedHeader(sh *pbSignedHeader, chainID string) error {
	if sh.Header == nil {
		return errors.New("missing header")
	}
	if sh.Commit == nil {
		return errors.New("missing commit")
	}
	if err := validateHeader(sh.Header); err != nil {
		return fmt.Errorf("invalid header: %w", err)
	}
	if err := validateCommit(sh.Commit); err != nil {
		return fmt.Errorf("invalid commit: %w", err)
	}
	if sh.Header.ChainID != chainID {
		return fmt.Errorf("header belongs to another chain %q, not %q", sh.Header.ChainID, chainID)
	}
	if sh.Commit.Height != sh.Header.Height {
		return fmt.Errorf("header and commit height mismatch: %d vs %d", sh.Header.Height, sh.Commit.Height)
	}
	if hh, ch := headerHash(sh.Header), sh.Commit.BlockID.Hash; !bytes.Equal(hh, ch) {
		return fmt.Errorf("commit signs block %X, header is block %X", ch, hh)
	}
	return nil
}

// headerHash is Header.Hash: the Merkle root (crypto/merkle) of the 14
// fields, each encoded as CometBFT's cdcEncode does (a protobuf wrapper
// type; nothing for an empty value). It is nil for a header without a
// ValidatorsHash, as in CometBFT.
func headerHash(h *pbHeader) []byte {
	if len(h.ValidatorsHash) == 0 {
		return nil
	}
	return merkleRoot([][]byte{
		h.Version.encode(nil),
		cdcString(h.ChainID),
		cdcInt64(h.Height),
		appendTime(nil, h.Time),
		h.LastBlockId.encode(nil),
		cdcBytes(h.LastCommitHash),
		cdcBytes(h.DataHash),
		cdcBytes(h.ValidatorsHash),
		cdcBytes(h.NextValidatorsHash),
		cdcBytes(h.ConsensusHash),
		cdcBytes(h.AppHash),
		cdcBytes(h.LastResultsHash),
		cdcBytes(h.EvidenceHash),
		cdcBytes(h.ProposerAddress),
	})
}

// cdcString, cdcInt64 and cdcBytes are cdcEncode (types/encoding_helper.go):
// the protobuf wrapper of a non-empty value, nil for an empty one.
func cdcString(s string) []byte {
	if s == "" {
		return nil
	}
	return appendBytesField(nil, 1, s)
}

func cdcInt64(n int64) []byte {
	if n == 0 {
		return nil
	}
	return appendVarintField(nil, 1, uint64(n))
}

func cdcBytes(p []byte) []byte {
	if len(p) == 0 {
		return nil
	}
	return appendBytesField(nil, 1, p)
}

// voteSignBytes is Commit.VoteSignBytes(chainID, i): the length-delimited
// protobuf CanonicalVote (types.VoteSignBytes, CanonicalizeVote) of the
// precommit in slot i. A slot that is not for the block (absent, nil) signs
// a nil block ID.
func voteSignBytes(chainID string, c *pbCommit, i int) []byte {
	s := &c.Signatures[i]
	var blockID *pbBlockID
	if blockIDFlag(s) == flagCommit && !blockIDIsZero(&c.BlockID) { // CanonicalizeBlockID
		blockID = &c.BlockID
	}
	return canonicalVoteBytes(&pbCanonicalVote{
		Type:      precommitType,
		Height:    c.Height,
		Round:     int64(c.Round),
		BlockID:   blockID,
		Timestamp: s.Timestamp,
		ChainID:   chainID,
	})
}

// canonicalVoteBytes is protoio.MarshalDelimited: uvarint(len(m)) ‖ m.
func canonicalVoteBytes(v *pbCanonicalVote) []byte {
	m := v.encode(nil)
	return append(binary.AppendUvarint(make([]byte, 0, len(m)+binary.MaxVarintLen64), uint64(len(m))), m...)
}

// keyTypeNames name the key types this verifier refuses, as CometBFT's
// generated code names them.
var keyTypeNames = map[int]string{keySecp256k1: "*crypto.PublicKey_Secp256K1", keyMLDSA65: "*crypto.PublicKey_Mldsa65"}

// merkleRoot is crypto/merkle.HashFromByteSlices: the RFC 6962 §2.1 Merkle
// tree hash of items (SHA-256, leaves prefixed 0x00, nodes 0x01, split at
// the largest power of two below the count).
func merkleRoot(items [][]byte) []byte {
	h := rfc6962.DefaultHasher
	switch len(items) {
	case 0:
		return h.EmptyRoot()
	case 1:
		return h.HashLeaf(items[0])
	}
	k := 1
	for k*2 < len(items) {
		k *= 2
	}
	return h.HashChildren(merkleRoot(items[:k]), merkleRoot(items[k:]))
}

// blockTime is the header's time in UTC.
func blockTime(h *pbHeader) time.Time { return h.Time.UTC() }
