package receipt

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// AppHash returns the AppHash that commits to a log of size leaves with
// the given RFC 6962 root: size as 8 bytes big-endian, then the 32-byte
// root.
func AppHash(size uint64, root []byte) []byte {
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(root)), size), root...)
}

// AppHashV2 returns the AppHash of a chain at state version 2: 0x02, then
// AppHash(size, root), then the 32-byte root of the state map.
func AppHashV2(size uint64, root, stateRoot []byte) []byte {
	return append(append([]byte{2}, AppHash(size, root)...), stateRoot...)
}

// appHashOf is the AppHash a checkpoint claims: version 2's when it has a
// state root, else version 1's.
func appHashOf(cp *Checkpoint) []byte {
	root, _ := hex.DecodeString(cp.Root) // check ruled out bad hex
	if cp.StateRoot == "" {
		return AppHash(cp.TreeSize, root)
	}
	state, _ := hex.DecodeString(cp.StateRoot)
	if cp.HeadsSince != nil {
		return AppHashV3(cp.TreeSize, root, state, *cp.HeadsSince)
	}
	return AppHashV2(cp.TreeSize, root, state)
}

// AppHashV3 returns the AppHash of a chain at state version 3: AppHashV2
// with 0x03 for 0x02, then since (8 bytes, big-endian), the log size at
// which version 3 began.
func AppHashV3(size uint64, root, stateRoot []byte, since uint64) []byte {
	b := AppHashV2(size, root, stateRoot)
	b[0] = 3
	return binary.BigEndian.AppendUint64(b, since)
}

// checkCheckpoint checks that cp is a block header of the trusted chain,
// finalized by the trusted validators, whose AppHash commits to the log:
//
//  1. the signed header and validator set decode (canonical protobuf,
//     block_id_flag 1, 2 or 3) and are well formed (CometBFT
//     SignedHeaderFromProto, ValidatorSetFromProto);
//  2. chain IDs of trust, checkpoint and header agree, heights agree;
//  3. the header's AppHash is TreeSize ‖ Root (state version 1), or
//     0x02 ‖ TreeSize ‖ Root ‖ StateRoot (state version 2);
//  4. the commit signs this header's hash, and SignedHeader.ValidateBasic
//     holds;
//  5. every validator in the receipt's set is trusted, with the same power,
//     and the header's ValidatorsHash is the trusted set's hash;
//  6. the receipt's validator set has the proposer priorities, proposer
//     and total_voting_power CometBFT gives the trusted set (one spelling);
//  7. every slot that is not absent names its validator and carries its
//     valid signature, and the COMMIT slots hold more than 2/3 of the
//     trusted voting power (VerifyCommit).
//
// The CometBFT algorithms are reimplemented in cometbft.go over the
// protobuf types, so that this package builds for WebAssembly.
func (v *Verifier) checkCheckpoint(cp *Checkpoint) (CheckpointResult, error) {
	return v.checkCheckpointIn(cp, v.genesisEra())
}

// checkCheckpointIn is checkCheckpoint against the validator set in force
// at the checkpoint's height, e: the trust bundle's (checks 5 and 6 as
// above), or a set reached by transitions (transition.go), which must be
// the block's validators by hash (keys, powers and order) and signs the
// commit; its proposer priorities are not checked (docs/governance.md).
func (v *Verifier) checkCheckpointIn(cp *Checkpoint, e *era) (CheckpointResult, error) {
	sh, vals, verr := decodeCheckpoint(cp)
	if verr != nil {
		return CheckpointResult{}, verr
	}
	if err := v.checkHeader(cp, sh); err != nil {
		return CheckpointResult{}, err
	}
	if e.genesis {
		if err := v.checkValidators(sh.Header, vals); err != nil {
			return CheckpointResult{}, err
		}
	} else if err := checkEraValidators(sh.Header, vals, e); err != nil {
		return CheckpointResult{}, err
	}
	signers, err := v.checkCommit(sh, e.set)
	if err != nil {
		return CheckpointResult{}, err
	}
	res := CheckpointResult{
		ChainID: sh.Header.ChainID, Height: sh.Header.Height, Time: blockTime(sh.Header), TreeSize: cp.TreeSize, Root: cp.Root,
		BlockHash: hex.EncodeToString(sh.Commit.BlockID.Hash), Signers: signers, TotalPower: e.set.total, Transitions: e.applied,
	}
	for _, s := range signers {
		res.SignedPower += s.Power
	}
	return res, nil
}

