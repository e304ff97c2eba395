package records

import (
	"crypto"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/ers"
)

// DefaultRenewBefore is how long before its TSA certificate expires a
// chain's time-stamps are renewed, unless RenewalConfig.Before says
// otherwise: 180 days.
const DefaultRenewBefore = 180 * 24 * time.Hour

// DefaultRenewHash is the hash a hash-tree renewal moves records to,
// unless RenewalConfig.Hash says otherwise.
const DefaultRenewHash = crypto.SHA512

// RenewalConfig configures the renewal of evidence records.
type RenewalConfig struct {
	// Before: a chain whose last time-stamp's signing certificate expires
	// within Before of now is due for time-stamp renewal (RFC 4998 §5.2).
	// 0 means DefaultRenewBefore.
	Before time.Duration
	// RetiredHashes are the hash algorithms the operator retired, by name
	// ("SHA-256", as crypto.Hash spells them; case and dashes do not
	// matter): a chain of a retired hash is due for hash-tree renewal
	// (RFC 4998 §5.3), and no renewal uses one.
	RetiredHashes []string
	// RetiredSignatures are the signature algorithms of time-stamp tokens
	// the operator retired: dotted OIDs of a CMS signatureAlgorithm (such
	// as 1.2.840.10045.4.3.2, ecdsa-with-SHA256) or names or OIDs of a
	// CMS digestAlgorithm ("SHA-1"). A chain whose last token is signed
	// with one is due for time-stamp renewal (§5.2), and no renewal
	// token may be.
	RetiredSignatures []string
	// Hash is the hash of the chains a hash-tree renewal starts; 0 means
	// DefaultRenewHash. It must not be retired.
	Hash crypto.Hash
}

// ParseHash returns the hash named s, as RenewalConfig.Hash takes it
// (ers.ParseHash: SHA-256, SHA-384, SHA-512).
func ParseHash(s string) (crypto.Hash, bool) { return ers.ParseHash(s) }

// Check reports whether c is valid, as New checks it.
func (c RenewalConfig) Check() error { return c.resolve() }

func (c *RenewalConfig) resolve() error {
	if c.Before < 0 {
		return fmt.Errorf("evidence: Renewal.Before %v is negative", c.Before)
	}
	if c.Before == 0 {
		c.Before = DefaultRenewBefore
	}
	if c.Hash == 0 {
		c.Hash = DefaultRenewHash
	}
	if !slices.Contains([]crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512}, c.Hash) {
		return fmt.Errorf("evidence: Renewal.Hash %v: an evidence record takes SHA-256, SHA-384 or SHA-512", c.Hash)
	}
	for _, r := range c.RetiredHashes {
		if isOID(r) {
			return fmt.Errorf("evidence: retired hash %q: give its name (SHA-256...)", r)
		}
		if _, err := ParseRetired(r); err != nil {
			return err
		}
	}
	for _, r := range c.RetiredSignatures {
		if _, err := ParseRetired(r); err != nil {
			return err
		}
	}
	if retired(c.RetiredHashes, c.Hash.String()) {
		return fmt.Errorf("evidence: Renewal.Hash %v is retired", c.Hash)
	}
	return nil
}

// ParseRetired checks an entry of RenewalConfig.Retired and returns its
// normalized form: a lowercase hash name without dashes, or a dotted OID.
func ParseRetired(s string) (string, error) {
	if isOID(s) {
		return s, nil
	}
	n := normalizeAlg(s)
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA224, crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		if normalizeAlg(h.String()) == n {
			return n, nil
		}
	}
	if n == "sm3" {
		return n, nil
	}
	return "", fmt.Errorf("evidence: retired algorithm %q is neither a hash name (SHA-256...) nor a dotted OID", s)
}

