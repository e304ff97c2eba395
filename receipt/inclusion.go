package receipt

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/transparency-dev/merkle"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/custos-project/custos/custody"
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
	h := newLogHasher()
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
		leaf := h.leaf(ae.Event)
		path := make([][]byte, len(ae.Proof))
		buf := make([]byte, 0, len(ae.Proof)*sha256.Size)
		for j, p := range ae.Proof {
			if buf, err = hex.AppendDecode(buf, []byte(p)); err != nil { // r.check ruled this out
				return nil, fail(StepFormat, ErrMalformed, "", "", "events[%d].proof[%d]: %v", i, j, err)
			}
			path[j] = buf[len(buf)-len(p)/2 : len(buf) : len(buf)]
		}
		got, err := proof.RootFromInclusionProof(h, ae.LeafIndex, cp.TreeSize, leaf, path)
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

// logHasher is rfc6962.DefaultHasher (RFC 6962 §2.1 leaf and node hashes)
// with one SHA-256 state reused for every hash of a receipt's proofs
// rather than a new one per hash; hasher_test.go checks that both agree.
type logHasher struct {
	merkle.LogHasher
	d   hash.Hash
	buf [1]byte
}

func newLogHasher() *logHasher {
	return &logHasher{LogHasher: rfc6962.DefaultHasher, d: sha256.New()}
}

// leaf is HashLeaf([]byte(event)).
func (h *logHasher) leaf(event string) []byte {
	h.d.Reset()
	h.buf[0] = rfc6962.RFC6962LeafHashPrefix
	h.d.Write(h.buf[:])
	io.WriteString(h.d, event)
	return h.d.Sum(make([]byte, 0, sha256.Size))
}

// HashChildren is rfc6962.DefaultHasher.HashChildren.
func (h *logHasher) HashChildren(l, r []byte) []byte {
	h.d.Reset()
	h.buf[0] = rfc6962.RFC6962NodeHashPrefix
	h.d.Write(h.buf[:])
	h.d.Write(l)
	h.d.Write(r)
	return h.d.Sum(make([]byte, 0, sha256.Size))
}
