package evidence

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
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
	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/receipt"
	"github.com/custos-project/custos/storage"
)

// KeyLister is implemented by blob stores that can enumerate their
// committed blobs; Audit uses it to find orphans.
type KeyLister interface {
	Keys(ctx context.Context, fn func(key string, size int64) error) error
}

// Anchor is what the integrity audit needs from the anchoring side (an
// anchor.Chain) to prove the stored events into the log: the latest final
// checkpoint, where a local leaf is in the log, and its inclusion proof.
// The prover (evidence/proofs) needs more of the chain: proofs.Anchor
// includes this one.
type Anchor interface {
	// Locate returns the log index of a local leaf, if its batch is in the log.
	Locate(local uint64) (global uint64, ok bool, err error)
	// Checkpoint returns the latest final checkpoint.
	Checkpoint(ctx context.Context) (*receipt.Checkpoint, error)
	// InclusionProof proves leaf index into the tree of the given size.
	InclusionProof(index, size uint64) ([][]byte, error)
}

// AuditOptions configures Audit.
type AuditOptions struct {
	// Deep re-reads every blob and recomputes its SHA-256.
	Deep bool
	// Roots and Intermediates verify each record's built-in token (token 0)
	// with notary.Check. With nil Roots tokens are checked against the
	// hashes in the created event only.
	Roots         *x509.CertPool
	Intermediates []*x509.Certificate
	// Anchor, if set, is the chain: every anchored event must prove into
	// its latest checkpoint.
	Anchor Anchor
}

// AuditReport is what Audit found. Lists name record IDs (a record too
// damaged to name itself is named by its created event's ID, or
// "record:<seq>"), except Orphans, which names blob keys; an orphan inline
// blob (bytes in bbolt that no record has) is named "inline/sha256/<hex>".
// Blobs counts the blob store's blobs and the inline ones.
type AuditReport struct {
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
}

// OK reports whether the audit found nothing wrong. Pending promotions are
// not faults: the promoter finishes them.
func (r *AuditReport) OK() bool { return r.Findings() == 0 }

