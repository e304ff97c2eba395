// Package ers builds, encodes, decodes and verifies RFC 4998 Evidence
// Records: archive time-stamps over reduced hash trees that prove that a
// data object existed at a time, renewable before a TSA certificate expires
// (time-stamp renewal, RFC 4998 §5.2) or a hash algorithm weakens
// (hash-tree renewal, §5.3), so that the proof outlives both.
//
// One hash tree covers many items and takes one RFC 3161 time-stamp
// (Build), so an item's record costs a few hashes; each item's Record
// holds its reduced hash tree (its path to the time-stamped root). Renewals
// work on records of many batches at once, with one time-stamp per call
// (RenewTimeStamps, RenewHashTree). Verify checks a record against the
// hashes of its data object, step by step; docs/evidence-records.md
// describes the format as Custos writes it and every rule Verify checks.
//
// The package is store-agnostic and imports no server code: it hashes, asks
// a Stamper for time-stamps and encodes DER with internal/cms, so that the
// verifiers (receipt, the command line, the browser) may use it.
// The hash trees are binary and each node hashes the ascending binary
// concatenation of its two children (RFC 4998 §4.2), as Bouncy Castle's
// org.bouncycastle.tsp.ers reads them; its ERSEvidenceRecord accepts
// what this package writes (ers/bc_test.go).
package ers
