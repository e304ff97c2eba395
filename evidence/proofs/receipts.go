package proofs

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/receipt"
)

// Receipt builds the item's receipt against the latest final checkpoint
// with the default choice of events (see ReceiptOptions).
func (p *Prover) Receipt(ctx context.Context, id string) (*receipt.Receipt, error) {
	return p.ReceiptWith(ctx, id, ReceiptOptions{})
}

// ReceiptOptions chooses the events a receipt lists.
type ReceiptOptions struct {
	// From and Limit, when Limit > 0, ask for the events with seq in
	// [From, From+Limit) (and always the created event): a page of the
	// full history, each event proven against the same custody head.
	// Otherwise a receipt lists every event if the item has at most
	// MaxReceiptEvents, else the created event, the latest other events
	// (reads last) up to MaxReceiptEvents, and proves what it leaves out.
	From, Limit int
}

// MaxReceiptEvents bounds the events one receipt lists, so that it stays
// under 1 MiB however many events an item has (docs/receipt.md).
const MaxReceiptEvents = 200

// Receipt builds the item's receipt against the latest final checkpoint:
// the digests, tokens, and the custody events that checkpoint covers, each
// with its inclusion proof. At state version 2 it carries the item's
// custody head and its proof, and, when it leaves events out, proves each
// listed one in the head's event tree. Once the item has its evidence
// record (RFC 4998), a receipt of version 3 or 4 carries it, as version 5.
// ErrNotAnchored if the chain has no checkpoint yet, if even the created
// event is not covered yet, or (version 2) the item's head is not yet in
// the chain's state.
func (p *Prover) ReceiptWith(ctx context.Context, id string, opts ReceiptOptions) (*receipt.Receipt, error) {
	if p.a == nil {
		return nil, ErrNotAnchored
	}
	rec, err := p.s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	cp, err := p.a.Checkpoint(ctx)
	if errors.Is(err, anchor.ErrNoCheckpoint) {
		return nil, ErrNotAnchored
	}
	if err != nil {
		return nil, err
	}
	var raws [][]byte
	var locals []uint64
	if err := p.s.View(func(tx *bolt.Tx) error {
		events, leaves, err := evidence.ItemEvents(tx, rec.Seq)
		if err != nil {
			return err
		}
		for _, v := range events {
			raws = append(raws, append([]byte(nil), v...))
		}
		locals = leaves
		return nil
	}); err != nil {
		return nil, err
	}
	r := &receipt.Receipt{
		Version:    receipt.Version1,
		Evidence:   receipt.Evidence{ID: rec.ID, SHA256: rec.SHA256, SM3: rec.SM3, Size: rec.Size, MediaType: rec.MediaType},
		Checkpoint: *cp,
	}
	for i := range rec.Tokens {
		der, err := p.s.Token(ctx, rec, i)
		if err != nil {
			return nil, err
		}
		r.Timestamps = append(r.Timestamps, base64.StdEncoding.EncodeToString(der))
	}
	globals := make([]uint64, 0, len(raws))
	for _, local := range locals {
		global, ok, err := p.a.Locate(local)
		if err != nil {
			return nil, err
		}
		if !ok || global >= cp.TreeSize {
			break // this event and the later ones are not in the checkpoint yet
		}
		globals = append(globals, global)
	}
	if len(globals) == 0 {
		return nil, ErrNotAnchored
	}
	if cp.StateRoot == "" {
		if len(cp.Transitions) > 0 { // validator changes need state version 6
			return nil, fmt.Errorf("evidence: a checkpoint of state version 1 with validator transitions")
		}
		// State version 1: every anchored event, no head.
		for i, g := range globals {
			if err := p.addEvent(r, raws[i], g, nil); err != nil {
				return nil, err
			}
		}
		return r, nil
	}
	if r, err = p.receiptV2(r, rec.Seq, raws, globals, opts); err != nil {
		return nil, err
	}
	if len(r.Checkpoint.Transitions) > 0 {
		// Signed by a set reached by transitions: version 4 (version 3
		// with checkpoint.transitions), as docs/receipt.md §8.2 says.
		if r.Version != receipt.Version3 {
			return nil, fmt.Errorf("evidence: a checkpoint with validator transitions but a version-%d receipt", r.Version)
		}
		r.Version = receipt.Version4
	}
	return p.withRecord(ctx, r)
}

