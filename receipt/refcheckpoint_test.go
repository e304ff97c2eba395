package receipt

// The reference checkpoint verifier: the implementation of step
// checkpoint before cometbft.go, which used CometBFT's own types package
// (and so could not build for WebAssembly). The differential tests run it
// beside Verifier.checkCheckpoint on every fixture and tamper case and
// require the same outcome.

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

// refVerifier is the trusted set as CometBFT builds it.
type refVerifier struct {
	trust      *Trust
	valset     *types.ValidatorSet
	validators map[string]*Validator
}

func newRefVerifier(trust *Trust) *refVerifier {
	v := &refVerifier{trust: trust, validators: make(map[string]*Validator)}
	vals := make([]*types.Validator, len(trust.Validators))
	for i := range trust.Validators {
		tv := &trust.Validators[i]
		key, _ := base64.StdEncoding.DecodeString(tv.PubKey)
		vals[i] = types.NewValidator(cmted25519.PubKey(key), tv.Power)
		v.validators[vals[i].Address.String()] = tv
	}
	v.valset = types.NewValidatorSet(vals)
	return v
}

// checkCheckpoint checks that cp is a block header of the trusted chain,
// finalized by the trusted validators, whose AppHash commits to the log:
//
//  1. the signed header and validator set decode (canonical protobuf);
//  2. chain IDs of trust, checkpoint and header agree, heights agree;
//  3. the header's AppHash is TreeSize ‖ Root;
//  4. SignedHeader.ValidateBasic: a well-formed header and commit, for this
//     header's hash at this height;
//  5. every validator in the receipt's set is trusted, with the same power,
//     and the header's ValidatorsHash is the trusted set's hash;
//  6. the commit holds valid precommit signatures (every one present is
//     checked) from more than 2/3 of the trusted voting power.
func (v *refVerifier) refCheckCheckpoint(cp *Checkpoint) (CheckpointResult, error) {
	sh, vals, total, verr := refDecodeCheckpoint(cp)
	if verr != nil {
		return CheckpointResult{}, verr
	}
	if err := v.refCheckHeader(cp, sh); err != nil {
		return CheckpointResult{}, err
	}
	if err := v.refCheckValidators(sh, vals, total); err != nil {
		return CheckpointResult{}, err
	}
	signers, err := v.refCheckCommit(sh)
	if err != nil {
		return CheckpointResult{}, err
	}
	res := CheckpointResult{
		ChainID: sh.ChainID, Height: sh.Height, Time: sh.Time.UTC(), TreeSize: cp.TreeSize, Root: cp.Root,
		BlockHash: hex.EncodeToString(sh.Commit.BlockID.Hash), Signers: signers, TotalPower: v.valset.TotalVotingPower(),
	}
	for _, s := range signers {
		res.SignedPower += s.Power
	}
	return res, nil
}

