package evidence

import (
	"sync"

	bolt "go.etcd.io/bbolt"
)

// recentFacts remembers, for the records committed last, what the
// anchoring's deposits (Deposits) and the evidence records' batches
// (evidence/records, through RecentRecord) read from a record: its ID, SHA-256, SM3 and whether it is
// unlisted. Both ran json.Unmarshal on every new record's stored JSON,
// shortly after the upload that wrote it (the batcher within a window of
// its commit, the evidence records once it is final): about 3% of the
// server's CPU per small upload. The facts are taken from the Record that
// putRecord encoded, and a stored record is never changed, so they are the
// decoded JSON's; a record not remembered (after a restart, or further
// back than the ring holds) is decoded as before.
//
// The ring is indexed by sequence number: slot seq % len holds seq's facts
// or an older record's, which lookup tells apart by the sequence.
type recentFacts struct {
	mu   sync.Mutex
	ring [factsRing]recordFacts
}

// factsRing is how many records recentFacts remembers: at 5,000 uploads/s
// about 3 s, well past the batcher's window and the evidence records'
// wait for finality; about 1.5 MiB.
const factsRing = 1 << 14

// recordFacts is what recentFacts keeps of one record; seq 0 is no record
// (sequences start at 1).
type recordFacts struct {
	seq      uint64
	id       string
	sha256   [32]byte
	sm3      [32]byte
	hasSM3   bool
	unlisted bool
}

// factsOf returns r's facts, with seq (r.Seq need not be set). sha256 is
// the record's digest as bytes, sm3 nil unless the record has one.
func factsOf(seq uint64, r *Record, sha256 [32]byte, sm3 []byte) recordFacts {
	f := recordFacts{seq: seq, id: r.ID, sha256: sha256, unlisted: r.IsUnlisted()}
	if len(sm3) == 32 {
		copy(f.sm3[:], sm3)
		f.hasSM3 = true
	}
	return f
}

func (rf *recentFacts) put(f recordFacts) {
	rf.mu.Lock()
	rf.ring[f.seq%factsRing] = f
	rf.mu.Unlock()
}

// lookup returns seq's facts if they are remembered.
func (rf *recentFacts) lookup(seq uint64) (recordFacts, bool) {
	rf.mu.Lock()
	f := rf.ring[seq%factsRing]
	rf.mu.Unlock()
	return f, seq != 0 && f.seq == seq
}

// storedFacts returns the facts of record seq: remembered, or decoded from
// the record's stored JSON in tx.
func (s *Service) storedFacts(tx *bolt.Tx, seq uint64) (recordFacts, error) {
	if f, ok := s.facts.lookup(seq); ok {
		return f, nil
	}
	r, err := getStoredRecord(tx, seq)
	if err != nil {
		return recordFacts{}, err
	}
	return decodedFacts(r)
}

// decodedFacts are the facts of r, a decoded record; its digests must be
// well-formed hex.
func decodedFacts(r *Record) (recordFacts, error) {
	sum, err := decodeHex32(r.SHA256)
	if err != nil {
		return recordFacts{}, &factsError{id: r.ID, field: "sha256", err: err}
	}
	var sm3 []byte
	if r.SM3 != "" {
		if sm3, err = decodeHex32(r.SM3); err != nil {
			return recordFacts{}, &factsError{id: r.ID, field: "sm3", err: err}
		}
	}
	return factsOf(r.Seq, r, [32]byte(sum), sm3), nil
}

// factsError is a stored record whose digest does not decode.
type factsError struct {
	id, field string
	err       error
}

func (e *factsError) Error() string {
	return "evidence: record " + e.id + ": " + e.field + ": " + e.err.Error()
}
func (e *factsError) Unwrap() error { return e.err }
