package wire

import "time"

// The evidence-record renewal's answers (GET and POST
// /api/v1/admin/evidence-records/...), as a client reads them; the node
// writes records.RenewalStatus and records.RenewalRun.

// RenewalStatus is the state of the node's evidence records.
type RenewalStatus struct {
	Now               time.Time `json:"now"`
	RenewBefore       string    `json:"renew_before"`
	RetiredHashes     []string  `json:"retired_hashes,omitempty"`
	RetiredSignatures []string  `json:"retired_signatures,omitempty"`
	Hash              string    `json:"hash"`
	RenewalCounts
	NextExpiry *time.Time  `json:"next_expiry,omitempty"`
	LastRun    *RenewalRun `json:"last_run,omitempty"`
	Errors     []string    `json:"errors,omitempty"`
	// Documents: the same counts for the records of documents
	// (certificate PDFs); items are documents.
	Documents RenewalCounts `json:"documents"`
	// Skipped: the final items without an evidence record because their
	// stored record does not decode; retried by every build pass.
	Skipped *SkippedItems `json:"skipped,omitempty"`
}

// SkippedItems are final items that a build pass skipped: how many, the
// first 100 by name (evidence ID, or "record:<seq>") and since when.
type SkippedItems struct {
	Items int       `json:"items"`
	Names []string  `json:"names"`
	Since time.Time `json:"since"`
}

// RenewalCounts counts batches and their items (or documents) by the
// state of their last chain.
type RenewalCounts struct {
	Current      RenewalCount `json:"current"`
	DueSoon      RenewalCount `json:"due_soon"`
	DueTimeStamp RenewalCount `json:"due_timestamp"`
	DueHashTree  RenewalCount `json:"due_hashtree"`
	Renewed      RenewalCount `json:"renewed"`
	Unreadable   RenewalCount `json:"unreadable"`
}

// RenewalCount is a number of batches (chains) and of their items.
type RenewalCount struct {
	Batches int `json:"batches"`
	Items   int `json:"items"`
}

// RenewalRun is what one renewal run did, or would do.
type RenewalRun struct {
	Started   time.Time    `json:"started"`
	Finished  time.Time    `json:"finished"`
	DryRun    bool         `json:"dry_run"`
	TimeStamp RenewedCount `json:"timestamp"`
	HashTree  RenewedCount `json:"hashtree"`
	Blocked   RenewalCount `json:"blocked"`
	Errors    []string     `json:"errors,omitempty"`
	// Documents: what the run did to the documents' records.
	Documents DocumentRenewalRun `json:"documents"`
}

// DocumentRenewalRun is what a renewal run did to the documents' records.
type DocumentRenewalRun struct {
	TimeStamp RenewedCount `json:"timestamp"`
	HashTree  RenewedCount `json:"hashtree"`
	Blocked   RenewalCount `json:"blocked"`
}

// RenewedCount counts renewals: batches, items and TSA tokens.
type RenewedCount struct {
	Batches int `json:"batches"`
	Items   int `json:"items"`
	Tokens  int `json:"tokens"`
}
