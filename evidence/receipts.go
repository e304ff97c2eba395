package evidence

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/receipt"
)

// Anchor is what receipts, lookups and the audit need from the anchoring
// side (an anchor.Chain).
type Anchor interface {
	// Locate returns the log index of a local leaf, if its batch is in the log.
	Locate(local uint64) (global uint64, ok bool, err error)
	// Checkpoint returns the latest final checkpoint.
	Checkpoint(ctx context.Context) (*receipt.Checkpoint, error)
	// InclusionProof proves leaf index into the tree of the given size.
	InclusionProof(index, size uint64) ([][]byte, error)
	// BlockTime is the time of a committed block.
	BlockTime(ctx context.Context, height int64) (time.Time, error)
	// ProveState proves a key of the chain's state map as the checkpoint at
	// checkpointHeight commits to it (state version 2).
	ProveState(key [32]byte, checkpointHeight int64) (*anchor.StateProof, error)
}

// ErrNotAnchored means the item's created event is not yet in a final
// checkpoint, so no receipt can be made yet.
var ErrNotAnchored = errors.New("evidence: not anchored yet")

// Prover builds receipts and answers lookups by digest: it joins the item
// store (a Service, which the chain's batcher reads its leaves from) with
// the anchoring side (the chain, which locates and proves them). It is
// made after both, so that neither refers to the other.
type Prover struct {
	s       *Service
	a       Anchor            // nil: nothing is anchored (a node without a chain)
	members map[string]string // member ID → name, for lookups (WithMembers)
	ers     ERSReader         // the items' evidence records (WithRecords); nil: receipts embed none
}

