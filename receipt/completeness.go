package receipt

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/custos-project/custos/anchor/vmap"
	"github.com/custos-project/custos/custody"
)

// noteV1 is the verdict's word on a version-1 receipt's custody.
const noteV1 = "This is a version-1 receipt: it proves each custody event it lists, but not that they are all of the item's events. Custody completeness is not proven; ask the item's node for a current receipt."

// checkCompleteness (version 2) checks the item's custody head: that the
// chain's state map holds it for this item at the checkpoint (a membership
// proof to Checkpoint.StateRoot, which step checkpoint then authenticates),
// and that the listed events are either all of the head's events (their
// RFC 6962 root and type counts are the head's) or each proven in the
// head's event tree (item_proof), so that the events left out are counted
// by type.
func checkCompleteness(r *Receipt, events []*custody.Event) (CustodyResult, error) {
	res := CustodyResult{Listed: len(events)}
	key := custody.HeadKey(r.Evidence.ID)
	if r.Version >= Version3 {
		// State version 3: the key is bound to the first event's leaf.
		key = custody.BoundHeadKey(key, r.Events[0].LeafIndex)
		if r.Custody.Head == "" {
			return checkAbsentHead(r, events, key)
		}
	}
	head, err := custody.DecodeHead([]byte(r.Custody.Head))
	if err != nil {
		return res, &VerifyError{Step: StepComplete, Want: "a canonical custody head", Got: fmt.Sprintf("%q", r.Custody.Head),
			Err: fmt.Errorf("%w: %w", ErrIncomplete, err)}
	}
	if head.Evidence != r.Evidence.ID {
		return res, fail(StepComplete, ErrIncomplete, "the head of "+r.Evidence.ID, "the head of "+head.Evidence,
			"the custody head is another item's")
	}
	if err := checkHeadInState(r, key); err != nil {
		return res, err
	}
	last := events[len(events)-1]
	if last.Seq >= head.Count {
		return res, fail(StepComplete, ErrIncomplete, fmt.Sprintf("events below seq %d", head.Count), fmt.Sprintf("an event with seq %d", last.Seq),
			"the receipt lists an event the chain's custody head does not count")
	}
	listed := map[string]uint32{}
	for _, e := range events {
		listed[e.Type]++
	}
	if uint32(len(events)) == head.Count {
		err = checkAllEvents(r, head, listed)
	} else {
		err = checkSomeEvents(r, head, events)
	}
	if err != nil {
		return res, err
	}
	res.Omitted = map[string]uint32{}
	for _, t := range slices.Sorted(maps.Keys(head.Types)) { // in order: one message for one receipt
		n := head.Types[t]
		if listed[t] > n {
			return res, fail(StepComplete, ErrIncomplete, fmt.Sprintf("at most %d %q events", n, t), fmt.Sprintf("%d", listed[t]),
				"the receipt lists more events of a type than the custody head counts")
		}
		if n > listed[t] {
			res.Omitted[t] = n - listed[t]
		}
	}
	for _, t := range slices.Sorted(maps.Keys(listed)) {
		if head.Types[t] == 0 {
			return res, fail(StepComplete, ErrIncomplete, "no "+t+" event", "some", "the receipt lists events of a type the custody head does not count")
		}
	}
	res.Complete, res.Total = true, head.Count
	res.Note = completeNote(head.Count, len(events), res.Omitted)
	if len(res.Omitted) == 0 {
		res.Omitted = nil
	}
	return res, nil
}