// withRecord embeds the item's evidence record in r, a version-3 or
// version-4 receipt, making it version 5 (docs/receipt.md §9), once the
// item has one (WithRecords); until then r is returned as it is.
func (p *Prover) withRecord(ctx context.Context, r *receipt.Receipt) (*receipt.Receipt, error) {
	if r.Version != receipt.Version3 && r.Version != receipt.Version4 {
		return r, nil // a chain before state version 3: versions 1 and 2 carry none
	}
	if p.ers == nil {
		return r, nil
	}
	der, err := p.ers.EvidenceRecord(ctx, r.Evidence.ID)
	if errors.Is(err, evidence.ErrRecordPending) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("evidence: the evidence record of %s: %w", r.Evidence.ID, err)
	}
	return r.WithRecord(der)
}

// addEvent appends one event with its inclusion proof (and item proof).
func (p *Prover) addEvent(r *receipt.Receipt, raw []byte, global uint64, itemProof [][]byte) error {
	proof, err := p.a.InclusionProof(global, r.Checkpoint.TreeSize)
	if err != nil {
		return err
	}
	ae := receipt.AnchoredEvent{Event: string(raw), LeafIndex: global, Proof: hexes(proof)}
	if itemProof != nil {
		ae.ItemProof = hexes(itemProof)
	}
	r.Events = append(r.Events, ae)
	return nil
}

func hexes(hs [][]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h)
	}
	return out
}

