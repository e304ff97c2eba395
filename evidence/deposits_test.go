package evidence

import (
	"context"
	"encoding/hex"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/custody"
)

// Deposits names each item whose created event is in the range, by its
// digest and that event's local leaf; reads and audit events are not
// deposits. RegisterDeposits submits every item once, and resumes.
func TestDeposits(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t, newMemBlobs())
	a, err := ingest(t, s, "a contract")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Access(ctx, a.ID, "court", "viewed", ""); err != nil {
		t.Fatal(err)
	}
	audit := &custody.Event{V: custody.EventVersion, Evidence: orgA, Type: custody.AuditOrgCreated, Time: custody.FormatTime(s.Now()), Actor: orgA + ":key", Subject: "kind:test"}
	if err := s.Update(func(tx *bolt.Tx) error { return AppendAuditOrStartTx(tx, audit) }); err != nil { // as audittrail.Trails.AppendAudit does
		t.Fatal(err)
	}
	b, err := ingest(t, s, "a photo")
	if err != nil {
		t.Fatal(err)
	}
	leaves, err := s.LeafHashes(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := s.Deposits(0, len(leaves))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].FirstLocal != 0 || hex.EncodeToString(ds[0].SHA256[:]) != a.SHA256 ||
		ds[1].FirstLocal != uint64(len(leaves)-1) || hex.EncodeToString(ds[1].SHA256[:]) != b.SHA256 || ds[0].HasSM3 {
		t.Fatalf("Deposits(0, %d) = %+v; want a's at leaf 0 and b's at the last leaf, no SM3", len(leaves), ds)
	}
	if ds, err := s.Deposits(1, len(leaves)-2); err != nil || len(ds) != 0 {
		t.Errorf("Deposits of the read and audit leaves = %+v, %v; want none", ds, err)
	}
	var got []anchor.Deposit
	submit := func(_ context.Context, d []anchor.Deposit) error { got = append(got, d...); return nil }
	if n, err := s.RegisterDeposits(ctx, submit); err != nil || n != 2 || len(got) != 2 || got[0] != ds[0] {
		t.Fatalf("RegisterDeposits = %d, %v, %+v; want both items", n, err, got)
	}
	if n, err := s.RegisterDeposits(ctx, submit); err != nil || n != 0 {
		t.Errorf("RegisterDeposits again = %d, %v; want nothing (done)", n, err)
	}
}