// decodeCheckpoint decodes the protobuf SignedHeader and ValidatorSet of
// cp and checks them as CometBFT's SignedHeaderFromProto and
// ValidatorSetFromProto do. Each must be the canonical (deterministic
// gogoproto) encoding of what it decodes to, so that a receipt has one
// spelling. A panic in the decoders on hostile bytes is turned into an
// error.
func decodeCheckpoint(cp *Checkpoint) (sh *pbSignedHeader, vals *validatorSet, verr *VerifyError) {
	defer func() {
		if p := recover(); p != nil {
			sh, vals = nil, nil
			verr = fail(StepCheckpoint, ErrCheckpoint, "a decodable checkpoint", fmt.Sprint(p), "the checkpoint does not decode")
		}
	}()
	var shp pbSignedHeader
	if err := unmarshalCanonical(cp.SignedHeader, &shp); err != nil {
		return nil, nil, fail(StepCheckpoint, ErrCheckpoint, "a protobuf tendermint.types.SignedHeader", err.Error(), "the signed header does not decode")
	}
	var vsp pbValidatorSet
	if err := unmarshalCanonical(cp.ValidatorSet, &vsp); err != nil {
		return nil, nil, fail(StepCheckpoint, ErrCheckpoint, "a protobuf tendermint.types.ValidatorSet", err.Error(), "the validator set does not decode")
	}
	err := checkFlags(shp.Commit)
	if err == nil {
		err = signedHeaderFromProto(&shp)
	}
	if err == nil && (shp.Header == nil || shp.Commit == nil) {
		err = fmt.Errorf("missing header or commit")
	}
	if err != nil {
		return nil, nil, fail(StepCheckpoint, ErrCheckpoint, "a header and its commit", err.Error(), "the signed header is malformed")
	}
	if vals, err = validatorSetFromProto(&vsp); err != nil {
		return nil, nil, fail(StepCheckpoint, ErrCheckpoint, "a valid validator set", err.Error(), "the validator set is malformed")
	}
	return &shp, vals, nil
}

// protoMessage is a message of protobuf.go.
type protoMessage interface {
	decode([]byte) error
	encode([]byte) []byte
}

func unmarshalCanonical(b64 string, m protoMessage) error {
	b, err := decodeBase64(b64)
	if err != nil {
		return err
	}
	if err := m.decode(b); err != nil {
		return err
	}
	if !bytes.Equal(m.encode(make([]byte, 0, len(b))), b) {
		return fmt.Errorf("not the canonical protobuf encoding")
	}
	return nil
}

// checkHeader checks chain ID, height, AppHash and the block hash, then
// SignedHeader.ValidateBasic.
func (v *Verifier) checkHeader(cp *Checkpoint, sh *pbSignedHeader) error {
	chainID, h := v.trust.ChainID, sh.Header
	switch {
	case cp.ChainID != chainID:
		return fail(StepCheckpoint, ErrCheckpoint, "chain "+chainID+" (trust bundle)", "chain "+cp.ChainID+" (receipt)",
			"the checkpoint is from another chain than the trusted one")
	case h.ChainID != chainID:
		return fail(StepCheckpoint, ErrCheckpoint, "chain "+chainID+" (trust bundle)", "chain "+h.ChainID+" (signed header)",
			"the signed header is from another chain than the trusted one")
	case h.Height != cp.Height:
		return fail(StepCheckpoint, ErrCheckpoint, fmt.Sprintf("height %d (receipt)", cp.Height), fmt.Sprintf("height %d (signed header)", h.Height),
			"the signed header is not at the checkpoint's height")
	}
	if want := appHashOf(cp); !bytes.Equal(h.AppHash, want) {
		what := fmt.Sprintf("AppHash %x (tree size %d, root %s)", want, cp.TreeSize, cp.Root)
		if cp.StateRoot != "" {
			what = fmt.Sprintf("AppHash %x (state version 2, tree size %d, root %s, state root %s)", want, cp.TreeSize, cp.Root, cp.StateRoot)
		}
		return fail(StepCheckpoint, ErrCheckpoint, what, fmt.Sprintf("AppHash %x", h.AppHash),
			"the signed header's AppHash does not commit to the receipt's log size and root")
	}
	// The header hash is the Merkle root of its fields (CometBFT spec,
	// "Header"); the commit signs it as BlockID.Hash.
	if hh := headerHash(h); !bytes.Equal(sh.Commit.BlockID.Hash, hh) {
		return fail(StepCheckpoint, ErrCheckpoint, fmt.Sprintf("block hash %X (the hash of the signed header)", hh),
			fmt.Sprintf("block hash %X (signed by the commit)", sh.Commit.BlockID.Hash),
			"the commit signs another block than the header: the header was altered")
	}
	if err := validateSignedHeader(sh, chainID); err != nil {
		return &VerifyError{Step: StepCheckpoint, Want: "a well-formed header and commit", Got: "a malformed one",
			Err: fmt.Errorf("%w: %w", ErrCheckpoint, err)}
	}
	return nil
}

