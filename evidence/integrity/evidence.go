package integrity

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/receipt"
	"github.com/custos-project/custos/storage"
)

// KeyLister is implemented by blob stores that can enumerate their
// committed blobs (storage.Folder, storage.S3); Audit uses it to find
// orphans.
type KeyLister interface {
	Keys(ctx context.Context, fn func(key string, size int64) error) error
}

// Anchor is what the integrity audit needs from the anchoring side (an
// anchor.Chain) to prove the stored events into the log: the latest final
// checkpoint, where a local leaf is in the log, and its inclusion proof.
// The prover (evidence/proofs) needs more of the chain: proofs.Anchor has
// these three methods too.
type Anchor interface {
	// Locate returns the log index of a local leaf, if its batch is in the log.
	Locate(local uint64) (global uint64, ok bool, err error)
	// Checkpoint returns the latest final checkpoint.
	Checkpoint(ctx context.Context) (*receipt.Checkpoint, error)
	// InclusionProof proves leaf index into the tree of the given size.
	InclusionProof(index, size uint64) ([][]byte, error)
}

// HeadState reads an item's custody head in the chain's state map (an
// anchor.Chain, through ProveState): the value under key as of the
// checkpoint at checkpointHeight, and whether the key is set.
type HeadState interface {
	HeadValue(key [32]byte, checkpointHeight int64) (value [32]byte, found bool, err error)
}

// EvidenceReport is what the evidence's own audit found, the first part
// of a Report. Lists name record IDs (a record too damaged to name itself
// is named by its created event's ID, or "record:<seq>"), except Orphans,
// which names blob keys; an orphan inline blob (bytes in bbolt that no
// record has) is named "inline/sha256/<hex>". Blobs counts the blob
// store's blobs and the inline ones.
type EvidenceReport struct {
	Records      int      `json:"records"`
	Events       int      `json:"events"`
	AuditEvents  int      `json:"audit_events"` // in the organizations' audit chains
	Blobs        int      `json:"blobs"`
	Pending      []string `json:"pending,omitempty"`
	Missing      []string `json:"missing_blobs,omitempty"`
	SizeMismatch []string `json:"size_mismatch,omitempty"`
	Corrupt      []string `json:"corrupt_blobs,omitempty"`
	BrokenChains []string `json:"broken_chains,omitempty"`
	BadTokens    []string `json:"bad_tokens,omitempty"`
	Orphans      []string `json:"orphan_blobs,omitempty"`
	// BadRecords are records whose stored bytes do not match their
	// checksum, do not decode, or disagree with their created event.
	BadRecords []string `json:"bad_records,omitempty"`
	// BadProofs are records with an event that the latest checkpoint covers
	// but that does not prove into it: the event, the anchoring index or
	// the log was altered. Checked only on a node with a running chain.
	BadProofs []string `json:"bad_proofs,omitempty"`
	// Checkpoint is the height of the checkpoint the events were proved
	// into, and Proven the number of events proved; 0 without a chain.
	Checkpoint int64 `json:"checkpoint_height,omitempty"`
	Proven     int   `json:"proven_events,omitempty"`
	// Diverged are records whose custody head in the chain's state, as of
	// that checkpoint, is the head of none of the record's first n events
	// here, for any n: the chain counts events of the item that this node
	// does not hold (lost in a restore from an older backup) or holds
	// altered. Its receipts answer 409 custody-diverged (docs/security.md,
	// D10). Checked only with Options.Heads.
	Diverged []string `json:"custody_diverged,omitempty"`
	// Held counts the deposits held off the chain (depohold, holds.go).
	// BadHolds are entries of depohold and deporelease that name no
	// item's stored created event or item, or no holder; a release that
	// is held too; and, with Options.Deposits, a held deposit the
	// consortium's digest index holds. ParkedDeposits are the entries
	// SubmitReleased parked in depobad. Named "<bucket>:<leaf>", with
	// ":<item ID>" where the item is known.
	Held           int      `json:"held_deposits,omitempty"`
	BadHolds       []string `json:"bad_deposit_holds,omitempty"`
	ParkedDeposits []string `json:"parked_deposits,omitempty"`
}

// OK reports whether the audit found nothing wrong. Pending promotions are
// not faults: the promoter finishes them.
func (r *EvidenceReport) OK() bool { return r.Findings() == 0 }

// Findings counts the faults found (pending promotions excluded).
func (r *EvidenceReport) Findings() int {
	n := 0
	for _, f := range r.faults() {
		n += len(*f.list)
	}
	return n
}

