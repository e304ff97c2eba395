package evidence

import (
	"crypto/sha256"

	bolt "go.etcd.io/bbolt"
)

// Document record checksums. The JSON of a certificate or registration
// record is checksummed like an evidence record's (recsum), so that the
// integrity audit (evidence/integrity) finds a changed byte in a field
// nothing else vouches for (a title, a party, an address). A store from
// before the checksums gets them for its documents when the register is
// opened (SumDocuments).
var bDocSum = []byte("docsum") // kind(1) ‖ id → SHA-256 of the record's JSON

// The checksum kinds in use, one byte per kind of document: 'c' notarial
// certificates (evidence/certificates), 'r' copyright registrations
// (evidence/copyright).

func docSumKey(kind byte, id string) []byte { return append([]byte{kind}, id...) }

func putDocSum(tx *bolt.Tx, kind byte, id string, val []byte) error {
	sum := sha256.Sum256(val)
	return tx.Bucket(bDocSum).Put(docSumKey(kind, id), sum[:])
}

// sumBucket gives a checksum of kind to every record of bucket that has none.
func sumBucket(tx *bolt.Tx, bucket []byte, kind byte) error {
	sums := tx.Bucket(bDocSum)
	return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
		if sums.Get(docSumKey(kind, string(k))) != nil {
			return nil
		}
		return putDocSum(tx, kind, string(k), v)
	})
}
