package integrity

import (
	"context"
	"crypto/x509"
	"sort"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
)

// Options configures Audit.
type Options struct {
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
	// Heads, if set with Anchor, reads the items' custody heads in the
	// chain's state: each must be the head of some of the item's first
	// events here (EvidenceReport.Diverged).
	Heads HeadState
	// Deposits, if set with Anchor, is the consortium's digest index: no
	// deposit the node holds off the chain may be in it yet.
	Deposits DepositIndex
	// Holders, if set, tells whether holder (what a held or released
	// deposit names, a copyright registration's ID) lists item, read in
	// tx (copyright.Register.Lists): a hold or release by something that
	// does not is a bad hold.
	Holders func(tx *bolt.Tx, holder, item string) bool
	// Documents are the audits of the documents registers keep beside the
	// evidence (the notarial certificates, certificates.Register.Audit; the
	// copyright registrations, copyright.Register.Audit), run in order.
	Documents []DocumentAudit
}

// Report is what Audit found: the evidence's own audit (records, chains,
// blobs, tokens and proofs, EvidenceReport), then the documents'.
type Report struct {
	EvidenceReport

	// Certificates and Copyrights count the notarial certificates and the
	// copyright registrations checked. The lists below name them
	// "certificate:<id>" and "copyright:<id>".
	Certificates int `json:"certificates"`
	Copyrights   int `json:"copyrights"`
	// BadDocuments: the record does not decode, or its signed PDF (a
	// certificate's, or a registration's certificate) is missing or does
	// not match the SHA-256 recorded when it was issued.
	BadDocuments []string `json:"bad_documents,omitempty"`
	// BadReceipts: a receipt stored with the document (as its PDF embeds
	// it) is missing, not canonical, or about another item or digest than
	// the document names.
	BadReceipts []string `json:"bad_receipts,omitempty"`
	// MissingItems: the document names an evidence item that does not
	// exist (or, for a registration, is not indexed under it).
	MissingItems []string `json:"missing_items,omitempty"`
	// MissingEvents: an item lacks a custody event the document implies
	// ("certified", "copyright.registered", ...).
	MissingEvents []string `json:"missing_events,omitempty"`
}

// OK reports whether the audit found nothing wrong. Pending promotions are
// not faults: the promoter finishes them.
func (r *Report) OK() bool { return r.Findings() == 0 }

// Findings counts the faults found (pending promotions excluded).
func (r *Report) Findings() int {
	n := r.EvidenceReport.Findings()
	for _, f := range r.docFaults() {
		n += len(f.Names)
	}
	return n
}

// Faults returns the kinds of fault the report found, each with the names
// it lists, in the report's order (pending promotions excluded).
func (r *Report) Faults() []Fault {
	out := r.EvidenceReport.Faults()
	for _, f := range r.docFaults() {
		if len(f.Names) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// docFaults are the documents' kinds of fault, named as in the JSON
// report, each with its list (found or not).
func (r *Report) docFaults() []Fault {
	return []Fault{
		{Kind: "bad_documents", Names: r.BadDocuments}, {Kind: "bad_receipts", Names: r.BadReceipts},
		{Kind: "missing_items", Names: r.MissingItems}, {Kind: "missing_events", Names: r.MissingEvents},
	}
}

// Audit is the node's integrity audit of ev: the evidence's own audit
// (evidence.go: every record matches its checksum and its
// created event; every record's blob exists with the right size, and
// digest if Deep; every custody and audit chain links; every stored token
// matches its created event, and the built-in one verifies given Roots;
// with a chain, every anchored event proves into the latest checkpoint;
// no blob exists without a record), then every document of
// opts.Documents (the notarial certificates, the copyright registrations)
// against its signed PDF, its receipts, its items and their custody
// events. Damage is reported, never returned as an error: an error means
// the audit itself could not run.
func Audit(ctx context.Context, ev *evidence.Service, opts Options) (*Report, error) {
	core, err := auditEvidence(ctx, ev, opts)
	if err != nil {
		return nil, err
	}
	rep := &Report{EvidenceReport: *core}
	if err := auditDocuments(ctx, ev, rep, opts.Documents); err != nil {
		return nil, err
	}
	for _, f := range rep.docFaults() {
		sort.Strings(f.Names) // in place: Names is the report's list
	}
	return rep, nil
}
