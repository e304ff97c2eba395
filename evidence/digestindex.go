package evidence

import (
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// The SHA-256 index of the records (the buckets sha256 and sha256upto) is
// evidence/digestindex's, written behind the records; s.digests answers
// which records hold a digest (ingest's search for identical inline bytes,
// the listing by digest, DigestItems). The core tells it of each record as
// the record's transaction commits (finishing.put), and gives it the
// records' digests through recordDigests.

// recordDigests reads the records' SHA-256s for the digest index.
type recordDigests struct{}

// Last is the highest sequence number given to a record in tx.
func (recordDigests) Last(tx *bolt.Tx) uint64 { return tx.Bucket(bRecords).Sequence() }

// Scan calls fn with the SHA-256 of each record of tx from from through
// upto, in order, or with the error of one whose JSON does not decode.
func (recordDigests) Scan(tx *bolt.Tx, from, upto uint64, fn func(seq uint64, sum [32]byte, err error)) {
	c := tx.Bucket(bRecords).Cursor()
	for k, v := c.Seek(u64(from)); k != nil && u64val(k) <= upto; k, v = c.Next() {
		sum, err := recordDigest(v)
		fn(u64val(k), sum, err)
	}
}

// recordDigest decodes the SHA-256 of a record's JSON.
func recordDigest(val []byte) ([32]byte, error) {
	var r struct {
		SHA256 string `json:"sha256"`
	}
	if err := json.Unmarshal(val, &r); err != nil {
		return [32]byte{}, err
	}
	sum, err := decodeHex32(r.SHA256)
	if err != nil {
		return [32]byte{}, err
	}
	return [32]byte(sum), nil
}
