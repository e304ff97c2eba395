package receipt

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/custos-project/custos/evidence/custody"
)

// checkInclusion checks that each event is a leaf of the log the
// checkpoint commits to: the leaf hash is SHA-256(0x00 ‖ canonical event
// bytes) (RFC 6962 §2.1), and the audit path (RFC 6962 §2.1.1) from it at
// LeafIndex leads to Checkpoint.Root for a tree of Checkpoint.TreeSize
// leaves. Leaf indexes must increase strictly: the events were appended in
// order.
func checkInclusion(r *Receipt, events []*custody.Event) ([]EventResult, error) {
	cp := &r.Checkpoint
	root, err := hex.DecodeString(cp.Root)
	if err != nil { // r.check ruled this out
		return nil, fail(StepFormat, ErrMalformed, "", "", "checkpoint root: %v", err)
	}
	out := make([]EventResult, len(r.Events))
	for i, ae := range r.Events {
		if i > 0 && ae.LeafIndex <= r.Events[i-1].LeafIndex {
			return nil, fail(StepInclusion, ErrInclusion,
				fmt.Sprintf("a leaf index above %d", r.Events[i-1].LeafIndex), fmt.Sprintf("leaf index %d", ae.LeafIndex),
				"event %d is not after event %d in the log", i, i-1)
		}
		if ae.LeafIndex >= cp.TreeSize {
			return nil, fail(StepInclusion, ErrInclusion,
				fmt.Sprintf("a leaf index below the tree size %d", cp.TreeSize), fmt.Sprintf("leaf index %d", ae.LeafIndex),
				"event %d lies beyond the checkpoint's log", i)
		}
		leaf := rfc6962.DefaultHasher.HashLeaf([]byte(ae.Event))
		path := make([][]byte, len(ae.Proof))
		for j, p := range ae.Proof {
			if path[j], err = hex.DecodeString(p); err != nil { // r.check ruled this out
				return nil, fail(StepFormat, ErrMalformed, "", "", "events[%d].proof[%d]: %v", i, j, err)
			}
		}
		got, err := proof.RootFromInclusionProof(rfc6962.DefaultHasher, ae.LeafIndex, cp.TreeSize, leaf, path)
		if err != nil {
			return nil, &VerifyError{Step: StepInclusion, Want: fmt.Sprintf("an audit path for leaf %d of %d", ae.LeafIndex, cp.TreeSize),
				Got: fmt.Sprintf("%d hashes", len(path)), Err: fmt.Errorf("%w: event %d (seq %d): %w", ErrInclusion, i, events[i].Seq, err)}
		}
		if !bytes.Equal(got, root) {
			return nil, fail(StepInclusion, ErrInclusion, "root "+cp.Root, "root "+hex.EncodeToString(got),
				"event %d (seq %d, leaf hash %x at index %d) and its audit path lead to another root than the checkpoint's",
				i, events[i].Seq, leaf, ae.LeafIndex)
		}
		out[i] = EventResult{Event: events[i], LeafIndex: ae.LeafIndex, LeafHash: hex.EncodeToString(leaf)}
	}
	return out, nil
}