// NewProver returns the prover of s's items in the log a keeps; a may be
// nil (every receipt is then ErrNotAnchored, every lookup unanchored).
func NewProver(s *Service, a Anchor) *Prover { return &Prover{s: s, a: a} }

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
// ErrNotAnchored if even the created
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
	if err := p.s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bEvents).Cursor()
		prefix := u64(rec.Seq)
		for k, v := c.Seek(prefix); k != nil && len(k) == 12 && u64val(k) == rec.Seq; k, v = c.Next() {
			li := tx.Bucket(bEvLeaf).Get(k)
			if len(li) != 8 {
				return fmt.Errorf("evidence: event %x has no leaf index", k)
			}
			raws = append(raws, append([]byte(nil), v...))
			locals = append(locals, u64val(li))
		}
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
	if errors.Is(err, ErrRecordPending) {
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
	err = p.s.db.View(func(tx *bolt.Tx) error {
		// The state holds the head after some number of events n: usually
		// all of them, or those anchored in the checkpoint; the search goes
		// down from all, as a batch of heads may land ahead of its leaves.
		all, l, err := headAndLeaves(tx, u64(seq), uint32(len(raws)))
		if err != nil {
			return err
		}
		for n := all.Count; n >= 1; n-- {
			h := all
			if n < all.Count {
				h = headOfLeaves(all.Evidence, raws[:n], l[:n])
			}
			if v, err := h.Value(); err == nil && v == sp.Value {
				head, leaves = h, l[:n]
				return nil
			}
		}
		return fmt.Errorf("evidence: the chain's custody head for %s matches none of its event counts", r.Evidence.ID)
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
func isRead(raw []byte) bool { return readTypes[eventType(raw)] }

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

// Lookup is what the public lookup reveals of a digest: whether and when a
// created event carrying it was first anchored, and, from the
// consortium's digest index (chain state version 4), which member's node
// filed it and how many deposits carry it; nothing about its owner or
// metadata.
type Lookup struct {
	SHA256     string    `json:"sha256"`
	SM3        string    `json:"sm3,omitempty"` // when asked by SM3
	Anchored   bool      `json:"anchored"`
	AnchoredAt time.Time `json:"anchored_at,omitzero"` // time of the block that made it final
	Height     int64     `json:"height,omitempty"`
	// Member is the member ID (anchor.Tx.Member) of the node that filed
	// the first deposit, and MemberName its name in the trust bundle.
	Member     string `json:"member,omitempty"`
	MemberName string `json:"member_name,omitempty"`
	Deposits   uint64 `json:"deposits,omitempty"` // deposits in the index that carry the digest
}

// DigestIndex is the consortium's digest index (anchor.Chain, from chain
// state version 4): what every member knows of every member's deposits.
// The prover uses it when its Anchor provides it.
type DigestIndex interface {
	Deposit(sum [32]byte) (anchor.DepositInfo, bool, error)
	DepositSM3(sum [32]byte) (anchor.DepositInfo, bool, error)
}

// ERSReader gives the items' RFC 4998 evidence records
// (records.Keeper), which version-5 receipts embed.
type ERSReader interface {
	// EvidenceRecord is item id's DER EvidenceRecord, or ErrRecordPending
	// while it has none.
	EvidenceRecord(ctx context.Context, id string) ([]byte, error)
}

// WithRecords returns a prover whose receipts embed the item's evidence
// record from r once it has one (withRecord); a prover without r embeds
// none.
func (p *Prover) WithRecords(r ERSReader) *Prover {
	q := *p
	q.ers = r
	return &q
}

// WithMembers returns a prover that names the members of the digest
// index's answers: names maps member IDs to their names (the trust
// bundle's validators).
func (p *Prover) WithMembers(names map[string]string) *Prover {
	q := *p
	q.members = names
	return &q
}

// LookupSHA256 answers the lookup for a hex SHA-256 digest: from this
// node's own records, and from the consortium's digest index, which knows
// every member's deposits; the earlier anchoring wins. An unlisted record
// (Meta.Unlisted) counts only for reader, an organization that may read
// it; reader "" is the public lookup.
func (p *Prover) LookupSHA256(ctx context.Context, hexDigest, reader string) (*Lookup, error) {
	out := &Lookup{SHA256: hexDigest}
	sum, err := decodeHex32(hexDigest)
	if err != nil {
		return nil, err
	}
	var first int64
	now := p.s.cfg.Now()
	err = p.s.db.View(func(tx *bolt.Tx) error {
		for _, seq := range p.s.digestSeqs(tx, sum) {
			r, err := getRecord(tx, seq)
			if err != nil {
				return err
			}
			if r.IsUnlisted() && (reader == "" || !p.s.visible(tx, r, reader, now)) {
				continue
			}
			if r.Status == StatusAnchored && (first == 0 || r.AnchoredHeight < first) {
				first = r.AnchoredHeight
			}
		}
		return nil
	})
	if err != nil || p.a == nil {
		return out, err
	}
	if di, ok := p.a.(DigestIndex); ok {
		d, found, err := di.Deposit([32]byte(sum))
		if err != nil {
			return nil, err
		}
		if found {
			out.Member, out.MemberName, out.Deposits = d.Member, p.members[d.Member], d.Count
			if first == 0 || d.Height < first {
				first = d.Height
			}
		}
	}
	if first == 0 {
		return out, nil
	}
	t, err := p.anchoredAt(ctx, first)
	if err != nil {
		return nil, err
	}
	out.Anchored, out.Height, out.AnchoredAt = true, first, t
	return out, nil
}

// LookupSM3 answers the public lookup for a hex SM3 digest, which only the
// consortium's digest index knows (a node that computes SM3 deposits it):
// as LookupSHA256 for the SHA-256 of the first deposit with that SM3.
func (p *Prover) LookupSM3(ctx context.Context, hexDigest, reader string) (*Lookup, error) {
	sum, err := decodeHex32(hexDigest)
	if err != nil {
		return nil, err
	}
	out := &Lookup{SM3: hexDigest}
	di, ok := p.a.(DigestIndex)
	if !ok {
		return out, nil
	}
	d, found, err := di.DepositSM3([32]byte(sum))
	if err != nil || !found {
		return out, err
	}
	if out, err = p.LookupSHA256(ctx, hex.EncodeToString(d.SHA256[:]), reader); err != nil {
		return nil, err
	}
	out.SM3 = hexDigest
	return out, nil
}

// anchoredAt is the time at which leaves appended at height became final.
// The block that appended them carries the time of the block before
// (CometBFT's header time comes from the previous votes); the next block's
// time, when it made the anchoring final, is the honest one.
func (p *Prover) anchoredAt(ctx context.Context, height int64) (time.Time, error) {
	t, err := p.a.BlockTime(ctx, height+1)
	if err != nil {
		if t, err = p.a.BlockTime(ctx, height); err != nil {
			return time.Time{}, err
		}
	}
	return t.UTC(), nil
}