// Fault is one kind of fault an audit found: its name in the JSON report
// ("missing_blobs", ...) and the names it lists.
type Fault struct {
	Kind  string
	Names []string
}

// Faults returns the kinds of fault the report found, each with the names
// it lists, in the report's order (pending promotions excluded).
func (r *EvidenceReport) Faults() []Fault {
	var out []Fault
	for _, f := range r.faults() {
		if len(*f.list) > 0 {
			out = append(out, Fault{f.kind, *f.list})
		}
	}
	return out
}

// fault is one kind of fault, named as in the JSON report, and its list.
type fault struct {
	kind string
	list *[]string
}

func (r *EvidenceReport) faults() []fault {
	return []fault{
		{"missing_blobs", &r.Missing}, {"size_mismatch", &r.SizeMismatch}, {"corrupt_blobs", &r.Corrupt},
		{"broken_chains", &r.BrokenChains}, {"bad_tokens", &r.BadTokens}, {"orphan_blobs", &r.Orphans},
		{"bad_records", &r.BadRecords}, {"bad_proofs", &r.BadProofs}, {"custody_diverged", &r.Diverged},
		{"bad_deposit_holds", &r.BadHolds}, {"parked_deposits", &r.ParkedDeposits},
	}
}

// auditBatch is how many records one read transaction examines. Short
// transactions keep a long audit of a serving node from holding bbolt's
// remap lock (which would stall every write that grows the file); blobs
// are read and proofs checked outside any transaction.
const auditBatch = 256

// blobCheck is what is left to check of one record once its transaction ends.
type blobCheck struct {
	id, key, sha256 string
	size            int64
	leaves          []leafCheck
}

// leafCheck is one stored event and where it was queued for anchoring.
type leafCheck struct {
	local uint64
	event []byte
}

