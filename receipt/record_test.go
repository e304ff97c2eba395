package receipt

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"testing"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/ers"
)

// TestRecordRenewed: a version-5 receipt whose record was renewed with
// SHA-512 (a hash-tree renewal) is checked in full with the file, whose
// SHA-512 step digest computes; without the file (or with its SHA-256
// alone) the record is reported unverified, and the receipt stands.
func TestRecordRenewed(t *testing.T) {
	f := newFixture(t, fixtureConfig{v3: true, since: 2})
	stamp := f.stamper()
	ctx := context.Background()
	sum, sum512 := sha256.Sum256(f.artifact), sha512.Sum512(f.artifact)
	batch, err := ers.Build(ctx, crypto.SHA256, [][]byte{sum[:]}, stamp)
	check(t, err)
	renewed, err := ers.RenewHashTree(ctx, crypto.SHA512, []*ers.Record{batch.Record(0)}, [][]byte{sum512[:]}, stamp)
	check(t, err)
	r, err := f.receipt.WithRecord(renewed[0].Encode())
	check(t, err)
	r, err = Parse(encode(t, r))
	check(t, err)

	res, err := Verify(r, bytes.NewReader(f.artifact), f.trust, Options{})
	if err != nil || res.EvidenceRecord == nil || res.EvidenceRecord.Unverified != "" || len(res.EvidenceRecord.Stamps) != 2 ||
		res.EvidenceRecord.Stamps[1].Hash != "SHA-512" {
		t.Fatalf("Verify(renewed record, file) = %+v, %v; want two stamps, the second SHA-512", res.EvidenceRecord, err)
	}
	for name, opts := range map[string]Options{"no file": {}, "SHA-256 only": {SHA256: sum[:]}} {
		res, err := Verify(r, nil, f.trust, opts)
		if err != nil || res.EvidenceRecord == nil || res.EvidenceRecord.Unverified == "" {
			t.Errorf("Verify(renewed record, %s) = %+v, %v; want valid, the record unverified", name, res.EvidenceRecord, err)
		}
	}
	// Other bytes of the same size fail at step digest, before the record.
	other := bytes.Clone(f.artifact)
	other[0] ^= 1
	var ve *VerifyError
	if _, err := Verify(r, bytes.NewReader(other), f.trust, Options{}); !errors.As(err, &ve) || ve.Step != StepDigest {
		t.Errorf("Verify(renewed record, other file) = %v, want step digest", err)
	}
}

// TestWithRecord: only versions 3, 4 and 5 take a record, never empty.
func TestWithRecord(t *testing.T) {
	for _, tc := range []struct {
		version int
		der     []byte
		ok      bool
	}{{Version1, []byte{1}, false}, {Version2, []byte{1}, false}, {Version3, []byte{1}, true}, {Version4, []byte{1}, true},
		{Version5, []byte{1}, true}, {Version3, nil, false}} {
		r := &Receipt{Version: tc.version}
		got, err := r.WithRecord(tc.der)
		if (err == nil) != tc.ok || tc.ok && (got.Version != Version5 || !bytes.Equal(got.RecordDER(), tc.der)) {
			t.Errorf("version %d WithRecord(%x) = %+v, %v; ok %v", tc.version, tc.der, got, err, tc.ok)
		}
	}
}

// stamper is the fixture's TSA as an ers.Stamper.
func (f *fixture) stamper() ers.Stamper {
	return func(ctx context.Context, h crypto.Hash, d []byte) ([]byte, error) {
		tok, err := f.pki.tsa.Stamp(ctx, h, d)
		if err != nil {
			return nil, err
		}
		return tok.Reply, nil
	}
}

// TestRecordSM: a receipt of the sm suite (SM2 TSA under an SM2 root)
// embeds a record whose token is SM2-signed; it verifies with and without
// the file, and a record of a batch without the item fails at step
// evidence-record.
func TestRecordSM(t *testing.T) {
	f := newFixture(t, fixtureConfig{v3: true, since: 2, suite: certs.SuiteSM})
	ctx := context.Background()
	sum := sha256.Sum256(f.artifact)
	other := sha256.Sum256([]byte("other data"))
	batch, err := ers.Build(ctx, crypto.SHA256, [][]byte{sum[:], other[:]}, f.stamper())
	check(t, err)
	r, err := f.receipt.WithRecord(batch.AppendRecord(nil, 0))
	check(t, err)
	if _, err := Verify(r, nil, f.trust, Options{}); err != nil {
		t.Fatalf("Verify(sm receipt with a record, no file) = %v", err)
	}
	res, err := Verify(r, bytes.NewReader(f.artifact), f.trust, Options{})
	if err != nil || res.EvidenceRecord == nil || len(res.EvidenceRecord.Stamps) != 1 {
		t.Fatalf("Verify(sm receipt with a record, file) = %+v, %v", res, err)
	}
	// (Record 1 of the batch proves the item too: its sibling is in its
	// first PartialHashtree, RFC 4998 §4.3.) A batch without the item:
	third := sha256.Sum256([]byte("third data"))
	others, err := ers.Build(ctx, crypto.SHA256, [][]byte{other[:], third[:]}, f.stamper())
	check(t, err)
	wrong, err := f.receipt.WithRecord(others.AppendRecord(nil, 0))
	check(t, err)
	var ve *VerifyError
	if _, err := Verify(wrong, nil, f.trust, Options{}); !errors.As(err, &ve) || ve.Step != StepRecord {
		t.Errorf("Verify(sm receipt with another item's record) = %v, want step %s", err, StepRecord)
	}
}
