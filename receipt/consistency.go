package receipt

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// VerifyCheckpoint checks a checkpoint alone: a header of the trusted
// chain, signed by more than 2/3 of the trusted voting power, whose AppHash
// commits to TreeSize and Root. When cp carries transitions (or the trust
// bundle, version 2, does), it is checked against the set they lead to.
func (v *Verifier) VerifyCheckpoint(cp *Checkpoint) (CheckpointResult, error) {
	if err := checkTransitions(cp.Transitions); err != nil {
		return CheckpointResult{}, &VerifyError{Step: StepTransition, Err: err}
	}
	return v.checkpointWith(cp, nil)
}

// StepConsistency names the consistency check in a VerifyError.
const StepConsistency = "consistency"

// VerifyConsistency checks that the log at older's tree size is a prefix of
// the log at newer's (RFC 6962 §2.1.2): both checkpoints must verify, and
// proof (hex node hashes) must lead from older's root to newer's. So the
// history covered by an old receipt was not rewritten afterwards.
func (v *Verifier) VerifyConsistency(older, newer *Checkpoint, proofHex []string) error {
	for _, cp := range []*Checkpoint{older, newer} {
		if _, err := v.VerifyCheckpoint(cp); err != nil {
			return err
		}
	}
	fail := func(want, got string, err error) error {
		return &VerifyError{Step: StepConsistency, Want: want, Got: got, Err: err}
	}
	if older.TreeSize > newer.TreeSize {
		return fail(fmt.Sprintf("the older checkpoint to have at most %d leaves", newer.TreeSize),
			fmt.Sprintf("%d leaves", older.TreeSize), nil)
	}
	root1, err1 := hex.DecodeString(older.Root)
	root2, err2 := hex.DecodeString(newer.Root)
	if err1 != nil || err2 != nil {
		return fail("hex roots", older.Root+", "+newer.Root, nil)
	}
	nodes := make([][]byte, len(proofHex))
	for i, h := range proofHex {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != 32 {
			return fail("32-byte hex node hashes", fmt.Sprintf("proof[%d] = %q", i, h), err)
		}
		nodes[i] = b
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, older.TreeSize, newer.TreeSize, nodes, root1, root2); err != nil {
		return fail(fmt.Sprintf("a proof that the log of %d leaves (root %s) is a prefix of the log of %d leaves (root %s)",
			older.TreeSize, older.Root, newer.TreeSize, newer.Root), "a proof that does not lead from one root to the other", err)
	}
	return nil
}

// Errors of CheckNodeCheckpoint.
var (
	// ErrOtherChain: the node's checkpoint is of another chain than the
	// receipt's; its chain contradicts the receipt.
	ErrOtherChain = errors.New("receipt: the node runs another chain")
	// ErrNodeBehind: the node's log is shorter than the receipt's; it has
	// not committed the receipt's block yet (ask again).
	ErrNodeBehind = errors.New("receipt: the node's log is behind the receipt's")
)

// CheckNodeCheckpoint checks a member node's latest checkpoint against a
// receipt's, before the node's consistency proof is asked for and checked
// (VerifyConsistency): the same chain (ErrOtherChain), a checkpoint that
// verifies under the trust bundle (a *VerifyError), and a log at least as
// long as the receipt's (ErrNodeBehind). It is the rule of `custos verify
// --node` and of the verification page's confirmation.
func (v *Verifier) CheckNodeCheckpoint(receiptCP, nodeCP *Checkpoint) error {
	if nodeCP.ChainID != receiptCP.ChainID {
		return fmt.Errorf("%w: %q, the receipt is from %q", ErrOtherChain, nodeCP.ChainID, receiptCP.ChainID)
	}
	if _, err := v.VerifyCheckpoint(nodeCP); err != nil {
		return err
	}
	if nodeCP.TreeSize < receiptCP.TreeSize {
		return fmt.Errorf("%w: %d leaves, the receipt's %d", ErrNodeBehind, nodeCP.TreeSize, receiptCP.TreeSize)
	}
	return nil
}