// auditEvidence is the evidence's own audit, the first part of Audit:
// every record matches its checksum and its created event; every record's
// blob, inline or in the blob store, exists with the right size (and
// digest, if Deep); every custody and audit chain links; every stored
// token matches the hash its created event commits to (and the built-in
// one verifies, given Roots); with a chain attached, every anchored event
// proves into the latest checkpoint; no inline blob (nor, if the blob
// store can list, stored blob) exists without a record. It reads the
// core's buckets through evidence's kernel (StoredRecords, RecordSum,
// EachEvent, EventLeaf, TokenAt, InlineOf, PendingPromotion, EachInline,
// InlineBytes, EachInlineDigest, DigestItems, EachAuditEvent), in short
// read transactions. Damage is reported, never returned as an error: an
// error means the audit itself could not run.
func auditEvidence(ctx context.Context, ev *evidence.Service, opts Options) (*EvidenceReport, error) {
	rep := &EvidenceReport{}
	if err := ev.View(func(tx *bolt.Tx) error { return auditChains(tx, rep) }); err != nil {
		return nil, err
	}
	s := &coreAudit{ev: ev, opts: opts, rep: rep}
	pc := s.newProofChecker(ctx, opts.Anchor)
	for next := uint64(0); ; {
		var checks []blobCheck
		var done bool
		err := ev.View(func(tx *bolt.Tx) error {
			checks, next, done = s.auditRecords(tx, next)
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, c := range checks {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			s.auditBlob(ctx, c)
			pc.check(c)
		}
		if done {
			break
		}
	}
	if err := s.auditOrphans(ctx); err != nil {
		return nil, err
	}
	if err := s.auditHolds(ctx); err != nil {
		return nil, err
	}
	for _, f := range append(rep.faults(), fault{"pending", &rep.Pending}) {
		sort.Strings(*f.list)
	}
	return rep, nil
}

// coreAudit is one run of the evidence's own audit: the service, the
// options and the report it fills.
type coreAudit struct {
	ev   *evidence.Service
	opts Options
	rep  *EvidenceReport
}

// auditRecords checks, inside tx, up to auditBatch records from seq from
// on, and returns what remains to check outside it.
func (s *coreAudit) auditRecords(tx *bolt.Tx, from uint64) (checks []blobCheck, next uint64, done bool) {
	next, more := evidence.StoredRecords(tx, from, func(seq uint64, v []byte) bool {
		if len(checks) == auditBatch {
			return false
		}
		s.rep.Records++
		if bc, ok := s.auditRecord(tx, seq, v); ok {
			checks = append(checks, bc)
		}
		return true
	})
	return checks, next, !more
}

// auditRecord checks one stored record in tx and reports whether its blob
// is left to check.
func (s *coreAudit) auditRecord(tx *bolt.Tx, seq uint64, val []byte) (blobCheck, bool) {
	rep := s.rep
	evs, leaves, chainErr := auditEvents(tx, seq)
	rep.Events += len(leaves)
	r, recErr := decodeChecked(tx, seq, val)
	name := recordName(r, evs, seq)
	if chainErr != nil {
		rep.BrokenChains = append(rep.BrokenChains, name)
	}
	if recErr == nil && len(evs) > 0 {
		recErr = matchCreated(r, evs[0])
	}
	if recErr != nil {
		rep.BadRecords = append(rep.BadRecords, name)
		s.ev.Log().Debug("integrity: bad record", "record", name, "err", recErr)
	}
	if r == nil {
		return blobCheck{}, false // nothing trustworthy to look the blob up by
	}
	if !auditTokens(tx, r, evs, s.opts) {
		rep.BadTokens = append(rep.BadTokens, name)
	}
	bc := blobCheck{id: name, key: r.BlobKey(), sha256: r.SHA256, size: r.Size, leaves: leaves}
	if s.auditInline(tx, r) {
		bc.key = "" // checked here
	} else if evidence.PendingPromotion(tx, seq) {
		rep.Pending = append(rep.Pending, name)
		bc.key = ""
	}
	return bc, true
}

// decodeChecked decodes a stored record after checking it against its
// checksum (evidence.RecordSum).
func decodeChecked(tx *bolt.Tx, seq uint64, val []byte) (*evidence.Record, error) {
	var r evidence.Record
	err := json.Unmarshal(val, &r)
	if err != nil {
		return nil, fmt.Errorf("record %d does not decode: %w", seq, err)
	}
	r.Seq = seq
	if sum := sha256.Sum256(val); string(evidence.RecordSum(tx, seq)) != string(sum[:]) {
		return &r, fmt.Errorf("record %d does not match its checksum", seq)
	}
	return &r, nil
}

// matchCreated checks that a record says what its created event, the
// anchored part, says of it.
func matchCreated(r *evidence.Record, e *custody.Event) error {
	ok := e.Type == custody.EventCreated && e.Evidence == r.ID && e.SHA256 == r.SHA256 && e.SM3 == r.SM3 &&
		e.Size == r.Size && e.MediaType == r.MediaType && e.Actor == r.Owner &&
		e.Time == custody.FormatTime(r.CreatedAt) && len(e.Tokens) == len(r.Tokens) &&
		(r.Status == evidence.StatusTimestamped || r.Status == evidence.StatusAnchored)
	for i := 0; ok && i < len(r.Tokens); i++ {
		ok = r.Tokens[i].SHA256 == e.Tokens[i]
	}
	if !ok {
		return fmt.Errorf("record %s disagrees with its created event", r.ID)
	}
	return nil
}

// recordName names a record in a report: its ID, else its created event's.
func recordName(r *evidence.Record, evs []*custody.Event, seq uint64) string {
	switch {
	case r != nil && evidence.ValidID(r.ID):
		return r.ID
	case len(evs) > 0 && evidence.ValidID(evs[0].Evidence):
		return evs[0].Evidence
	}
	return "record:" + strconv.FormatUint(seq, 10)
}

// auditEvents reads and checks one item's custody chain. It returns the
// decoded events (as far as they decode) and every stored event's bytes with
// its leaf index, for the proof check.
func auditEvents(tx *bolt.Tx, seq uint64) ([]*custody.Event, []leafCheck, error) {
	var evs []*custody.Event
	var leaves []leafCheck
	var bad error
	evidence.EachEvent(tx, seq, func(n uint32, v []byte) {
		if li, err := evidence.EventLeaf(tx, seq, n); err == nil {
			leaves = append(leaves, leafCheck{local: li, event: append([]byte(nil), v...)})
		} else {
			bad = err
		}
		e, err := custody.Decode(v)
		if err != nil {
			bad = err
			return
		}
		evs = append(evs, e)
	})
	if bad == nil && len(evs) == 0 {
		bad = errors.New("no custody events")
	}
	if bad == nil {
		_, bad = custody.CheckChain(evs)
	}
	return evs, leaves, bad
}

// auditTokens checks that every stored token is the one the created event
// commits to, and that the built-in one verifies when opts has Roots.
func auditTokens(tx *bolt.Tx, r *evidence.Record, evs []*custody.Event, opts Options) bool {
	if len(evs) == 0 || len(evs[0].Tokens) == 0 {
		return false
	}
	for i, want := range evs[0].Tokens {
		reply := evidence.TokenAt(tx, r.Seq, i)
		if sum := sha256.Sum256(reply); reply == nil || hex.EncodeToString(sum[:]) != want {
			return false
		}
	}
	if opts.Roots == nil {
		return true
	}
	digest, _ := hex.DecodeString(r.SHA256)
	reply := evidence.TokenAt(tx, r.Seq, 0)
	_, err := notary.Check(reply, crypto.SHA256, digest, opts.Roots, opts.Intermediates)
	return err == nil
}

// auditBlob checks a record's blob in the blob store, outside any
// transaction.
func (s *coreAudit) auditBlob(ctx context.Context, c blobCheck) {
	rep := s.rep
	if c.key == "" {
		return
	}
	b, err := s.ev.Blobs().Open(ctx, c.key)
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			s.ev.Log().Warn("integrity: opening a blob", "evidence", c.id, "err", err)
		}
		rep.Missing = append(rep.Missing, c.id)
		return
	}
	defer b.Close()
	if b.Size() != c.size {
		rep.SizeMismatch = append(rep.SizeMismatch, c.id)
		return
	}
	if s.opts.Deep {
		h := sha256.New()
		if _, err := io.Copy(h, b); err != nil || hex.EncodeToString(h.Sum(nil)) != c.sha256 {
			rep.Corrupt = append(rep.Corrupt, c.id)
		}
	}
}