// checkAbsentHead (version 3) checks a receipt whose custody proof shows
// that the state holds no head for the item: the chain then had exactly one
// event at the checkpoint, anchored after state version 3 began (from then
// on, every batch that anchors a chain's second event sets its head), and
// the receipt lists it.
func checkAbsentHead(r *Receipt, events []*custody.Event, key [32]byte) (CustodyResult, error) {
	res := CustodyResult{Listed: len(events)}
	siblings, err := vmap.ParseHex(r.Custody.Proof)
	if err != nil {
		return res, &VerifyError{Step: StepComplete, Want: "a state map proof", Got: fmt.Sprintf("%d hashes", len(r.Custody.Proof)),
			Err: fmt.Errorf("%w: %w", ErrIncomplete, err)}
	}
	var other *vmap.Pair
	if r.Custody.Other != nil {
		o, err := vmap.ParseHex(r.Custody.Other) // check ruled out bad hex and lengths
		if err != nil {
			return res, fail(StepComplete, ErrIncomplete, "", "", "custody.other: %v", err)
		}
		other = &vmap.Pair{Key: o[0], Value: o[1]}
	}
	root, _ := hex.DecodeString(r.Checkpoint.StateRoot) // check ruled out bad hex
	var stateRoot vmap.Hash
	copy(stateRoot[:], root)
	if err := vmap.VerifyNonMembership(stateRoot, key, other, siblings); err != nil {
		return res, &VerifyError{Step: StepComplete, Want: "proof that the chain holds no custody head for this item at height " + fmt.Sprint(r.Checkpoint.Height),
			Got: fmt.Sprintf("key %x", key), Err: fmt.Errorf("%w: the proof of an absent custody head does not hold: %w", ErrIncomplete, err)}
	}
	since := *r.Checkpoint.HeadsSince
	if first := r.Events[0].LeafIndex; first < since {
		return res, fail(StepComplete, ErrIncomplete, fmt.Sprintf("a custody head (the item was anchored at leaf %d, before state version 3 began at %d)", first, since),
			"no head", "the chain holds no custody head for an item anchored before its state version 3, so the receipt cannot show how many events it had")
	}
	if len(events) != 1 {
		return res, fail(StepComplete, ErrIncomplete, "exactly the item's one event (no head means one event)",
			fmt.Sprintf("%d events", len(events)), "the chain holds no custody head for the item, which proves it had one event, but the receipt lists more")
	}
	if r.Events[0].ItemProof != nil {
		return res, fail(StepComplete, ErrIncomplete, "the item's one event without an item_proof (the list is complete)",
			fmt.Sprintf("an item_proof of %d hashes", len(r.Events[0].ItemProof)),
			"the chain holds no custody head for the item, and its one event is listed with an item proof")
	}
	res.Complete, res.Total = true, 1
	res.Note = completeNote(1, 1, nil)
	return res, nil
}

// checkHeadInState checks the custody head's membership proof under key
// against the checkpoint's state root.
func checkHeadInState(r *Receipt, key [32]byte) error {
	root, _ := hex.DecodeString(r.Checkpoint.StateRoot) // check ruled out bad hex
	siblings, err := vmap.ParseHex(r.Custody.Proof)
	if err != nil {
		return &VerifyError{Step: StepComplete, Want: "a state map proof", Got: fmt.Sprintf("%d hashes", len(r.Custody.Proof)),
			Err: fmt.Errorf("%w: %w", ErrIncomplete, err)}
	}
	var stateRoot vmap.Hash
	copy(stateRoot[:], root)
	value := sha256.Sum256([]byte(r.Custody.Head))
	if err := vmap.VerifyMembership(stateRoot, key, value, siblings); err != nil {
		return &VerifyError{Step: StepComplete, Want: "the head the chain holds for this item at height " + fmt.Sprint(r.Checkpoint.Height),
			Got: fmt.Sprintf("head %x", value), Err: fmt.Errorf("%w: the chain's state does not hold this custody head: %w", ErrIncomplete, err)}
	}
	return nil
}

// checkAllEvents checks a receipt that lists every event: their RFC 6962
// root and their counts by type are the head's. It allows no item proofs:
// a complete list has one spelling.
func checkAllEvents(r *Receipt, head *custody.Head, listed map[string]uint32) error {
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	cr := rf.NewEmptyRange(0)
	for i, ae := range r.Events {
		if ae.ItemProof != nil {
			return fail(StepFormat, ErrMalformed, "no item_proof (the receipt lists every event)", fmt.Sprintf("events[%d].item_proof", i),
				"a receipt that lists all of an item's events carries no item proofs")
		}
		if err := cr.Append(rfc6962.DefaultHasher.HashLeaf([]byte(ae.Event)), nil); err != nil {
			return fail(StepComplete, ErrIncomplete, "", "", "event tree: %v", err)
		}
	}
	got, err := cr.GetRootHash(nil)
	if err != nil {
		return fail(StepComplete, ErrIncomplete, "", "", "event tree: %v", err)
	}
	if hex.EncodeToString(got) != head.Root {
		return fail(StepComplete, ErrIncomplete, "event tree root "+head.Root+" (custody head)", "root "+hex.EncodeToString(got)+" of the listed events",
			"the listed events are not the events the custody head commits to")
	}
	for _, t := range slices.Sorted(maps.Keys(head.Types)) { // in order: one message for one receipt
		n := head.Types[t]
		if listed[t] != n {
			return fail(StepComplete, ErrIncomplete, fmt.Sprintf("%d %q events", n, t), fmt.Sprintf("%d", listed[t]),
				"the listed events' types are not the custody head's")
		}
	}
	return nil
}

