package integrity

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/transparency-dev/merkle/rfc6962"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
)

// flip changes one byte of the value under key in bucket, as damage at rest
// would, and returns the value it had.
func flip(t *testing.T, s *evidence.Service, bucket, key []byte, at func(v []byte) int) []byte {
	t.Helper()
	v := evidencetest.Get(t, s, bucket, key)
	old := bytes.Clone(v)
	v[at(v)] ^= 0x01
	evidencetest.Put(t, s, bucket, key, v)
	return old
}

// TestAuditFindsDamageAtRest flips one byte at a time in each kind of
// stored bytes a receipt or a download is built from, and checks that the
// audit reports it under the right kind, and that it is clean again once
// the byte is restored.
func TestAuditFindsDamageAtRest(t *testing.T) {
	s := evidencetest.New(t, evidence.Config{Blobs: evidencetest.NewBlobs()})
	rec := evidencetest.File(t, s, "tester", "an exhibit")
	if _, _, err := s.Access(context.Background(), rec.ID, "tester", "viewed", ""); err != nil {
		t.Fatal(err)
	}
	waitPromoted(t, s)
	anch := evidencetest.NewLogAnchor(t, s)
	middle := func(v []byte) int { return len(v) / 2 }
	quote := func(v []byte) int { return bytes.IndexByte(v, '"') } // breaks the JSON
	seq := binary.BigEndian.AppendUint64(nil, rec.Seq)
	event := func(n uint32) []byte { return binary.BigEndian.AppendUint32(bytes.Clone(seq), n) }
	token := binary.BigEndian.AppendUint16(bytes.Clone(seq), 0)
	for _, tc := range []struct {
		name           string
		bucket, key    []byte
		at             func([]byte) int
		kind           func(*Report) []string
		keepsOtherKind bool
	}{
		{"record byte", evidencetest.RecordsBucket, seq, middle, func(r *Report) []string { return r.BadRecords }, false},
		{"record syntax", evidencetest.RecordsBucket, seq, quote, func(r *Report) []string { return r.BadRecords }, false},
		{"token", evidencetest.TokensBucket, token, middle, func(r *Report) []string { return r.BadTokens }, false},
		{"last event", evidencetest.EventsBucket, event(1), func(v []byte) int { return bytes.Index(v, []byte("viewed")) }, func(r *Report) []string { return r.BadProofs }, true},
		{"first event", evidencetest.EventsBucket, event(0), func(v []byte) int { return bytes.Index(v, []byte("tester")) }, func(r *Report) []string { return r.BrokenChains }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := flip(t, s, tc.bucket, tc.key, tc.at)
			rep, err := Audit(context.Background(), s, Options{Deep: true, Anchor: anch})
			if err != nil {
				t.Fatalf("Audit = %v; damage must be reported, not fail the audit", err)
			}
			if got := tc.kind(rep); !slices.Equal(got, []string{rec.ID}) {
				t.Errorf("Audit after flipping a byte of the %s = %+v; want %s reported", tc.name, rep, rec.ID)
			}
			if !tc.keepsOtherKind && rep.Findings() != 1 {
				t.Errorf("Audit found %d faults, want 1: %+v", rep.Findings(), rep)
			}
			evidencetest.Put(t, s, tc.bucket, tc.key, old)
			if rep, err := Audit(context.Background(), s, Options{Deep: true, Anchor: anch}); err != nil || !rep.OK() || rep.Proven != 2 {
				t.Errorf("Audit after restoring = %+v, %v; want clean with 2 events proven", rep, err)
			}
		})
	}
}