// auditInline checks r's bytes if they are inline, and reports whether
// they were.
func (s *coreAudit) auditInline(tx *bolt.Tx, r *evidence.Record) bool {
	// nil also when r is too large to be inline, or its SHA256 is not a
	// digest: the blob store lookup then reports it missing.
	v := s.ev.InlineOf(tx, r)
	if v == nil {
		return false
	}
	switch {
	case int64(len(v)) != r.Size:
		s.rep.SizeMismatch = append(s.rep.SizeMismatch, r.ID)
	case s.opts.Deep && hex.EncodeToString(sha256Of(v)) != r.SHA256:
		s.rep.Corrupt = append(s.rep.Corrupt, r.ID)
	}
	return true
}

// sha256Of is the SHA-256 of b.
func sha256Of(b []byte) []byte {
	sum := sha256.Sum256(b)
	return sum[:]
}

// proofChecker proves stored events into one checkpoint, taken when the
// audit starts; events it does not cover yet are skipped.
type proofChecker struct {
	s    *coreAudit
	a    Anchor
	rep  *EvidenceReport
	size uint64
	root []byte
	cp   *receipt.Checkpoint
}

func (s *coreAudit) newProofChecker(ctx context.Context, a Anchor) *proofChecker {
	rep := s.rep
	pc := &proofChecker{s: s, a: a, rep: rep}
	if a == nil {
		return pc
	}
	cp, err := a.Checkpoint(ctx)
	if err != nil {
		s.ev.Log().Debug("integrity: no checkpoint to prove events into", "err", err)
		return pc
	}
	root, err := hex.DecodeString(cp.Root)
	if err != nil {
		return pc
	}
	pc.size, pc.root, pc.cp, rep.Checkpoint = cp.TreeSize, root, cp, cp.Height
	return pc
}

func (pc *proofChecker) check(c blobCheck) {
	if pc.root == nil {
		return
	}
	for _, l := range c.leaves {
		if err := pc.prove(l); err != nil {
			pc.rep.BadProofs = append(pc.rep.BadProofs, c.id)
			pc.s.ev.Log().Debug("integrity: event does not prove into the checkpoint", "evidence", c.id, "err", err)
			return
		}
	}
	if err := pc.checkHead(c); err != nil {
		pc.s.ev.Log().Debug("integrity: the item's custody head in the chain's state could not be read", "evidence", c.id, "err", err)
	}
}