// checkValidators checks the receipt's validator set against the trusted
// one, and the header's ValidatorsHash against both.
func (v *Verifier) checkValidators(h *pbHeader, vals *validatorSet) error {
	for _, val := range vals.Validators {
		tv := v.valset.byAddress(val.Address)
		if tv == nil || !bytes.Equal(tv.PubKey, val.PubKey) {
			return fail(StepCheckpoint, ErrCheckpoint, "only validators of the trust bundle",
				fmt.Sprintf("validator %X with key %x", val.Address, []byte(val.PubKey)),
				"the checkpoint's validator set holds a validator the trust bundle does not list")
		}
		if tv.Power != val.Power {
			return fail(StepCheckpoint, ErrCheckpoint, fmt.Sprintf("power %d for %s", tv.Power, v.name(tv.Address)),
				fmt.Sprintf("power %d", val.Power), "a validator's voting power differs from the trust bundle's")
		}
	}
	if th := v.valsetHash; !bytes.Equal(h.ValidatorsHash, th) {
		return fail(StepCheckpoint, ErrCheckpoint, fmt.Sprintf("ValidatorsHash %X (the trusted validators)", th),
			fmt.Sprintf("ValidatorsHash %X (signed header)", h.ValidatorsHash),
			"the block's validators are not the trusted validators")
	}
	if rh := vals.hash(); !bytes.Equal(rh, h.ValidatorsHash) {
		return fail(StepCheckpoint, ErrCheckpoint, fmt.Sprintf("ValidatorsHash %X (signed header)", h.ValidatorsHash),
			fmt.Sprintf("ValidatorsHash %X (receipt's validator set)", rh), "the receipt's validator set is not the block's")
	}
	return v.checkPriorities(vals)
}

// checkPriorities requires the rest of the receipt's validator set, which
// the ValidatorsHash does not cover, to be what the receipt writer
// produces: the proposer priorities and the proposer that
// types.NewValidatorSet gives the trusted validators (initialPriorities),
// and total_voting_power 0, as ValidatorSet.ToProto writes it. Without
// this, those members could be changed and the receipt would still verify.
// checkValidators has established that vals holds the trusted validators
// in the trusted order.
func (v *Verifier) checkPriorities(vals *validatorSet) error {
	bad := func(want, got, format string, args ...any) error {
		return fail(StepCheckpoint, ErrCheckpoint, want, got, format, args...)
	}
	for i := range vals.Validators {
		got, want := &vals.Validators[i], &v.valset.Validators[i]
		if got.Priority != want.Priority {
			return bad(fmt.Sprintf("proposer_priority %d for %s", want.Priority, v.name(want.Address)),
				fmt.Sprintf("proposer_priority %d", got.Priority),
				"a validator's proposer priority is not the one CometBFT gives the trusted validator set")
		}
	}
	got, want := vals.Proposer, v.valset.Proposer
	if !bytes.Equal(got.Address, want.Address) || !bytes.Equal(got.PubKey, want.PubKey) || got.Power != want.Power || got.Priority != want.Priority {
		return bad(fmt.Sprintf("proposer %s, power %d, proposer_priority %d", v.name(want.Address), want.Power, want.Priority),
			fmt.Sprintf("proposer %X, power %d, proposer_priority %d", got.Address, got.Power, got.Priority),
			"the validator set's proposer is not the one CometBFT gives the trusted validator set")
	}
	if vals.protoTotal != 0 {
		return bad("total_voting_power 0 (absent, as CometBFT writes it)", fmt.Sprintf("total_voting_power %d", vals.protoTotal),
			"the validator set is not in its canonical form")
	}
	return nil
}

