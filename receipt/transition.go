package receipt

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// StepTransition names the check of a validator-set transition.
const StepTransition = "transition"

// ErrTransition reports a validator-set transition that does not check:
// malformed, out of order, from another chain, not signed by more than 2/3
// of the set before it, or naming a next set it does not carry.
var ErrTransition = errors.New("receipt: validator-set transition does not check")

// MaxTransitions bounds the transitions a receipt, a bundle or a
// transitions file may carry.
const MaxTransitions = 1000

// Transition is a change of the validator set as a light client follows it
// (docs/governance.md, "Receipts across validator-set changes"): the
// CometBFT header at Height, signed by the set in force before it, whose
// next_validators_hash is the hash of NextValidatorSet, which signs from
// Height + 1. It is what anchor.Transition encodes.
type Transition struct {
	Height int64 `json:"height"`
	// SignedHeader is the CometBFT SignedHeader at Height, protobuf,
	// standard base64, canonical (as Checkpoint.SignedHeader).
	SignedHeader string `json:"signed_header"`
	// NextValidatorSet is the CometBFT ValidatorSet that signs from
	// Height + 1, protobuf, standard base64, canonical.
	NextValidatorSet string `json:"next_validator_set"`
	// ValidatorSet is, for a transition that skips (its header is not
	// signed by the set in force before it but by a later one), the
	// header's own validator set, which hashes to its validators_hash.
	// Omitted otherwise.
	ValidatorSet string `json:"validator_set,omitempty"`
}

// Era is a validator set in force, as VerifyTransitions establishes it.
type Era struct {
	From int64  `json:"from"` // the first height the set signs (0: the trust bundle's set)
	Hash string `json:"hash"` // hex ValidatorsHash of the set
	// Power is the set's total voting power and Size its member count.
	Power int64 `json:"power"`
	Size  int   `json:"size"`
}

// era is a validator set in force from a height.
type era struct {
	from    int64
	set     *validatorSet
	hash    []byte
	genesis bool // the trust bundle's set
	applied int  // transitions followed to reach it
}

func (v *Verifier) genesisEra() *era {
	return &era{set: v.valset, hash: v.valsetHash, genesis: true}
}

// ParseTransitions decodes a JSON array of transitions strictly (no
// unknown member, no trailing data) and checks the form of each.
func ParseTransitions(b []byte) ([]Transition, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes is over the %d-byte limit", ErrMalformed, len(b), MaxSize)
	}
	var ts []Transition
	if err := decodeStrict(b, &ts); err != nil {
		return nil, fmt.Errorf("%w: transitions: %v", ErrMalformed, err)
	}
	if err := checkTransitions(ts); err != nil {
		return nil, err
	}
	return ts, nil
}

// checkTransitions checks the form of a list of transitions.
func checkTransitions(ts []Transition) error {
	if len(ts) > MaxTransitions {
		return fmt.Errorf("%w: %d transitions, at most %d", ErrMalformed, len(ts), MaxTransitions)
	}
	for i := range ts {
		t := &ts[i]
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%w: transitions[%d]: "+format, append([]any{ErrMalformed, i}, args...)...)
		}
		if t.Height < 1 {
			return bad("height %d", t.Height)
		}
		if err := checkBase64(t.SignedHeader); err != nil {
			return bad("signed_header: %v", err)
		}
		if err := checkBase64(t.NextValidatorSet); err != nil {
			return bad("next_validator_set: %v", err)
		}
		if t.ValidatorSet != "" {
			if err := checkBase64(t.ValidatorSet); err != nil {
				return bad("validator_set: %v", err)
			}
		}
	}
	return nil
}

// VerifyTransitions follows ts from the trust bundle's validator set and
// returns the sets in force: the bundle's first (From 0), then one per
// transition, in force from its height + 1. It stops at the first
// transition that does not check (a *VerifyError of step transition).
func (v *Verifier) VerifyTransitions(ts []Transition) ([]Era, error) {
	if err := checkTransitions(ts); err != nil {
		return nil, &VerifyError{Step: StepTransition, Err: err}
	}
	e := v.genesisEra()
	eras := []Era{e.public()}
	for i := range ts {
		next, err := v.checkTransition(e, &ts[i], i)
		if err != nil {
			return nil, err
		}
		e = next
		eras = append(eras, e.public())
	}
	return eras, nil
}

func (e *era) public() Era {
	return Era{From: e.from, Hash: hex.EncodeToString(e.hash), Power: e.set.total, Size: len(e.set.Validators)}
}

