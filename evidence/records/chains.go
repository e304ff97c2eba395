package records

import (
	"bytes"
	"crypto"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/ers"
	"github.com/custos-project/custos/evidence"
)

// Renewed evidence records (RFC 4998 §5.2, docs/evidence-records.md
// "Renewal").
//
// A batch is a hash tree under one token: a build batch (ersbatch, the
// first chain of its items, SHA-256) or the batch of a hash-tree renewal
// run (also in ersbatch, its hash in ersbhash), which starts a further
// chain for each of its items. The items of a batch share their chain's
// time-stamps, so a time-stamp renewal of the chain is one
// ArchiveTimeStamp for the whole batch, stored once (ersrenew). An item's
// chains after the first are in ersitemx. Nothing stored before renewals
// existed changes: a record without renewals reads as it did.
var (
	bERSBatchHash = []byte("ersbhash") // batch(8) → hash name ("SHA-512"); absent: SHA-256
	bERSRenew     = []byte("ersrenew") // batch(8) ‖ n(4) → DER ArchiveTimeStamp: the n-th (n ≥ 1) of the batch's chain
	bERSItemX     = []byte("ersitemx") // seq(8) ‖ k(4) → batch(8) ‖ DER SEQUENCE OF PartialHashtree: the item's chain k ≥ 1
	bERSRun       = []byte("ersrun")   // "last" → JSON RenewalRun of the last renewal run that was not a dry run
)

// A document's record (documents.go) has a first chain, SHA-256, and a
// further chain per hash-tree renewal (docrenew.go); their time-stamp
// renewals are stored once per document batch, as an item batch's are.
var bDocERSRenew = []byte("docersrenew") // batch(8) ‖ n(4) → DER ArchiveTimeStamp: the n-th (n ≥ 1) of the document batch's chain

var ersRenewBuckets = [][]byte{bERSBatchHash, bERSRenew, bERSItemX, bERSRun, bDocERSRenew, bDocERSBatchHash, bDocERSX}

// batchKey is batch(8) ‖ n(4), the key of a batch's chain's n-th
// ArchiveTimeStamp (ersrenew) or of an item's k-th chain (ersitemx).
func batchKey(batch uint64, n uint32) []byte {
	return binary.BigEndian.AppendUint32(u64(batch), n)
}

// batchHash is the hash algorithm of batch's tree and chain.
func batchHash(tx *bolt.Tx, batch uint64) (crypto.Hash, error) {
	return hashIn(tx, bERSBatchHash, batch)
}

// hashIn is batchHash over the bucket of the batches' hashes: the items'
// (ersbhash) or the documents' (docersbhash).
func hashIn(tx *bolt.Tx, hashes []byte, batch uint64) (crypto.Hash, error) {
	v := tx.Bucket(hashes).Get(u64(batch))
	if v == nil {
		return ersHash, nil
	}
	h, ok := ers.ParseHash(string(v))
	if !ok {
		return 0, fmt.Errorf("evidence: evidence-record batch %d has hash %q", batch, v)
	}
	return h, nil
}

// batchChain returns the ArchiveTimeStamps of batch's chain as they go in
// each record of its items, tree is the item's reduced hash tree under
// the first one. The values are copied out of tx.
func batchChain(tx *bolt.Tx, batch uint64, tree []ers.PartialHashtree, h crypto.Hash) (ers.Chain, error) {
	return chainIn(tx, bERSBatch, bERSRenew, batch, tree, h)
}

// chainIn is batchChain over the buckets of the batches' tokens and of
// their renewals: the items' (ersbatch, ersrenew) or the documents'
// (docersbatch, docersrenew).
func chainIn(tx *bolt.Tx, batches, renewals []byte, batch uint64, tree []ers.PartialHashtree, h crypto.Hash) (ers.Chain, error) {
	var token []byte
	if b := tx.Bucket(batches); b != nil {
		token = b.Get(u64(batch))
	}
	if token == nil {
		return nil, fmt.Errorf("evidence: evidence-record batch %d is missing", batch)
	}
	chain := ers.Chain{{Hash: h, Tree: tree, TimeStamp: bytes.Clone(token)}}
	c := tx.Bucket(renewals).Cursor()
	prefix := u64(batch)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		a, err := ers.DecodeArchiveTimeStamp(bytes.Clone(v))
		if err != nil {
			return nil, fmt.Errorf("evidence: renewal %d of evidence-record batch %d: %w", binary.BigEndian.Uint32(k[8:]), batch, err)
		}
		if a.Hash != h {
			return nil, fmt.Errorf("evidence: renewal %d of evidence-record batch %d is %v, the chain %v", binary.BigEndian.Uint32(k[8:]), batch, a.Hash, h)
		}
		chain = append(chain, a)
	}
	return chain, nil
}

// itemChain reads an item's chain value (ersitem or ersitemx: batch(8) ‖
// tree) and returns its chain.
func itemChain(tx *bolt.Tx, seq uint64, k uint32, v []byte) (ers.Chain, uint64, error) {
	if len(v) < 8 {
		return nil, 0, fmt.Errorf("evidence: evidence record of record %d, chain %d is corrupt (%d bytes)", seq, k, len(v))
	}
	batch := u64val(v[:8])
	h, err := batchHash(tx, batch)
	if err != nil {
		return nil, 0, err
	}
	var tree []ers.PartialHashtree
	if len(v) > 8 { // else a batch of one: the time-stamp is over the item's hash
		if tree, err = ers.DecodeTree(bytes.Clone(v[8:]), h); err != nil {
			return nil, 0, fmt.Errorf("evidence: evidence record of record %d, chain %d: %w", seq, k, err)
		}
	}
	chain, err := batchChain(tx, batch, tree, h)
	return chain, batch, err
}

// loadEvidenceRecord assembles the record of seq: its first chain (its
// build batch's token over its tree, then the batch's time-stamp
// renewals), then each chain a hash-tree renewal started, with its own
// batch's renewals.
func loadEvidenceRecord(tx *bolt.Tx, seq uint64) (*ers.Record, error) {
	rec, _, err := loadRecordBatches(tx, seq)
	return rec, err
}

// loadRecordBatches is loadEvidenceRecord, with the batch of each chain.
func loadRecordBatches(tx *bolt.Tx, seq uint64) (*ers.Record, []uint64, error) {
	v := tx.Bucket(bERSItem).Get(u64(seq))
	if v == nil {
		return nil, nil, evidence.ErrRecordPending
	}
	chain, batch, err := itemChain(tx, seq, 0, v)
	if err != nil {
		return nil, nil, err
	}
	rec := &ers.Record{DigestAlgorithms: []crypto.Hash{chain[0].Hash}, Chains: []ers.Chain{chain}}
	batches := []uint64{batch}
	c := tx.Bucket(bERSItemX).Cursor()
	prefix := u64(seq)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		n := binary.BigEndian.Uint32(k[8:])
		if int(n) != len(rec.Chains) {
			return nil, nil, fmt.Errorf("evidence: evidence record of record %d has chain %d after %d chains", seq, n, len(rec.Chains))
		}
		chain, batch, err := itemChain(tx, seq, n, v)
		if err != nil {
			return nil, nil, err
		}
		if h := chain[0].Hash; !slices.Contains(rec.DigestAlgorithms, h) {
			rec.DigestAlgorithms = append(rec.DigestAlgorithms, h)
		}
		rec.Chains, batches = append(rec.Chains, chain), append(batches, batch)
	}
	return rec, batches, nil
}