// checkCommit verifies the commit with the trusted set, as CometBFT's
// VerifyCommit does (a full node's check, which unlike the light client's
// VerifyCommitLightAllSignatures also checks nil votes), and returns the
// validators that signed the block. The commit has one slot per trusted
// validator, in the set's order; absent slots are skipped; every other
// slot, for the block (COMMIT) or for nil (NIL), must name its validator
// and carry its valid Ed25519 signature over the vote sign bytes (RFC 8032
// §5.1.7, crypto/ed25519), so that nothing in a NIL slot can be changed
// either; only COMMIT slots count, and their signers must hold more than
// 2/3 of the trusted power. Every signature is checked, not just enough of
// them: the signers listed are exactly those whose signature verified.
func (v *Verifier) checkCommit(sh *pbSignedHeader, set *validatorSet) ([]Signer, error) {
	c := sh.Commit
	bad := func(want, got, format string, args ...any) error {
		return fail(StepCheckpoint, ErrCheckpoint, want, got, format, args...)
	}
	if len(c.Signatures) != len(set.Validators) {
		return nil, bad(fmt.Sprintf("%d signature slots, one per trusted validator", len(set.Validators)),
			fmt.Sprintf("%d", len(c.Signatures)), "the commit does not match the trusted validator set")
	}
	verified := v.verifySignatures(c, set)
	var signed int64
	var signers []Signer
	var names []string
	for i := range c.Signatures {
		s := &c.Signatures[i]
		flag := blockIDFlag(s)
		if flag == flagAbsent {
			continue
		}
		val := &set.Validators[i]
		if !bytes.Equal(val.Address, s.ValidatorAddress) {
			return nil, bad(fmt.Sprintf("slot %d signed by %s", i, v.name(val.Address)),
				fmt.Sprintf("validator address %X", s.ValidatorAddress), "commit slot %d names another validator", i)
		}
		if !verified[i] && flag == flagNil {
			return nil, bad("a valid nil precommit signature from "+v.name(val.Address), fmt.Sprintf("signature %X, which does not verify", s.Signature),
				"the nil-vote signature of %s in commit slot %d does not verify", v.name(val.Address), i)
		}
		if !verified[i] {
			return nil, bad("a valid precommit signature from "+v.name(val.Address), fmt.Sprintf("signature %X, which does not verify", s.Signature),
				"the commit signature of %s does not verify", v.name(val.Address))
		}
		if flag != flagCommit {
			continue // a nil vote counts nothing
		}
		signed += val.Power
		signer := Signer{Address: fmt.Sprintf("%X", val.Address), Power: val.Power}
		if tv := v.validators[signer.Address]; tv != nil && bytes.Equal(v.valset.byAddress(val.Address).PubKey, val.PubKey) {
			signer.Name, signer.Kind = tv.Name, tv.Kind
		}
		signers = append(signers, signer)
		names = append(names, v.name(val.Address))
	}
	// CometBFT: tallied > total*2/3 (integer division), the same as
	// 3*signed > 2*total; total is at most MaxInt64/8, so neither overflows.
	if total := set.total; signed*3 <= total*2 {
		return nil, bad(fmt.Sprintf("signatures from more than 2/3 of the voting power (more than %d of %d)", total*2/3, total),
			fmt.Sprintf("%d of %d, from %s", signed, total, orNone(strings.Join(names, ", "))),
			"too few trusted validators signed the checkpoint for it to be final")
	}
	return signers, nil
}

// verifySignatures checks the Ed25519 signature of each slot that is not
// absent (RFC 8032 §5.1.7, crypto/ed25519) with the key of the validator
// of set at the same index; absent slots are false.
func (v *Verifier) verifySignatures(c *pbCommit, set *validatorSet) []bool {
	ok := make([]bool, len(c.Signatures))
	v.verifySlots(c, set, nil, ok)
	return ok
}

// verifySlots sets ok[i] for the slots of c at the indexes only (nil: every
// slot), as verifySignatures does. With more than one CPU the signatures
// are checked in parallel, by at most GOMAXPROCS goroutines: CometBFT
// batch-verifies them, which the standard library cannot, and this keeps a
// checkpoint's latency where it was. In the browser (one thread) they are
// checked in turn.
func (v *Verifier) verifySlots(c *pbCommit, set *validatorSet, indexes []int, ok []bool) {
	n := len(indexes)
	if indexes == nil {
		n = len(c.Signatures)
	}
	verify := func(k int) {
		i := k
		if indexes != nil {
			i = indexes[k]
		}
		s := &c.Signatures[i]
		if blockIDFlag(s) == flagAbsent || len(s.Signature) != ed25519.SignatureSize {
			return
		}
		ok[i] = verifyEd25519(set.Validators[i].PubKey, voteSignBytes(v.trust.ChainID, c, i), s.Signature)
	}
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for k := 0; k < n; k++ {
			verify(k)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for k := int(next.Add(1) - 1); k < n; k = int(next.Add(1) - 1) {
				verify(k)
			}
		})
	}
	wg.Wait()
}

// verifyEd25519 is ed25519.Verify (RFC 8032 §5.1.7); tests count its calls.
var verifyEd25519 = ed25519.Verify

// name is a validator's name from the trust bundle, with its address.
func (v *Verifier) name(addr []byte) string {
	a := fmt.Sprintf("%X", addr)
	if tv, ok := v.validators[a]; ok {
		return fmt.Sprintf("%s (%s)", tv.Name, a)
	}
	return a
}