// decodeCheckpoint decodes the protobuf SignedHeader and ValidatorSet of
// cp. Each must be the canonical (deterministic gogoproto) encoding of what
// it decodes to, so that a receipt has one spelling. A panic in the
// decoders on hostile bytes is turned into an error.
//
// It also returns the set's total_voting_power member, which
// types.ValidatorSetFromProto drops.
func refDecodeCheckpoint(cp *Checkpoint) (sh *types.SignedHeader, vals *types.ValidatorSet, total int64, verr *VerifyError) {
	defer func() {
		if p := recover(); p != nil {
			sh, vals = nil, nil
			verr = fail(StepCheckpoint, ErrCheckpoint, "a decodable checkpoint", fmt.Sprint(p), "the checkpoint does not decode")
		}
	}()
	var shp cmtproto.SignedHeader
	if err := refUnmarshalCanonical(cp.SignedHeader, &shp); err != nil {
		return nil, nil, 0, fail(StepCheckpoint, ErrCheckpoint, "a protobuf tendermint.types.SignedHeader", err.Error(), "the signed header does not decode")
	}
	var vsp cmtproto.ValidatorSet
	if err := refUnmarshalCanonical(cp.ValidatorSet, &vsp); err != nil {
		return nil, nil, 0, fail(StepCheckpoint, ErrCheckpoint, "a protobuf tendermint.types.ValidatorSet", err.Error(), "the validator set does not decode")
	}
	var err error
	if shp.Commit != nil { // the values CometBFT writes, not any int32 that reads as one as a byte
		for i, cs := range shp.Commit.Signatures {
			if f := types.BlockIDFlag(cs.BlockIdFlag); int32(f) != int32(cs.BlockIdFlag) ||
				(f != types.BlockIDFlagAbsent && f != types.BlockIDFlagCommit && f != types.BlockIDFlagNil) {
				err = fmt.Errorf("commit signature %d: block_id_flag %d is not 1 (ABSENT), 2 (COMMIT) or 3 (NIL)", i, int32(cs.BlockIdFlag))
				break
			}
		}
	}
	if err != nil {
		return nil, nil, 0, fail(StepCheckpoint, ErrCheckpoint, "a header and its commit", err.Error(), "the signed header is malformed")
	}
	sh, err = types.SignedHeaderFromProto(&shp)
	if err == nil && (sh.Header == nil || sh.Commit == nil) {
		err = fmt.Errorf("missing header or commit")
	}
	if err != nil {
		return nil, nil, 0, fail(StepCheckpoint, ErrCheckpoint, "a header and its commit", err.Error(), "the signed header is malformed")
	}
	if vals, err = types.ValidatorSetFromProto(&vsp); err != nil {
		return nil, nil, 0, fail(StepCheckpoint, ErrCheckpoint, "a valid validator set", err.Error(), "the validator set is malformed")
	}
	return sh, vals, vsp.TotalVotingPower, nil
}

// checkHeader checks chain ID, height and AppHash, then ValidateBasic.
func (v *refVerifier) refCheckHeader(cp *Checkpoint, sh *types.SignedHeader) error {
	chainID := v.trust.ChainID
	switch {
	case cp.ChainID != chainID:
		return fail(StepCheckpoint, ErrCheckpoint, "chain "+chainID+" (trust bundle)", "chain "+cp.ChainID+" (receipt)",
			"the checkpoint is from another chain than the trusted one")
	case sh.ChainID != chainID:
		return fail(StepCheckpoint, ErrCheckpoint, "chain "+chainID+" (trust bundle)", "chain "+sh.ChainID+" (signed header)",
			"the signed header is from another chain than the trusted one")
	case sh.Height != cp.Height:
		return fail(StepCheckpoint, ErrCheckpoint, fmt.Sprintf("height %d (receipt)", cp.Height), fmt.Sprintf("height %d (signed header)", sh.Height),
			"the signed header is not at the checkpoint's height")
	}
	root, _ := hex.DecodeString(cp.Root) // r.check ruled out bad hex
	if want := AppHash(cp.TreeSize, root); !bytes.Equal(sh.AppHash, want) {
		return fail(StepCheckpoint, ErrCheckpoint,
			fmt.Sprintf("AppHash %x (tree size %d, root %s)", want, cp.TreeSize, cp.Root), fmt.Sprintf("AppHash %x", []byte(sh.AppHash)),
			"the signed header's AppHash does not commit to the receipt's log size and root")
	}
	// The header hash is the Merkle root of its fields (CometBFT spec,
	// "Header"); the commit signs it as BlockID.Hash.
	if hh := sh.Header.Hash(); !bytes.Equal(sh.Commit.BlockID.Hash, hh) {
		return fail(StepCheckpoint, ErrCheckpoint, fmt.Sprintf("block hash %X (the hash of the signed header)", []byte(hh)),
			fmt.Sprintf("block hash %X (signed by the commit)", []byte(sh.Commit.BlockID.Hash)),
			"the commit signs another block than the header: the header was altered")
	}
	if err := sh.ValidateBasic(chainID); err != nil {
		return &VerifyError{Step: StepCheckpoint, Want: "a well-formed header and commit", Got: "a malformed one",
			Err: fmt.Errorf("%w: %w", ErrCheckpoint, err)}
	}
	return nil
}