// The audit reports blobs in the blob store that read back other bytes,
// are lost, or belong to no record.
func TestAuditFindsDamage(t *testing.T) {
	blobs := evidencetest.NewBlobs()
	s := evidencetest.New(t, evidence.Config{Blobs: blobs})
	a := evidencetest.File(t, s, "tester", "first")
	b := evidencetest.File(t, s, "tester", "second")
	waitPromoted(t, s)
	blobs.Set(a.BlobKey(), []byte("FIRST"))                       // same size, other bytes
	blobs.Delete(b.BlobKey())                                     // lost
	blobs.Set("sha256/"+strings.Repeat("0", 64), []byte("stray")) // orphan
	rep, err := Audit(context.Background(), s, Options{Deep: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || len(rep.Corrupt) != 1 || rep.Corrupt[0] != a.ID || len(rep.Missing) != 1 || rep.Missing[0] != b.ID || len(rep.Orphans) != 1 {
		t.Errorf("Audit = %+v; want a corrupt, b missing, one orphan", rep)
	}
}

// The audit reports inline damage: an inline blob no record names, and a
// record's inline bytes changed or truncated.
func TestAuditInline(t *testing.T) {
	s := evidencetest.New(t, evidence.Config{}) // a storage.Folder: small bodies inline
	a := evidencetest.File(t, s, "tester", "first exhibit")
	b := evidencetest.File(t, s, "tester", "second exhibit")
	stray := sha256.Sum256([]byte("stray"))
	key := func(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }
	evidencetest.Put(t, s, evidencetest.InlineBucket, key(a.Seq), []byte("FIRST EXHIBIT")) // same size, other bytes
	evidencetest.Put(t, s, evidencetest.InlineBucket, key(b.Seq), []byte("second"))        // truncated
	evidencetest.Put(t, s, evidencetest.InlineBucket, key(99), []byte("stray"))            // no record
	rep, err := Audit(context.Background(), s, Options{Deep: true})
	if err != nil {
		t.Fatal(err)
	}
	wantOrphan := "inline/sha256/" + hex.EncodeToString(stray[:])
	if rep.OK() || rep.Blobs != 3 ||
		len(rep.Corrupt) != 1 || rep.Corrupt[0] != a.ID ||
		len(rep.SizeMismatch) != 1 || rep.SizeMismatch[0] != b.ID ||
		len(rep.Orphans) != 1 || rep.Orphans[0] != wantOrphan {
		t.Errorf("Audit = %+v; want a corrupt, b size mismatch, orphan %s", rep, wantOrphan)
	}
	shallow, err := Audit(context.Background(), s, Options{})
	if err != nil || len(shallow.Corrupt) != 0 || len(shallow.SizeMismatch) != 1 {
		t.Errorf("Audit(shallow) = %+v, %v; want only the size mismatch and the orphan", shallow, err)
	}
}

// headsAnchor is a LogAnchor whose chain state holds the custody heads
// the test puts there.
type headsAnchor struct {
	*evidencetest.LogAnchor
	heads map[[32]byte][32]byte
}

func (a *headsAnchor) HeadValue(key [32]byte, _ int64) ([32]byte, bool, error) {
	v, ok := a.heads[key]
	return v, ok, nil
}

// TestAuditCustodyDiverged: the audit names an item whose custody head in
// the chain's state is the head of none of its first events here (events
// the chain counts were lost, as in a restore from an older backup), and
// not one whose head is of all its events or of fewer (events not yet
// registered), nor one the state has no head for.
func TestAuditCustodyDiverged(t *testing.T) {
	s := evidencetest.New(t, evidence.Config{Blobs: evidencetest.NewBlobs()})
	rec := evidencetest.File(t, s, "tester", "an exhibit")
	other := evidencetest.File(t, s, "tester", "another exhibit")
	if _, _, err := s.Access(context.Background(), rec.ID, "tester", "viewed", ""); err != nil {
		t.Fatal(err)
	}
	waitPromoted(t, s)
	anch := &headsAnchor{LogAnchor: evidencetest.NewLogAnchor(t, s), heads: map[[32]byte][32]byte{}}
	var raws, leaves [][]byte
	err := s.View(func(tx *bolt.Tx) error {
		_, l, err := evidence.ItemHead(tx, rec.Seq, 2)
		leaves = l
		evidence.EachEvent(tx, rec.Seq, func(_ uint32, v []byte) { raws = append(raws, bytes.Clone(v)) })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	headOf := func(raws, leaves [][]byte) [32]byte {
		v, err := evidence.HeadOfEvents(rec.ID, raws, leaves).Value()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// A third event the chain counted and this node lost.
	lost := bytes.Replace(bytes.Clone(raws[1]), []byte("viewed"), []byte("shared"), 1)
	lostLeaf := rfc6962.DefaultHasher.HashLeaf(lost)
	key := custody.HeadKey(rec.ID)
	for _, tc := range []struct {
		name string
		head *[32]byte
		want []string
	}{
		{"no head in the state", nil, nil},
		{"the head of all its events", ptr(headOf(raws, leaves)), nil},
		{"the head of its first event (the second not registered yet)", ptr(headOf(raws[:1], leaves[:1])), nil},
		{"the head of an event this node does not hold", ptr(headOf(append(slices.Clone(raws), lost), append(slices.Clone(leaves), lostLeaf))), []string{rec.ID}},
		{"the head of other events", ptr(headOf([][]byte{raws[0], lost}, [][]byte{leaves[0], lostLeaf})), []string{rec.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clear(anch.heads)
			if tc.head != nil {
				anch.heads[key] = *tc.head
			}
			rep, err := Audit(context.Background(), s, Options{Anchor: anch, Heads: anch})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rep.Diverged, tc.want) {
				t.Errorf("custody_diverged = %v, want %v (other item %s)", rep.Diverged, tc.want, other.ID)
			}
			if ok := len(tc.want) == 0; rep.OK() != ok || (!ok && rep.Findings() != 1) {
				t.Errorf("OK = %v with %d findings (%+v), want %v", rep.OK(), rep.Findings(), rep.Faults(), ok)
			}
		})
	}
	// Without Heads nothing is compared.
	anch.heads[key] = [32]byte{1}
	if rep, err := Audit(context.Background(), s, Options{Anchor: anch}); err != nil || !rep.OK() {
		t.Errorf("Audit without Heads = %+v %v, want clean", rep, err)
	}
}

func ptr[T any](v T) *T { return &v }
