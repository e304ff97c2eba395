// Package storage keeps evidence blobs, write-once and content-addressed, and
// opens the bbolt metadata database.
//
// Two blob stores share one method set: [Folder], a local directory, and [S3],
// an S3 bucket with Object Lock (MinIO in a consortium deployment). Neither
// is hidden behind an interface here: the consumer (the evidence ingest)
// declares the few methods it needs.
//
// # Stage, then promote
//
// An upload is streamed once. While the digests are computed, the bytes go to
// a staged blob ([Folder.Stage], [S3.Stage]) named by the caller. Only after the
// digest is known, the RFC 3161 token obtained and the metadata record
// committed does the caller promote the staged blob to its content-addressed
// key ([Folder.Promote], [S3.Promote]):
//
//	st, err := store.Stage(ctx, uploadID)
//	// io.Copy(io.MultiWriter(sha, st), body) ...
//	err = st.Commit()                        // durable, still staged
//	// timestamp, bbolt commit ...
//	err = store.Promote(ctx, uploadID, "sha256/"+hex)
//
// Promote is write-once and idempotent: promoting to a key that already holds
// a blob of the same size keeps the existing bytes (the key is the digest of
// the content) and drops the staged copy; a different size is [ErrConflict];
// promoting again after success returns nil. After a crash, [Folder.ListStaged]
// and [S3.ListStaged] list what is left to promote (the record was committed)
// or to discard (it was not).
//
// # Keys
//
// A key is "sha256/" or "sm3/" followed by 64 lowercase hexadecimal digits.
// Anything else is [ErrBadKey], so a key never escapes the store. Staged names
// match [A-Za-z0-9_-]{1,64}.
package storage