// checkValidators checks the receipt's validator set against the trusted
// one, and the header's ValidatorsHash against both.
func (v *refVerifier) refCheckValidators(sh *types.SignedHeader, vals *types.ValidatorSet, total int64) error {
	for _, val := range vals.Validators {
		_, tv := v.valset.GetByAddress(val.Address)
		if tv == nil || !tv.PubKey.Equals(val.PubKey) {
			return fail(StepCheckpoint, ErrCheckpoint, "only validators of the trust bundle",
				fmt.Sprintf("validator %s with key %x", val.Address, val.PubKey.Bytes()),
				"the checkpoint's validator set holds a validator the trust bundle does not list")
		}
		if tv.VotingPower != val.VotingPower {
			return fail(StepCheckpoint, ErrCheckpoint, fmt.Sprintf("power %d for %s", tv.VotingPower, v.name(tv.Address)),
				fmt.Sprintf("power %d", val.VotingPower), "a validator's voting power differs from the trust bundle's")
		}
	}
	if th := v.valset.Hash(); !bytes.Equal(sh.ValidatorsHash, th) {
		return fail(StepCheckpoint, ErrCheckpoint, fmt.Sprintf("ValidatorsHash %X (the trusted validators)", th),
			fmt.Sprintf("ValidatorsHash %X (signed header)", []byte(sh.ValidatorsHash)),
			"the block's validators are not the trusted validators")
	}
	if rh := vals.Hash(); !bytes.Equal(rh, sh.ValidatorsHash) {
		return fail(StepCheckpoint, ErrCheckpoint, fmt.Sprintf("ValidatorsHash %X (signed header)", []byte(sh.ValidatorsHash)),
			fmt.Sprintf("ValidatorsHash %X (receipt's validator set)", rh), "the receipt's validator set is not the block's")
	}
	// The one spelling: the set as types.NewValidatorSet builds it from the
	// trusted validators and ToProto writes it.
	bad := func(want, got, format string, args ...any) error {
		return fail(StepCheckpoint, ErrCheckpoint, want, got, format, args...)
	}
	for i, got := range vals.Validators {
		if want := v.valset.Validators[i]; got.ProposerPriority != want.ProposerPriority {
			return bad(fmt.Sprintf("proposer_priority %d for %s", want.ProposerPriority, v.name(want.Address)),
				fmt.Sprintf("proposer_priority %d", got.ProposerPriority),
				"a validator's proposer priority is not the one CometBFT gives the trusted validator set")
		}
	}
	got, want := vals.Proposer, v.valset.GetProposer()
	if !bytes.Equal(got.Address, want.Address) || !got.PubKey.Equals(want.PubKey) || got.VotingPower != want.VotingPower || got.ProposerPriority != want.ProposerPriority {
		return bad(fmt.Sprintf("proposer %s, power %d, proposer_priority %d", v.name(want.Address), want.VotingPower, want.ProposerPriority),
			fmt.Sprintf("proposer %X, power %d, proposer_priority %d", []byte(got.Address), got.VotingPower, got.ProposerPriority),
			"the validator set's proposer is not the one CometBFT gives the trusted validator set")
	}
	if total != 0 {
		return bad("total_voting_power 0 (absent, as CometBFT writes it)", fmt.Sprintf("total_voting_power %d", total),
			"the validator set is not in its canonical form")
	}
	return nil
}

// checkCommit verifies the commit's signatures with the trusted set and
// returns the validators that signed the block.
func (v *refVerifier) refCheckCommit(sh *types.SignedHeader) ([]Signer, error) {
	c := sh.Commit
	// Every signature present, for the block or for nil, is verified, not
	// just enough of them: the signers listed are exactly those whose
	// signature checked, and a NIL slot cannot be changed.
	if err := types.VerifyCommit(v.trust.ChainID, v.valset, c.BlockID, sh.Height, c); err != nil {
		return nil, v.refExplainCommit(sh, err)
	}
	var signers []Signer
	for i, s := range c.Signatures {
		if s.BlockIDFlag == types.BlockIDFlagCommit {
			val := v.valset.Validators[i]
			tv := v.validators[val.Address.String()]
			signers = append(signers, Signer{Name: tv.Name, Kind: tv.Kind, Address: val.Address.String(), Power: val.VotingPower})
		}
	}
	return signers, nil
}