// receiptV2 adds the custody head the checkpoint's state holds for the
// item, its proof, and the events chosen by opts.
//
// Against a checkpoint of state version 3 (receipt version 3) the head's
// key is bound to the first event's leaf, and an item of one event anchored
// since version 3 began has no head: the receipt proves its absence.
func (p *Prover) receiptV2(r *receipt.Receipt, seq uint64, raws [][]byte, globals []uint64, opts ReceiptOptions) (*receipt.Receipt, error) {
	key := custody.HeadKey(r.Evidence.ID)
	v3 := r.Checkpoint.HeadsSince != nil
	if v3 {
		key = custody.BoundHeadKey(key, globals[0])
	}
	sp, err := p.a.ProveState(key, r.Checkpoint.Height)
	if errors.Is(err, anchor.ErrStateGone) {
		return nil, ErrNotAnchored
	}
	if err != nil {
		return nil, err
	}
	if !sp.Found && v3 && len(globals) == 1 && globals[0] >= *r.Checkpoint.HeadsSince {
		r.Version = receipt.Version
		r.Custody = &receipt.CustodyProof{Proof: vmapHex(sp.Siblings)}
		if sp.Other != nil {
			r.Custody.Other = []string{hex.EncodeToString(sp.Other.Key[:]), hex.EncodeToString(sp.Other.Value[:])}
		}
		return r, p.addEvent(r, raws[0], globals[0], nil)
	}
	if !sp.Found {
		return nil, ErrNotAnchored // the head is not registered yet (an item from before the upgrade)
	}
	var head *custody.Head
	var leaves [][]byte
	err = p.s.View(func(tx *bolt.Tx) error {
		// The state holds the head after some number of events n: usually
		// all of them, or those anchored in the checkpoint; the search goes
		// down from all, as a batch of heads may land ahead of its leaves.
		all, l, err := evidence.ItemHead(tx, seq, uint32(len(raws)))
		if err != nil {
			return err
		}
		for n := all.Count; n >= 1; n-- {
			h := all
			if n < all.Count {
				h = evidence.HeadOfEvents(all.Evidence, raws[:n], l[:n])
			}
			if v, err := h.Value(); err == nil && v == sp.Value {
				head, leaves = h, l[:n]
				return nil
			}
		}
		return fmt.Errorf("%w: the head for %s matches none of its %d event counts", ErrCustodyDiverged, r.Evidence.ID, all.Count)
	})
	if err != nil {
		return nil, err
	}
	enc, err := head.Encode()
	if err != nil {
		return nil, err
	}
	r.Version = receipt.Version2
	if v3 {
		r.Version = receipt.Version
	}
	r.Custody = &receipt.CustodyProof{Head: string(enc), Proof: vmapHex(sp.Siblings)}
	pick := pickEvents(raws[:min(len(globals), int(head.Count))], int(head.Count), opts)
	var tree *itemTree
	if len(pick) != int(head.Count) {
		tree = newItemTree(leaves)
	}
	for _, i := range pick {
		var ip [][]byte
		if tree != nil {
			if ip, err = tree.prove(uint64(i)); err != nil {
				return nil, err
			}
		}
		if err := p.addEvent(r, raws[i], globals[i], ip); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func vmapHex(siblings [][32]byte) []string {
	out := make([]string, len(siblings))
	for i, h := range siblings {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

// readTypes are the event types a receipt leaves out first: reads, which
// can be many, and whose counts the head proves.
var readTypes = map[string]bool{custody.EventViewed: true, custody.EventListed: true}

// pickEvents chooses which of the anchored events (raws, seq = index) a
// receipt lists, in seq order. total is the head's count.
func pickEvents(raws [][]byte, total int, opts ReceiptOptions) []int {
	if opts.Limit > 0 {
		out := []int{0}
		for i := max(opts.From, 1); i < len(raws) && i < opts.From+opts.Limit; i++ {
			out = append(out, i)
		}
		return out
	}
	if len(raws) <= MaxReceiptEvents {
		out := make([]int, len(raws))
		for i := range out {
			out[i] = i
		}
		return out
	}
	// The created event, then the latest events, material ones before
	// reads, up to the bound.
	chosen := map[int]bool{0: true}
	for pass := 0; pass < 2 && len(chosen) < MaxReceiptEvents; pass++ {
		for i := len(raws) - 1; i > 0 && len(chosen) < MaxReceiptEvents; i-- {
			if isRead(raws[i]) == (pass == 1) {
				chosen[i] = true
			}
		}
	}
	out := make([]int, 0, len(chosen))
	for i := range raws {
		if chosen[i] {
			out = append(out, i)
		}
	}
	return out
}

// isRead reports whether a canonical event's type is one of readTypes.
func isRead(raw []byte) bool { return readTypes[evidence.EventType(raw)] }

// itemTree holds every complete subtree hash of an item's event tree, so
// that each listed event's RFC 6962 audit path is a lookup.
type itemTree struct {
	levels [][][]byte // levels[0] are the leaf hashes
}

func newItemTree(leaves [][]byte) *itemTree {
	t := &itemTree{levels: [][][]byte{leaves}}
	for l := leaves; len(l) > 1; {
		up := make([][]byte, len(l)/2)
		for i := range up {
			up[i] = rfc6962.DefaultHasher.HashChildren(l[2*i], l[2*i+1])
		}
		t.levels = append(t.levels, up)
		l = up
	}
	return t
}

// prove returns the audit path of leaf index in the whole tree.
func (t *itemTree) prove(index uint64) ([][]byte, error) {
	size := uint64(len(t.levels[0]))
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	hs := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		if int(id.Level) >= len(t.levels) || id.Index >= uint64(len(t.levels[id.Level])) {
			return nil, fmt.Errorf("evidence: event tree node %d/%d missing", id.Level, id.Index)
		}
		hs[i] = t.levels[id.Level][id.Index]
	}
	return nodes.Rehash(hs, rfc6962.DefaultHasher.HashChildren)
}