func isOID(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

func normalizeAlg(s string) string { return strings.ToLower(strings.ReplaceAll(s, "-", "")) }

// retired reports whether any of names (hash names or dotted OIDs) is in
// list.
func retired(list []string, names ...string) bool {
	for _, r := range list {
		for _, n := range names {
			if n != "" && (r == n || normalizeAlg(r) == normalizeAlg(n)) {
				return true
			}
		}
	}
	return false
}

// tokenFacts are what selection reads from a chain's last token.
type tokenFacts struct {
	notAfter time.Time // its signer certificate's
	imprint  string    // the name of its message imprint's hash
	sigAlgs  []string  // the names and OIDs of its signature's algorithms
}

// retiredToken says what of f is retired, or "".
func (c *RenewalConfig) retiredToken(f *tokenFacts) string {
	if retired(c.RetiredHashes, f.imprint) {
		return f.imprint
	}
	if retired(c.RetiredSignatures, f.sigAlgs...) {
		return strings.Join(f.sigAlgs, " ")
	}
	return ""
}

// readToken reads a chain's last token (ers.InspectToken): its signer's
// expiry and its algorithms.
func readToken(token []byte) (*tokenFacts, error) {
	info, err := ers.InspectToken(token)
	if err != nil {
		return nil, err
	}
	return &tokenFacts{notAfter: info.Signer.NotAfter, imprint: ers.HashName(info.Imprint), sigAlgs: info.Algorithms}, nil
}

// Why a chain is due.
const (
	reasonExpiry    = "expiry"    // its last token's certificate expires within Before
	reasonAlgorithm = "algorithm" // its last token is of a retired algorithm
	reasonHash      = "hash"      // its hash is retired: hash-tree renewal
)

// planBatch is one batch whose chain is some item's last chain, as
// selection sees it.
type planBatch struct {
	num     uint64
	hash    crypto.Hash
	chain   ers.Chain // its time-stamps (no trees)
	members []uint64  // the items whose last chain it is, in order
	docs    []string  // or, for a document batch (docersbatch), its documents' keys
	facts   *tokenFacts
	err     error  // reading its chain or its last token
	reason  string // "" when current
	soon    bool   // current, but due within twice Before
	// left is set when some item (or document) has a later chain after
	// this batch's: a hash-tree renewal moved it on while others stayed
	// (their bytes unreadable, a chunk's token refused). That chain must
	// not change any more, since the later chain covers it as it was
	// (RFC 4998 §5.2, H(ArchiveTimeStampSequence)), and a time-stamp
	// renewal stored once per batch would append to it for every item:
	// when due, the batch gets a hash-tree renewal of the items left.
	left bool
}

// size is how many items or documents b holds.
func (b *planBatch) size() int { return len(b.members) + len(b.docs) }

// what names b in errors.
func (b *planBatch) what() string {
	if b.docs != nil {
		return fmt.Sprintf("document batch %d", b.num)
	}
	return fmt.Sprintf("batch %d", b.num)
}

// renewalPlan is every batch that is the last chain of some item, in
// batch order, with what is due; and every document batch.
type renewalPlan struct {
	batches []*planBatch
	docs    []*planBatch
}

// plan reads the store and decides what is due at now.
func (k *Keeper) plan(now time.Time) (*renewalPlan, error) {
	p := &renewalPlan{}
	err := k.ev.View(func(tx *bolt.Tx) error {
		last, left, err := lastChains(tx)
		if err != nil {
			return err
		}
		nums := make([]uint64, 0, len(last))
		for b := range last {
			nums = append(nums, b)
		}
		slices.Sort(nums)
		for _, b := range nums {
			pb := &planBatch{num: b, members: last[b], left: left[b]}
			slices.Sort(pb.members)
			pb.hash, pb.err = batchHash(tx, b)
			if pb.err == nil {
				pb.chain, pb.err = batchChain(tx, b, nil, pb.hash)
			}
			if pb.err == nil {
				pb.facts, pb.err = readToken(pb.chain[len(pb.chain)-1].TimeStamp)
			}
			if pb.err == nil {
				pb.reason, pb.soon = k.cfg.Renewal.due(pb, now)
			}
			p.batches = append(p.batches, pb)
		}
		p.docs, err = k.planDocuments(tx, now)
		return err
	})
	return p, err
}

// planDocuments reads the document batches (documents.go) that are the
// last chain of some document and decides what is due at now, by the
// items' rules.
func (k *Keeper) planDocuments(tx *bolt.Tx, now time.Time) ([]*planBatch, error) {
	members, left, err := docLastChains(tx)
	if err != nil {
		return nil, err
	}
	nums := make([]uint64, 0, len(members))
	for b := range members {
		nums = append(nums, b)
	}
	slices.Sort(nums)
	out := make([]*planBatch, 0, len(nums))
	for _, b := range nums {
		pb := &planBatch{num: b, docs: members[b], left: left[b]}
		slices.Sort(pb.docs)
		pb.hash, pb.err = docBatchHash(tx, b)
		if pb.err == nil {
			pb.chain, pb.err = chainIn(tx, bDocERSBatch, bDocERSRenew, b, nil, pb.hash)
		}
		if pb.err == nil {
			pb.facts, pb.err = readToken(pb.chain[len(pb.chain)-1].TimeStamp)
		}
		if pb.err == nil {
			pb.reason, pb.soon = k.cfg.Renewal.due(pb, now)
		}
		out = append(out, pb)
	}
	return out, nil
}

// due decides whether b is due at now, and why.
func (c *RenewalConfig) due(b *planBatch, now time.Time) (reason string, soon bool) {
	switch {
	case retired(c.RetiredHashes, b.hash.String()):
		return reasonHash, false
	case b.left && (c.retiredToken(b.facts) != "" || b.facts.notAfter.Sub(now) <= c.Before):
		return reasonHash, false // see planBatch.left
	case c.retiredToken(b.facts) != "":
		return reasonAlgorithm, false
	case b.facts.notAfter.Sub(now) <= c.Before:
		return reasonExpiry, false
	}
	return "", b.facts.notAfter.Sub(now) <= 2*c.Before
}

// lastChains maps each batch to the items whose last chain it is: a
// scan of every item's chains (ersitem, then ersitemx, in key order, so
// that an item's later chains come after its first). left holds the
// batches that are an earlier chain of some item (see planBatch.left).
func lastChains(tx *bolt.Tx) (_ map[uint64][]uint64, left map[uint64]bool, _ error) {
	last := make(map[uint64]uint64) // seq → batch of its last chain
	err := tx.Bucket(bERSItem).ForEach(func(k, v []byte) error {
		if len(k) != 8 || len(v) < 8 {
			return fmt.Errorf("evidence: evidence record %x is corrupt", k)
		}
		last[u64val(k)] = u64val(v[:8])
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	left = make(map[uint64]bool)
	err = tx.Bucket(bERSItemX).ForEach(func(k, v []byte) error {
		if len(k) != 12 || len(v) < 8 {
			return fmt.Errorf("evidence: evidence record chain %x is corrupt", k)
		}
		if b, ok := last[u64val(k[:8])]; ok {
			left[b] = true
		}
		last[u64val(k[:8])] = u64val(v[:8])
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	out := make(map[uint64][]uint64)
	for seq, b := range last {
		out[b] = append(out[b], seq)
	}
	return out, left, nil
}

// RenewalStatus is the state of the node's evidence records
// (RenewalStatus, GET /api/v1/admin/evidence-records/status).
type RenewalStatus struct {
	Now               time.Time `json:"now"`
	RenewBefore       string    `json:"renew_before"`
	RetiredHashes     []string  `json:"retired_hashes,omitempty"`
	RetiredSignatures []string  `json:"retired_signatures,omitempty"`
	Hash              string    `json:"hash"` // of the chains a hash-tree renewal starts
	// Batches and items by the state of their last chain.
	StatusCounts
	NextExpiry *time.Time  `json:"next_expiry,omitempty"` // the earliest signer expiry among the last tokens
	LastRun    *RenewalRun `json:"last_run,omitempty"`
	Errors     []string    `json:"errors,omitempty"`
	// Documents counts the records of documents (certificate PDFs,
	// documents.go) the same way, by document batch: in its counts,
	// items are documents. NextExpiry and Errors cover them too.
	Documents StatusCounts `json:"documents"`
	// Skipped are the final items that have no evidence record because
	// their stored record does not decode (skipped.go); nil: none.
	Skipped *Skipped `json:"skipped,omitempty"`
}

// StatusCounts are batches (chains) and their items by the state of
// their last chain: current, due soon (within twice renew_before), due
// for time-stamp renewal, due for hash-tree renewal; renewed counts the
// chains that have at least one time-stamp renewal, and their items;
// unreadable, the chains whose last token could not be read.
type StatusCounts struct {
	Current      Count `json:"current"`
	DueSoon      Count `json:"due_soon"`
	DueTimeStamp Count `json:"due_timestamp"`
	DueHashTree  Count `json:"due_hashtree"`
	Renewed      Count `json:"renewed"`
	Unreadable   Count `json:"unreadable"`
}

// Count is a number of batches (chains) and of the items in them.
type Count struct {
	Batches int `json:"batches"`
	Items   int `json:"items"`
}

func (c *Count) add(b *planBatch) { c.Batches++; c.Items += b.size() }

// RenewalStatus reports the state of the node's evidence records at now
// (Config.Now), and the last renewal run.
func (k *Keeper) RenewalStatus() (*RenewalStatus, error) {
	now := k.ev.Now().UTC()
	p, err := k.plan(now)
	if err != nil {
		return nil, err
	}
	c := k.cfg.Renewal
	st := &RenewalStatus{Now: now, RenewBefore: c.Before.String(), RetiredHashes: c.RetiredHashes, RetiredSignatures: c.RetiredSignatures, Hash: c.Hash.String()}
	st.count(&st.StatusCounts, p.batches)
	st.count(&st.Documents, p.docs)
	if st.LastRun, err = k.lastRun(); err != nil {
		return nil, err
	}
	st.Skipped, err = k.skipped()
	return st, err
}

// count adds batches to c, their errors and expiries to st.
func (st *RenewalStatus) count(c *StatusCounts, batches []*planBatch) {
	for _, b := range batches {
		switch {
		case b.err != nil:
			c.Unreadable.add(b)
			st.Errors = append(st.Errors, fmt.Sprintf("%s: %v", b.what(), b.err))
			continue
		case b.reason == reasonHash:
			c.DueHashTree.add(b)
		case b.reason != "":
			c.DueTimeStamp.add(b)
		case b.soon:
			c.DueSoon.add(b)
		default:
			c.Current.add(b)
		}
		if len(b.chain) > 1 {
			c.Renewed.add(b)
		}
		if st.NextExpiry == nil || b.facts.notAfter.Before(*st.NextExpiry) {
			t := b.facts.notAfter.UTC()
			st.NextExpiry = &t
		}
	}
}