// explainCommit turns a failed commit check into what a court can read:
// which signature is bad, or how much power signed against how much is
// needed. It re-checks each signature alone; it runs only on failure.
func (v *refVerifier) refExplainCommit(sh *types.SignedHeader, cause error) *VerifyError {
	c := sh.Commit
	total := v.valset.TotalVotingPower()
	bad := func(want, got, format string, args ...any) *VerifyError {
		return fail(StepCheckpoint, ErrCheckpoint, want, got, format, args...)
	}
	if len(c.Signatures) != v.valset.Size() {
		return bad(fmt.Sprintf("%d signature slots, one per trusted validator", v.valset.Size()),
			fmt.Sprintf("%d", len(c.Signatures)), "the commit does not match the trusted validator set")
	}
	var signed int64
	var names []string
	for i, s := range c.Signatures {
		if s.BlockIDFlag == types.BlockIDFlagAbsent {
			continue
		}
		val := v.valset.Validators[i]
		if !bytes.Equal(val.Address, s.ValidatorAddress) {
			return bad(fmt.Sprintf("slot %d signed by %s", i, v.name(val.Address)),
				fmt.Sprintf("validator address %X", []byte(s.ValidatorAddress)), "commit slot %d names another validator", i)
		}
		ok := len(s.Signature) == 64 && val.PubKey.VerifySignature(c.VoteSignBytes(v.trust.ChainID, int32(i)), s.Signature)
		if !ok && s.BlockIDFlag == types.BlockIDFlagNil {
			return bad("a valid nil precommit signature from "+v.name(val.Address), fmt.Sprintf("signature %X, which does not verify", s.Signature),
				"the nil-vote signature of %s in commit slot %d does not verify", v.name(val.Address), i)
		}
		if !ok {
			return bad("a valid precommit signature from "+v.name(val.Address), fmt.Sprintf("signature %X, which does not verify", s.Signature),
				"the commit signature of %s does not verify", v.name(val.Address))
		}
		if s.BlockIDFlag != types.BlockIDFlagCommit {
			continue
		}
		signed += val.VotingPower
		names = append(names, v.name(val.Address))
	}
	if signed*3 <= total*2 {
		return bad(fmt.Sprintf("signatures from more than 2/3 of the voting power (more than %d of %d)", total*2/3, total),
			fmt.Sprintf("%d of %d, from %s", signed, total, orNone(strings.Join(names, ", "))),
			"too few trusted validators signed the checkpoint for it to be final")
	}
	return &VerifyError{Step: StepCheckpoint, Want: "a valid commit", Got: cause.Error(), Err: fmt.Errorf("%w: %w", ErrCheckpoint, cause)}
}

// name is a validator's name from the trust bundle, with its address.
func (v *refVerifier) name(addr []byte) string {
	a := fmt.Sprintf("%X", addr)
	if tv, ok := v.validators[a]; ok {
		return fmt.Sprintf("%s (%s)", tv.Name, a)
	}
	return a
}

// refUnmarshalCanonical is unmarshalCanonical with CometBFT's generated
// code: decode, then require that the message re-encodes to the same bytes.
func refUnmarshalCanonical(b64 string, m interface {
	Unmarshal([]byte) error
	Marshal() ([]byte, error)
}) error {
	b, err := decodeBase64(b64)
	if err != nil {
		return err
	}
	if err := m.Unmarshal(b); err != nil {
		return err
	}
	again, err := m.Marshal()
	if err != nil {
		return err
	}
	if !bytes.Equal(again, b) {
		return fmt.Errorf("not the canonical protobuf encoding")
	}
	return nil
}