// eraAt follows ts to the set in force at height: the last transition
// whose height + 1 ≤ height. With all set, every transition must be before
// height (a receipt carries only those it needs); otherwise later ones are
// left unchecked (a companion list or bundle may reach beyond the receipt).
func (v *Verifier) eraAt(ts []Transition, height int64, all bool) (*era, error) {
	n := 0
	for n < len(ts) && ts[n].Height+1 <= height {
		n++
	}
	if n == 0 && (len(ts) == 0 || !all) {
		return v.genesisEra(), nil
	}
	key := transitionsKey(ts[:n])
	if n == len(ts) || !all { // else the list fails: a transition after the height
		if e, ok := v.checkpoints.era(key); ok {
			return e, nil
		}
	}
	e, err := v.followTransitions(ts, height, all)
	if err == nil {
		v.checkpoints.putEra(key, e)
	}
	return e, err
}

// transitionsKey is the SHA-256 of every field of ts, each preceded by its
// length, so that two lists have the same key only if they are equal.
func transitionsKey(ts []Transition) [sha256.Size]byte {
	h := sha256.New()
	for i := range ts {
		t := &ts[i]
		b := binary.BigEndian.AppendUint64(nil, uint64(t.Height))
		for _, s := range []string{t.SignedHeader, t.NextValidatorSet, t.ValidatorSet} {
			b = append(binary.BigEndian.AppendUint64(b, uint64(len(s))), s...)
		}
		h.Write(b)
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// followTransitions is eraAt without the cache.
func (v *Verifier) followTransitions(ts []Transition, height int64, all bool) (*era, error) {
	e := v.genesisEra()
	for i := range ts {
		t := &ts[i]
		if t.Height+1 > height {
			if all {
				return nil, fail(StepTransition, ErrTransition, fmt.Sprintf("transitions before the checkpoint's height %d", height),
					fmt.Sprintf("transition %d at height %d", i+1, t.Height), "the receipt carries a transition at or after its checkpoint")
			}
			break
		}
		next, err := v.checkTransition(e, t, i)
		if err != nil {
			return nil, err
		}
		e = next
	}
	return e, nil
}

// checkTransition checks transition t (index i; messages count from 1) against the set in force
// before it, cur, and returns the set it leads to (docs/governance.md):
//
//  1. its signed header and next validator set decode (canonical
//     protobuf) and are well formed, the header is of the trusted chain at
//     t.Height, after cur's first height, and the commit signs it;
//  2. the header's validators_hash is cur's hash and the commit has one
//     slot per member of cur; or, skipping, t.ValidatorSet hashes to it
//     and more than 2/3 of that set's power signed;
//  3. the COMMIT slots of members of cur (by address and key, with cur's
//     powers) hold more than 2/3 of cur's total power;
//  4. next_validator_set hashes to the header's next_validators_hash, and
//     its keys are distinct Ed25519 keys with positive powers.
//
// The slots' addresses and the powers they claim (2 and 3) are checked
// before any signature; then the signatures of members of cur, then the
// others: a hostile validator set costs no signature verification unless
// cur signed the header.
func (v *Verifier) checkTransition(cur *era, t *Transition, i int) (next *era, err error) {
	bad := func(want, got, format string, args ...any) error {
		return fail(StepTransition, ErrTransition, want, got, fmt.Sprintf("transition %d (height %d): ", i+1, t.Height)+format, args...)
	}
	defer func() {
		if p := recover(); p != nil {
			next, err = nil, bad("a decodable transition", fmt.Sprint(p), "does not decode")
		}
	}()
	if t.Height < cur.from {
		return nil, bad(fmt.Sprintf("a height of %d or more (after the previous transition)", cur.from), fmt.Sprint(t.Height),
			"transitions are out of order")
	}
	var sh pbSignedHeader
	if err := unmarshalCanonical(t.SignedHeader, &sh); err != nil {
		return nil, bad("a protobuf tendermint.types.SignedHeader", err.Error(), "the signed header does not decode")
	}
	err = checkFlags(sh.Commit)
	if err == nil {
		err = signedHeaderFromProto(&sh)
	}
	if err == nil && (sh.Header == nil || sh.Commit == nil) {
		err = fmt.Errorf("missing header or commit")
	}
	if err != nil {
		return nil, bad("a header and its commit", err.Error(), "the signed header is malformed")
	}
	h := sh.Header
	switch chainID := v.trust.ChainID; {
	case h.ChainID != chainID:
		return nil, bad("chain "+chainID+" (trust bundle)", "chain "+h.ChainID, "the transition is from another chain")
	case h.Height != t.Height:
		return nil, bad(fmt.Sprintf("height %d", t.Height), fmt.Sprintf("height %d (signed header)", h.Height), "the signed header is not at the transition's height")
	}
	if err := validateSignedHeader(&sh, v.trust.ChainID); err != nil {
		return nil, bad("a well-formed header and commit", err.Error(), "the signed header is malformed")
	}
	nextSet, err := decodeSet(t.NextValidatorSet)
	if err != nil {
		return nil, bad("a valid next_validator_set", err.Error(), "the next validator set is malformed")
	}
	if nh := nextSet.hash(); !bytes.Equal(nh, h.NextValidatorsHash) {
		return nil, bad(fmt.Sprintf("next_validators_hash %X (signed header)", h.NextValidatorsHash), fmt.Sprintf("%X (next_validator_set)", nh),
			"the next validator set is not the one the header names")
	}
	signing := cur.set
	if !bytes.Equal(h.ValidatorsHash, cur.hash) {
		if t.ValidatorSet == "" {
			return nil, bad(fmt.Sprintf("validators_hash %X (the set in force)", cur.hash), fmt.Sprintf("%X (signed header)", h.ValidatorsHash),
				"the header is not signed by the validator set in force: a transition is missing, or the header is forged")
		}
		if signing, err = decodeSet(t.ValidatorSet); err != nil {
			return nil, bad("a valid validator_set", err.Error(), "the header's validator set is malformed")
		}
		if sh := signing.hash(); !bytes.Equal(sh, h.ValidatorsHash) {
			return nil, bad(fmt.Sprintf("validators_hash %X (signed header)", h.ValidatorsHash), fmt.Sprintf("%X (validator_set)", sh),
				"the header's validator set is not the one the header names")
		}
	} else if t.ValidatorSet != "" {
		return nil, bad("no validator_set (the header is signed by the set in force)", "a validator_set", "the transition does not skip but carries a validator set")
	}
	c := sh.Commit
	if len(c.Signatures) != len(signing.Validators) {
		return nil, bad(fmt.Sprintf("%d signature slots, one per validator", len(signing.Validators)), fmt.Sprint(len(c.Signatures)),
			"the commit does not match the header's validator set")
	}
	// The slots' claims are tallied before any signature is checked, and
	// the signatures of members of cur are checked before the others: a
	// skipping transition brings its own validator set, which may hold
	// hundreds of thousands of validators of anyone's keys, and checking
	// them costs a signature each only once cur has really signed.
	var own, overlap int64
	var members, others []int
	for j := range c.Signatures {
		s := &c.Signatures[j]
		flag := blockIDFlag(s)
		if flag == flagAbsent {
			continue
		}
		val := &signing.Validators[j]
		if !bytes.Equal(val.Address, s.ValidatorAddress) {
			return nil, bad(fmt.Sprintf("slot %d signed by %X", j, val.Address), fmt.Sprintf("validator address %X", s.ValidatorAddress),
				"commit slot %d names another validator", j)
		}
		tv := cur.set.byAddress(val.Address)
		if tv != nil && bytes.Equal(tv.PubKey, val.PubKey) {
			members = append(members, j)
		} else {
			others = append(others, j)
		}
		if flag != flagCommit {
			continue
		}
		own += val.Power
		if tv != nil && bytes.Equal(tv.PubKey, val.PubKey) {
			overlap += tv.Power
		}
	}
	if total := signing.total; own*3 <= total*2 {
		return nil, bad(fmt.Sprintf("signatures from more than 2/3 of the header's validators' power (more than %d of %d)", total*2/3, total),
			fmt.Sprintf("%d of %d", own, total), "too few validators signed the transition")
	}
	if total := cur.set.total; overlap*3 <= total*2 {
		return nil, bad(fmt.Sprintf("signatures from more than 2/3 of the power of the set in force (more than %d of %d)", total*2/3, total),
			fmt.Sprintf("%d of %d", overlap, total), "too few validators of the set in force signed the transition")
	}
	verified := make([]bool, len(c.Signatures))
	for _, group := range [][]int{members, others} {
		v.verifySlots(c, signing, group, verified)
		for _, j := range group {
			if !verified[j] {
				s := &c.Signatures[j]
				return nil, bad(fmt.Sprintf("a valid precommit signature from %X", signing.Validators[j].Address), fmt.Sprintf("signature %X, which does not verify", s.Signature),
					"the commit signature in slot %d does not verify", j)
			}
		}
	}
	return &era{from: t.Height + 1, set: nextSet, hash: h.NextValidatorsHash, applied: cur.applied + 1}, nil
}

// decodeSet decodes a validator set that a hash names: canonical protobuf,
// well formed, each key Ed25519 and distinct, each power positive.
func decodeSet(b64 string) (*validatorSet, error) {
	var vp pbValidatorSet
	if err := unmarshalCanonical(b64, &vp); err != nil {
		return nil, err
	}
	vs, err := validatorSetFromProto(&vp)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, val := range vs.Validators {
		if val.Power <= 0 {
			return nil, fmt.Errorf("validator %X has power %d", val.Address, val.Power)
		}
		if seen[string(val.Address)] {
			return nil, fmt.Errorf("validator %X is listed twice", val.Address)
		}
		seen[string(val.Address)] = true
	}
	return vs, nil
}

// checkEraValidators checks a checkpoint's validator set against a set
// reached by transitions: the header's ValidatorsHash is that set's, and
// so is the receipt's set (keys, powers and order; the hash covers no
// proposer priorities, which are not checked).
func checkEraValidators(h *pbHeader, vals *validatorSet, e *era) error {
	if !bytes.Equal(h.ValidatorsHash, e.hash) {
		return fail(StepCheckpoint, ErrCheckpoint, fmt.Sprintf("ValidatorsHash %X (the validators in force at height %d, after %d transitions)", e.hash, h.Height, e.applied),
			fmt.Sprintf("ValidatorsHash %X (signed header)", h.ValidatorsHash),
			"the block's validators are not the validators in force at its height")
	}
	if rh := vals.hash(); !bytes.Equal(rh, h.ValidatorsHash) {
		return fail(StepCheckpoint, ErrCheckpoint, fmt.Sprintf("ValidatorsHash %X (signed header)", h.ValidatorsHash),
			fmt.Sprintf("ValidatorsHash %X (receipt's validator set)", rh), "the receipt's validator set is not the block's")
	}
	return nil
}

// checkpointWith checks cp against the set in force at its height: reached
// by cp's own transitions (version 4, all before its height), else by
// companion, else by a version-2 trust bundle's transitions (those before
// its height; later ones are left unchecked).
func (v *Verifier) checkpointWith(cp *Checkpoint, companion []Transition) (CheckpointResult, error) {
	ts, all := cp.Transitions, true
	if len(ts) == 0 {
		ts, all = companion, false
		if len(ts) == 0 {
			ts = v.trust.Transitions
		} else if err := checkTransitions(ts); err != nil {
			return CheckpointResult{}, &VerifyError{Step: StepTransition, Err: err}
		}
	}
	e, err := v.eraAt(ts, cp.Height, all)
	if err != nil {
		return CheckpointResult{}, err
	}
	return v.checkCheckpointCached(cp, e)
}

// checkCurrent checks a version-2 trust bundle: its transitions lead from
// Validators to ValidatorsCurrent (the same keys with the same powers).
func (v *Verifier) checkCurrent() error {
	e, err := v.eraAt(v.trust.Transitions, v.trust.TransitionsThrough+1, true)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadTrust, err)
	}
	want := map[string]int64{}
	for _, val := range e.set.Validators {
		want[string(val.PubKey)] = val.Power
	}
	for i, cv := range v.trust.ValidatorsCurrent {
		key, _ := base64.StdEncoding.DecodeString(cv.PubKey) // checked by trust.check
		if p, ok := want[string(key)]; !ok || p != cv.Power {
			return fmt.Errorf("%w: validators_current %d (%s, power %d) is not in the set the transitions lead to", ErrBadTrust, i, cv.Name, cv.Power)
		}
		delete(want, string(key))
	}
	if len(want) > 0 {
		return fmt.Errorf("%w: validators_current leaves out %d validators of the set the transitions lead to", ErrBadTrust, len(want))
	}
	return nil
}

// ParseCompanion reads the cacheable companion of receipts made after
// validator-set changes: a JSON array of transitions (ParseTransitions), or
// a trust bundle of version 2, whose transitions it returns. Either way the
// transitions are followed from the verifier's own trust bundle, never
// from the companion's validators.
func ParseCompanion(b []byte) ([]Transition, error) {
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		return ParseTransitions(b)
	}
	tr, err := ParseTrust(b)
	if err != nil {
		return nil, err
	}
	if tr.Version != TrustVersion2 && len(tr.ValidatorsCurrent) == 0 {
		return nil, fmt.Errorf("%w: a version-%d trust bundle carries no transitions (want a list of transitions or a version-2 or -3 bundle with them)", ErrBadTrust, tr.Version)
	}
	return tr.Transitions, nil
}