// checkHead compares the item's custody head in the chain's state (as the
// prover finds it for a receipt: under custody.HeadKey, bound to the
// first event's log index from the state version the checkpoint says)
// with the heads of its first n events here, for n from all of them down
// (the state may hold a head of fewer events than are stored: those
// anchored since are not registered yet). None matching is a divergence.
// An item whose first event is not in the checkpoint, or whose head the
// state does not hold (a single-event item of a bound version, or one
// from before heads), is not checked.
func (pc *proofChecker) checkHead(c blobCheck) error {
	hs := pc.s.opts.Heads
	if hs == nil || len(c.leaves) == 0 || !evidence.ValidID(c.id) {
		return nil
	}
	key := custody.HeadKey(c.id)
	if pc.cp.HeadsSince != nil {
		first, ok, err := pc.a.Locate(c.leaves[0].local)
		if err != nil || !ok || first >= pc.size {
			return err
		}
		key = custody.BoundHeadKey(key, first)
	}
	v, found, err := hs.HeadValue(key, pc.cp.Height)
	if err != nil || !found {
		return err
	}
	raws := make([][]byte, len(c.leaves))
	hashes := make([][]byte, len(c.leaves))
	for i, l := range c.leaves {
		raws[i], hashes[i] = l.event, rfc6962.DefaultHasher.HashLeaf(l.event)
	}
	// Usually the head of all of them; else of some first n, all found
	// in one pass.
	if hv, err := evidence.HeadOfEvents(c.id, raws, hashes).Value(); err == nil && hv == v {
		return nil
	}
	matched := false
	if err := evidence.EachPrefixHead(c.id, raws, hashes, func(_ int, hv [32]byte) bool {
		matched = hv == v
		return !matched
	}); err != nil {
		return err
	}
	if !matched {
		pc.rep.Diverged = append(pc.rep.Diverged, c.id)
	}
	return nil
}

// prove checks one event's inclusion (RFC 6962 §2.1.1) if the checkpoint
// covers it.
func (pc *proofChecker) prove(l leafCheck) error {
	global, ok, err := pc.a.Locate(l.local)
	if err != nil {
		return err
	}
	if !ok || global >= pc.size {
		return nil // not in this checkpoint yet
	}
	p, err := pc.a.InclusionProof(global, pc.size)
	if err != nil {
		return err
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, global, pc.size, rfc6962.DefaultHasher.HashLeaf(l.event), p, pc.root); err != nil {
		return err
	}
	pc.rep.Proven++
	return nil
}

// auditOrphans lists the blobs, inline and in the blob store, that no record
// references. A candidate is looked up again at the end, so that an upload
// committed while the audit ran is not taken for an orphan.
func (s *coreAudit) auditOrphans(ctx context.Context) error {
	rep := s.rep
	var candidates []string
	err := s.ev.View(func(tx *bolt.Tx) error {
		// Inline bytes keyed by record sequence (inlseq) are written in the
		// record's own transaction, so one without its record is an orphan
		// now; it is named by its digest.
		err := evidence.EachInline(tx, func(seq uint64) error {
			rep.Blobs++
			if evidence.StoredRecord(tx, seq) == nil {
				rep.Orphans = append(rep.Orphans, "inline/sha256/"+hex.EncodeToString(sha256Of(evidence.InlineBytes(tx, seq))))
			}
			return nil
		})
		if err != nil {
			return err
		}
		// The older inline bucket, keyed by digest.
		return evidence.EachInlineDigest(tx, func(k []byte) error {
			rep.Blobs++
			if !s.hasRecord(tx, k) {
				candidates = append(candidates, "inline/sha256/"+hex.EncodeToString(k))
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	if l, ok := s.ev.Blobs().(KeyLister); ok {
		err := l.Keys(ctx, func(key string, _ int64) error {
			rep.Blobs++
			candidates = append(candidates, key)
			return nil
		})
		if err != nil {
			return fmt.Errorf("evidence: listing blobs: %w", err)
		}
	}
	return s.ev.View(func(tx *bolt.Tx) error {
		for _, key := range candidates {
			sum, err := evidence.DecodeDigest(key[len(key)-min(len(key), 64):])
			if err != nil || !s.hasRecord(tx, sum) {
				rep.Orphans = append(rep.Orphans, key)
			}
		}
		return nil
	})
}

// hasRecord reports whether some record has the SHA-256 digest sum.
func (s *coreAudit) hasRecord(tx *bolt.Tx, sum []byte) bool {
	return len(s.ev.DigestItems(tx, sum)) > 0
}

// auditChains checks every organization's audit chain; a broken one is
// reported under BrokenChains by organization ID.
func auditChains(tx *bolt.Tx, rep *EvidenceReport) error {
	chains := map[string][]*custody.Event{}
	broken := map[string]bool{}
	var order []string
	err := evidence.EachAuditEvent(tx, func(org string, v []byte) error {
		if chains[org] == nil {
			order = append(order, org)
			chains[org] = []*custody.Event{}
		}
		rep.AuditEvents++
		e, err := custody.Decode(v)
		if err != nil {
			broken[org] = true
			return nil
		}
		chains[org] = append(chains[org], e)
		return nil
	})
	for _, org := range order {
		if _, cerr := custody.CheckChain(chains[org]); cerr != nil || broken[org] {
			rep.BrokenChains = append(rep.BrokenChains, org)
		}
	}
	return err
}
