package evidence

import (
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence/tokenstore"
)

// The records' RFC 3161 replies are stored by evidence/tokenstore, without
// the certificates each embeds (stored once, in tokenstore.CertsBucket):
// in bTokens, under tokenKey(seq, i), the i-th reply of record seq.

// putToken stores the i-th reply of record seq. known is the service's
// record of the certificates fields stored (nil: none known).
func putToken(tx *bolt.Tx, seq uint64, i int, st tokenstore.Stored, known *tokenstore.Known) error {
	return tokenstore.Put(tx, sequential(tx.Bucket(bTokens)), tokenKey(seq, i), st, known)
}

// getToken returns the i-th reply of record seq, or nil if it is missing
// or its stored form is damaged (tokenstore.Get).
func getToken(tx *bolt.Tx, seq uint64, i int) []byte {
	return tokenstore.Get(tx, tx.Bucket(bTokens), tokenKey(seq, i))
}