// Findings counts the faults found (pending promotions excluded).
func (r *AuditReport) Findings() int {
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
func (r *AuditReport) Faults() []Fault {
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

func (r *AuditReport) faults() []fault {
	return []fault{
		{"missing_blobs", &r.Missing}, {"size_mismatch", &r.SizeMismatch}, {"corrupt_blobs", &r.Corrupt},
		{"broken_chains", &r.BrokenChains}, {"bad_tokens", &r.BadTokens}, {"orphan_blobs", &r.Orphans},
		{"bad_records", &r.BadRecords}, {"bad_proofs", &r.BadProofs},
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

// Audit checks the store's integrity: every record matches its checksum
// and its created event; every record's blob, inline or in the blob store,
// exists with the right size (and digest, if Deep); every custody and audit
// chain links; every stored token matches the hash its created event
// commits to (and the built-in one verifies, given Roots); with a chain
// attached, every anchored event proves into the latest checkpoint; no
// inline blob (nor, if the blob store can list, stored blob) exists without
// a record. Damage is reported, never returned as an error: an error means
// the audit itself could not run. This is the core's part of the node's
// integrity audit, the part that reads the core's own buckets:
// integrity.Audit runs it and then the audits of the documents that
// registers keep beside the evidence.
func (s *Service) Audit(ctx context.Context, opts AuditOptions) (*AuditReport, error) {
	rep := &AuditReport{}
	if err := s.db.View(func(tx *bolt.Tx) error { return auditChains(tx, rep) }); err != nil {
		return nil, err
	}
	pc := s.newProofChecker(ctx, rep, opts.Anchor)
	for next := uint64(0); ; {
		var checks []blobCheck
		var done bool
		err := s.db.View(func(tx *bolt.Tx) error {
			var err error
			checks, next, done, err = s.auditRecords(tx, next, opts, rep)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, c := range checks {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			s.auditBlob(ctx, c, opts, rep)
			pc.check(c)
		}
		if done {
			break
		}
	}
	if err := s.auditOrphans(ctx, rep); err != nil {
		return nil, err
	}
	for _, f := range append(rep.faults(), fault{"pending", &rep.Pending}) {
		sort.Strings(*f.list)
	}
	return rep, nil
}

// auditRecords checks, inside tx, up to auditBatch records from seq from
// on, and returns what remains to check outside it.
func (s *Service) auditRecords(tx *bolt.Tx, from uint64, opts AuditOptions, rep *AuditReport) (checks []blobCheck, next uint64, done bool, err error) {
	c := tx.Bucket(bRecords).Cursor()
	k, v := c.Seek(u64(from))
	for ; k != nil; k, v = c.Next() {
		if len(checks) == auditBatch {
			return checks, u64val(k), false, nil
		}
		rep.Records++
		if bc, ok := s.auditRecord(tx, u64val(k), v, opts, rep); ok {
			checks = append(checks, bc)
		}
	}
	return checks, 0, true, nil
}

// auditRecord checks one stored record in tx and reports whether its blob
// is left to check.
func (s *Service) auditRecord(tx *bolt.Tx, seq uint64, val []byte, opts AuditOptions, rep *AuditReport) (blobCheck, bool) {
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
		s.log.Debug("integrity: bad record", "record", name, "err", recErr)
	}
	if r == nil {
		return blobCheck{}, false // nothing trustworthy to look the blob up by
	}
	if !auditTokens(tx, r, evs, opts) {
		rep.BadTokens = append(rep.BadTokens, name)
	}
	bc := blobCheck{id: name, key: r.BlobKey(), sha256: r.SHA256, size: r.Size, leaves: leaves}
	if s.auditInline(tx, r, opts, rep) {
		bc.key = "" // checked here
	} else if tx.Bucket(bPending).Get(u64(seq)) != nil {
		rep.Pending = append(rep.Pending, name)
		bc.key = ""
	}
	return bc, true
}

// decodeChecked decodes a stored record after checking it against its
// checksum (see bRecSum).
func decodeChecked(tx *bolt.Tx, seq uint64, val []byte) (*Record, error) {
	var r Record
	err := json.Unmarshal(val, &r)
	if err != nil {
		return nil, fmt.Errorf("record %d does not decode: %w", seq, err)
	}
	r.Seq = seq
	if sum := sha256Sum(val); string(tx.Bucket(bRecSum).Get(u64(seq))) != string(sum[:]) {
		return &r, fmt.Errorf("record %d does not match its checksum", seq)
	}
	return &r, nil
}

// matchCreated checks that a record says what its created event, the
// anchored part, says of it.
func matchCreated(r *Record, e *custody.Event) error {
	ok := e.Type == custody.EventCreated && e.Evidence == r.ID && e.SHA256 == r.SHA256 && e.SM3 == r.SM3 &&
		e.Size == r.Size && e.MediaType == r.MediaType && e.Actor == r.Owner &&
		e.Time == custody.FormatTime(r.CreatedAt) && len(e.Tokens) == len(r.Tokens) &&
		(r.Status == StatusTimestamped || r.Status == StatusAnchored)
	for i := 0; ok && i < len(r.Tokens); i++ {
		ok = r.Tokens[i].SHA256 == e.Tokens[i]
	}
	if !ok {
		return fmt.Errorf("record %s disagrees with its created event", r.ID)
	}
	return nil
}

// recordName names a record in a report: its ID, else its created event's.
func recordName(r *Record, evs []*custody.Event, seq uint64) string {
	switch {
	case r != nil && ValidID(r.ID):
		return r.ID
	case len(evs) > 0 && ValidID(evs[0].Evidence):
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
	c := tx.Bucket(bEvents).Cursor()
	for k, v := c.Seek(u64(seq)); k != nil && len(k) == 12 && u64val(k) == seq; k, v = c.Next() {
		if li := tx.Bucket(bEvLeaf).Get(k); len(li) == 8 {
			leaves = append(leaves, leafCheck{local: u64val(li), event: append([]byte(nil), v...)})
		} else {
			bad = fmt.Errorf("event %x has no leaf index", k)
		}
		e, err := custody.Decode(v)
		if err != nil {
			bad = err
			continue
		}
		evs = append(evs, e)
	}
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
func auditTokens(tx *bolt.Tx, r *Record, evs []*custody.Event, opts AuditOptions) bool {
	if len(evs) == 0 || len(evs[0].Tokens) == 0 {
		return false
	}
	for i, want := range evs[0].Tokens {
		reply := getToken(tx, r.Seq, i)
		if sum := sha256Sum(reply); reply == nil || hex.EncodeToString(sum[:]) != want {
			return false
		}
	}
	if opts.Roots == nil {
		return true
	}
	digest, _ := hex.DecodeString(r.SHA256)
	reply := getToken(tx, r.Seq, 0)
	_, err := notary.Check(reply, crypto.SHA256, digest, opts.Roots, opts.Intermediates)
	return err == nil
}

// auditBlob checks a record's blob in the blob store, outside any
// transaction.
func (s *Service) auditBlob(ctx context.Context, c blobCheck, opts AuditOptions, rep *AuditReport) {
	if c.key == "" {
		return
	}
	b, err := s.cfg.Blobs.Open(ctx, c.key)
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			s.log.Warn("integrity: opening a blob", "evidence", c.id, "err", err)
		}
		rep.Missing = append(rep.Missing, c.id)
		return
	}
	defer b.Close()
	if b.Size() != c.size {
		rep.SizeMismatch = append(rep.SizeMismatch, c.id)
		return
	}
	if opts.Deep {
		h := sha256.New()
		if _, err := io.Copy(h, b); err != nil || hex.EncodeToString(h.Sum(nil)) != c.sha256 {
			rep.Corrupt = append(rep.Corrupt, c.id)
		}
	}
}

// auditInline checks r's bytes if they are inline, and reports whether
// they were.
func (s *Service) auditInline(tx *bolt.Tx, r *Record, opts AuditOptions, rep *AuditReport) bool {
	if r.Size > maxInline {
		return false
	}
	sum, err := decodeHex32(r.SHA256)
	if err != nil {
		return false // not a digest: the blob store lookup reports it missing
	}
	v := s.recordInline(tx, r.Seq, sum)
	switch {
	case v == nil:
		return false
	case int64(len(v)) != r.Size:
		rep.SizeMismatch = append(rep.SizeMismatch, r.ID)
	case opts.Deep && sha256.Sum256(v) != [32]byte(sum):
		rep.Corrupt = append(rep.Corrupt, r.ID)
	}
	return true
}

// proofChecker proves stored events into one checkpoint, taken when the
// audit starts; events it does not cover yet are skipped.
type proofChecker struct {
	s    *Service
	a    Anchor
	rep  *AuditReport
	size uint64
	root []byte
}

func (s *Service) newProofChecker(ctx context.Context, rep *AuditReport, a Anchor) *proofChecker {
	pc := &proofChecker{s: s, a: a, rep: rep}
	if a == nil {
		return pc
	}
	cp, err := a.Checkpoint(ctx)
	if err != nil {
		s.log.Debug("integrity: no checkpoint to prove events into", "err", err)
		return pc
	}
	root, err := hex.DecodeString(cp.Root)
	if err != nil {
		return pc
	}
	pc.size, pc.root, rep.Checkpoint = cp.TreeSize, root, cp.Height
	return pc
}

func (pc *proofChecker) check(c blobCheck) {
	if pc.root == nil {
		return
	}
	for _, l := range c.leaves {
		if err := pc.prove(l); err != nil {
			pc.rep.BadProofs = append(pc.rep.BadProofs, c.id)
			pc.s.log.Debug("integrity: event does not prove into the checkpoint", "evidence", c.id, "err", err)
			return
		}
	}
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
func (s *Service) auditOrphans(ctx context.Context, rep *AuditReport) error {
	var candidates []string
	err := s.db.View(func(tx *bolt.Tx) error {
		// Inline bytes keyed by record sequence (inlseq) are written in the
		// record's own transaction, so one without its record is an orphan
		// now; it is named by its digest.
		recs := tx.Bucket(bRecords)
		err := tx.Bucket(bInlSeq).ForEach(func(k, v []byte) error {
			rep.Blobs++
			if recs.Get(k) == nil {
				sum := sha256.Sum256(withParts(tx, k, v))
				rep.Orphans = append(rep.Orphans, "inline/sha256/"+hex.EncodeToString(sum[:]))
			}
			return nil
		})
		if err != nil {
			return err
		}
		// The older inline bucket, keyed by digest.
		return tx.Bucket(bInline).ForEach(func(k, _ []byte) error {
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
	if l, ok := s.cfg.Blobs.(KeyLister); ok {
		err := l.Keys(ctx, func(key string, _ int64) error {
			rep.Blobs++
			candidates = append(candidates, key)
			return nil
		})
		if err != nil {
			return fmt.Errorf("evidence: listing blobs: %w", err)
		}
	}
	return s.db.View(func(tx *bolt.Tx) error {
		for _, key := range candidates {
			sum, err := decodeHex32(key[len(key)-min(len(key), 64):])
			if err != nil || !s.hasRecord(tx, sum) {
				rep.Orphans = append(rep.Orphans, key)
			}
		}
		return nil
	})
}

// hasRecord reports whether some record has the SHA-256 digest sum.
func (s *Service) hasRecord(tx *bolt.Tx, sum []byte) bool {
	return len(s.digestSeqs(tx, sum)) > 0
}

// auditChains checks every organization's audit chain; a broken one is
// reported under BrokenChains by organization ID.
func auditChains(tx *bolt.Tx, rep *AuditReport) error {
	chains := map[string][]*custody.Event{}
	broken := map[string]bool{}
	var order []string
	err := tx.Bucket(bAudit).ForEach(func(k, v []byte) error {
		org := string(k[:len(k)-4])
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
