package wire

import (
	"time"
)

// AuditStatus is the integrity auditor's state (GET /api/v1/admin/integrity).
type AuditStatus struct {
	Interval string     `json:"interval"` // Go duration; "0s": on demand only
	Deep     bool       `json:"deep"`
	NextAt   *time.Time `json:"next_at,omitempty"` // the next scheduled audit
	Running  *AuditRun  `json:"running,omitempty"` // the audit in progress
	Latest   *AuditRun  `json:"latest,omitempty"`  // the last finished audit
}

// AuditRun is one audit: when it ran, why, and what it found.
type AuditRun struct {
	Trigger    string       `json:"trigger"`
	Deep       bool         `json:"deep"`
	StartedAt  time.Time    `json:"started_at"`
	FinishedAt *time.Time   `json:"finished_at,omitempty"`
	OK         bool         `json:"ok"`       // finished, and found nothing wrong
	Findings   int          `json:"findings"` // faults found: the entries of the report's lists but Pending
	Error      string       `json:"error,omitempty"`
	Report     *AuditReport `json:"report,omitempty"`
}

// AuditReport is what an integrity audit found. Lists name record IDs (a record too
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
	// Diverged are records whose custody head on the chain, as of that
	// checkpoint, is the head of none of their first events on this node:
	// the chain counts events of the item this node does not hold (lost
	// in a restore from an older backup) or holds altered; their receipts
	// answer 409 custody-diverged. Checked only on a node with a running
	// chain.
	Diverged []string `json:"custody_diverged,omitempty"`
	// Held counts the deposits held off the chain. BadHolds are entries
	// of the hold buckets that name no item's created event or no holder,
	// a release still held, or a held deposit the digest index holds;
	// ParkedDeposits the releases that could not be read. Named
	// "<bucket>:<leaf>", with ":<item ID>" where the item is known.
	Held           int      `json:"held_deposits,omitempty"`
	BadHolds       []string `json:"bad_deposit_holds,omitempty"`
	ParkedDeposits []string `json:"parked_deposits,omitempty"`

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
