package proofs

import (
	"context"
	"errors"
	"time"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/receipt"
)

// Anchor is what receipts and lookups need from the anchoring side (an
// anchor.Chain): what the integrity audit needs too (integrity.Anchor: the
// latest final checkpoint, where a local leaf is in the log, its inclusion
// proof), block times and state proofs.
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
// checkpoint, so no receipt can be made yet; a chain with no checkpoint at
// all (anchor.ErrNoCheckpoint) gives it too, so that a caller waiting for
// a receipt needs no other error. Its text is the one it had when the
// prover was in package evidence.
var ErrNotAnchored = errors.New("evidence: not anchored yet")

// ErrCustodyDiverged means the chain's custody head for an item commits to
// none of this node's histories of it: the node lacks (or altered) events
// that it anchored, as after a restore from a backup older than its last
// events of the item. No receipt can prove the item's custody complete
// until a later event of the item moves the head past it.
var ErrCustodyDiverged = errors.New("evidence: the chain's custody head commits to events this node does not hold")

// Prover builds receipts and answers lookups by digest: it joins the item
// store (an evidence.Service, which the chain's batcher reads its leaves from) with
// the anchoring side (the chain, which locates and proves them). It is
// made after both, so that neither refers to the other.
type Prover struct {
	s       *evidence.Service
	a       Anchor            // nil: nothing is anchored (a node without a chain)
	members map[string]string // member ID → name, for lookups (WithMembers)
	ers     ERSReader         // the items' evidence records (WithRecords); nil: receipts embed none
}

// New returns the prover of s's items in the log a keeps; a may be nil
// (every receipt is then ErrNotAnchored, every lookup unanchored).
func New(s *evidence.Service, a Anchor) *Prover { return &Prover{s: s, a: a} }

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
	// EvidenceRecord is item id's DER EvidenceRecord, or
	// evidence.ErrRecordPending
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