// checkSomeEvents checks a receipt that leaves events out: each listed
// event is proven at index seq in the head's event tree.
func checkSomeEvents(r *Receipt, head *custody.Head, events []*custody.Event) error {
	root, _ := hex.DecodeString(head.Root) // DecodeHead checked it
	for i, ae := range r.Events {
		if ae.ItemProof == nil && head.Count > 1 {
			return fail(StepComplete, ErrIncomplete, fmt.Sprintf("all %d events, or an item_proof for each listed event", head.Count),
				fmt.Sprintf("%d events, event %d (seq %d) without an item_proof", len(events), i, events[i].Seq),
				"the receipt's events stop short of the chain's custody head and do not prove what they leave out")
		}
		path := make([][]byte, len(ae.ItemProof))
		for j, p := range ae.ItemProof {
			path[j], _ = hex.DecodeString(p) // check ruled out bad hex
		}
		leaf := rfc6962.DefaultHasher.HashLeaf([]byte(ae.Event))
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(events[i].Seq), uint64(head.Count), leaf, path, root); err != nil {
			return &VerifyError{Step: StepComplete, Want: fmt.Sprintf("event seq %d in the item's event tree of %d (root %s)", events[i].Seq, head.Count, head.Root),
				Got: fmt.Sprintf("leaf hash %x with %d proof hashes", leaf, len(path)), Err: fmt.Errorf("%w: event %d: %w", ErrIncomplete, i, err)}
		}
	}
	return nil
}

// completeNote says in words what a complete verdict establishes.
func completeNote(total uint32, listed int, omitted map[string]uint32) string {
	if len(omitted) == 0 {
		return fmt.Sprintf("Custody is complete: the chain proves the item had exactly %d custody events at the checkpoint, and the receipt lists all of them.", total)
	}
	types := make([]string, 0, len(omitted))
	for t := range omitted {
		types = append(types, t)
	}
	sort.Strings(types)
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = fmt.Sprintf("%d %s", omitted[t], t)
	}
	return fmt.Sprintf("Custody is accounted for: the chain proves the item had exactly %d custody events at the checkpoint; the receipt lists %d and leaves out %s (the full history is available from the item's node).",
		total, listed, strings.Join(parts, ", "))
}

// checkChain checks a receipt's events as custody.CheckChain does (listed
// false: version 1, every event from seq 0) or, for version 2 and later
// (listed true), events that may leave some out: strictly increasing seqs
// from 0, one item, and each event whose predecessor is listed linked to
// it by prev. hashes[i] is events[i].Hash(), which the caller has from the
// event's canonical bytes; the errors are custody.CheckChain's
// (TestCheckChainAsCustody).
func checkChain(events []*custody.Event, hashes [][sha256.Size]byte, listed bool) (int, error) {
	var prev [sha256.Size]byte
	for i, e := range events {
		switch {
		case !listed && e.Seq != uint32(i):
			return i, fmt.Errorf("%w: event %d has seq %d", custody.ErrBadEvent, i, e.Seq)
		case listed && i == 0 && e.Seq != 0:
			return 0, fmt.Errorf("%w: the first listed event has seq %d, not 0", custody.ErrBadEvent, e.Seq)
		case listed && i > 0 && e.Seq <= events[i-1].Seq:
			return i, fmt.Errorf("%w: event %d has seq %d, not above %d", custody.ErrBadEvent, i, e.Seq, events[i-1].Seq)
		case i > 0 && e.Evidence != events[0].Evidence:
			return i, fmt.Errorf("%w: event %d is for evidence %s, not %s", custody.ErrBadEvent, i, e.Evidence, events[0].Evidence)
		case i > 0 && custody.IsAudit(e.Type) != custody.IsAudit(events[0].Type):
			return i, fmt.Errorf("%w: event %d (%s) does not belong in a chain that starts with %s", custody.ErrBadEvent, i, e.Type, events[0].Type)
		case i > 0 && e.Seq == events[i-1].Seq+1 && !isHexOf(e.Prev, prev[:]):
			return i, fmt.Errorf("%w: event %d prev = %s, want %x", custody.ErrBadEvent, i, e.Prev, prev)
		}
		prev = hashes[i]
	}
	return -1, nil
}

// isHexOf reports whether s == hex.EncodeToString(b), without encoding b.
func isHexOf(s string, b []byte) bool {
	const digits = "0123456789abcdef"
	if len(s) != 2*len(b) {
		return false
	}
	for i, c := range b {
		if s[2*i] != digits[c>>4] || s[2*i+1] != digits[c&0x0f] {
			return false
		}
	}
	return true
}
