// Package evidence is the Custos domain: evidence records, their hash-linked
// custody events, the canonical encoding of those events, and the ingest
// pipeline that turns an upload into a durable, timestamped record.
//
// # Ingest
//
// An upload is read exactly once. Every byte goes, in the same pass, to the
// digests (SHA-256 always, SM3 when configured) and to a staged blob in the
// blob store. Large uploads are pipelined: one goroutine reads, one hashes per
// algorithm and one writes, sharing a small ring of buffers, so memory stays
// flat whatever the size and hashing runs beside the disk or network write.
//
// When the stream ends the staged blob is made durable, the SHA-256 digest is
// time-stamped (RFC 3161) by the built-in TSA and by any configured external
// TSAs, and one bbolt transaction commits the record, its tokens, its first
// custody event ("created") and a pending-promotion marker. Only then is the
// staged blob promoted to its content-addressed, write-once key, and only
// then does [Upload.Finish] return. Concurrent uploads share bbolt commits
// (group commit: one committer goroutine puts every write queued while the
// previous transaction was committing into the next one; see commit.go).
//
// # Crash safety
//
// The commit order makes every crash recoverable by rolling forward or back:
//
//   - before the bbolt commit, nothing refers to the staged blob; at start-up
//     [Service.Recover] discards staged blobs that have no record;
//   - after the commit, the pending marker names the staged blob; recovery
//     promotes it (promotion is idempotent) and clears the marker.
//
// So a record is never visible without its bytes, digest and token, and no
// blob is left behind without a record.
//
// # Custody events
//
// Every act on an item (created, viewed, downloaded, and later shared,
// certified...) is an [custody.Event]. Events of one item form a hash chain: each
// carries the SHA-256 of the previous event's canonical bytes. Each event is
// also appended to a global, ordered leaf queue that the anchor log consumes.
package evidence
