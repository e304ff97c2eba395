package audittrail

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/storage"
)

const (
	orgA = "orgaaaaaaaaaaaaaaaaaaaaaaa"
	orgB = "orgbbbbbbbbbbbbbbbbbbbbbbb"
)

// TestAppendAudit records acts of two organizations and reads each trail
// back: one chain per organization, hash-linked, each event queued as a
// leaf of the log.
func TestAppendAudit(t *testing.T) {
	ctx := context.Background()
	ev := evidencetest.New(t, evidence.Config{})
	trails := New(ev)
	acts := []struct{ org, typ, subject string }{
		{orgA, custody.AuditOrgCreated, "kind:law_firm"},
		{orgB, custody.AuditOrgCreated, "kind:court"},
		{orgA, custody.AuditKeyCreated, "key:k1:submitter"},
		{orgA, custody.AuditKeyRevoked, "key:k1"},
	}
	for i, a := range acts {
		e, err := trails.AppendAudit(ctx, a.org, a.org+":admin", a.typ, a.subject)
		if err != nil {
			t.Fatalf("AppendAudit(%d) = %v", i, err)
		}
		if e.Evidence != a.org || e.Type != a.typ || e.Subject != a.subject || e.V != custody.EventVersion {
			t.Errorf("AppendAudit(%d) = %+v", i, e)
		}
	}
	for org, want := range map[string][]string{
		orgA: {custody.AuditOrgCreated, custody.AuditKeyCreated, custody.AuditKeyRevoked},
		orgB: {custody.AuditOrgCreated},
	} {
		evs, err := trails.AuditTrail(ctx, org)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := custody.CheckChain(evs); err != nil {
			t.Errorf("AuditTrail(%s) does not link: %v", org, err)
		}
		var got []string
		for _, e := range evs {
			got = append(got, e.Type)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("AuditTrail(%s) = %v, want %v", org, got, want)
		}
	}
	leaves, err := ev.LeafHashes(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(leaves) != len(acts) {
		t.Errorf("%d leaves queued, want one per act (%d)", len(leaves), len(acts))
	}
}

// TestAppendAuditRefuses: an organization ID of another length, or a type
// that is no audit event, records nothing, even on a chain that exists.
func TestAppendAuditRefuses(t *testing.T) {
	ctx := context.Background()
	ev := evidencetest.New(t, evidence.Config{})
	trails := New(ev)
	if _, err := trails.AppendAudit(ctx, orgA, orgA+":key", custody.AuditOrgCreated, "kind:test"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, org, typ string }{
		{"short org", "org", custody.AuditKeyCreated},
		{"custody type", orgA, custody.EventViewed},
		{"no type", orgA, ""},
	} {
		if e, err := trails.AppendAudit(ctx, tt.org, "x:y", tt.typ, ""); err == nil {
			t.Errorf("%s: AppendAudit = %+v, want an error", tt.name, e)
		}
	}
	if evs, err := trails.AuditTrail(ctx, orgA); err != nil || len(evs) != 1 {
		t.Errorf("AuditTrail after refusals = %d events, %v; want org.created alone", len(evs), err)
	}
}

// TestAppendAuditTxNeedsChain: a register's act in its own transaction
// (evidence.AppendAuditTx) continues a chain, but does not start one, not
// even with org.created: only AppendAudit starts chains.
func TestAppendAuditTxNeedsChain(t *testing.T) {
	ctx := context.Background()
	ev := evidencetest.New(t, evidence.Config{})
	trails := New(ev)
	act := func(typ string) error {
		e := &custody.Event{V: custody.EventVersion, Evidence: orgA, Type: typ, Time: custody.FormatTime(ev.Now()), Actor: orgA + ":key"}
		return ev.Update(func(tx *bolt.Tx) error { return evidence.AppendAuditTx(tx, e) })
	}
	if err := act(custody.AuditOrgCreated); err == nil {
		t.Error("AppendAuditTx(org.created) without a chain = nil, want an error")
	}
	if _, err := trails.AppendAudit(ctx, orgA, orgA+":key", custody.AuditOrgCreated, "kind:test"); err != nil {
		t.Fatal(err)
	}
	if err := act(custody.AuditOfferAccepted); err != nil {
		t.Errorf("AppendAuditTx after org.created = %v", err)
	}
	if evs, _ := trails.AuditTrail(ctx, orgA); len(evs) != 2 || evs[1].Seq != 1 {
		t.Errorf("AuditTrail = %d events, want org.created then the act", len(evs))
	}
}

// TestAppendAuditTxWithAct: an act audited in the transaction of the store
// that writes it (another store of the same database) is committed with
// its audit event or not at all, and the anchor is told of the leaf once
// it is; a transaction of another database is refused.
func TestAppendAuditTxWithAct(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	blobs, err := storage.NewFolder(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	var told atomic.Int32
	ev, err := evidence.New(ctx, evidence.Config{DB: db, Blobs: blobs, TSA: evidencetest.TSA{}, OnLeaves: func() { told.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	trails := New(ev)
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists([]byte("acts")); return err }); err != nil {
		t.Fatal(err)
	}
	act := func(tx *bolt.Tx) error { return tx.Bucket([]byte("acts")).Put([]byte("k"), []byte("v")) }

	failed := errors.New("the act's store fails after the audit")
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := trails.AppendAuditTx(tx, orgA, orgA+":key", custody.AuditOrgCreated, "kind:test"); err != nil {
			return err
		}
		if err := act(tx); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("Update = %v, want the act's error", err)
	}
	if evs, _ := trails.AuditTrail(ctx, orgA); len(evs) != 0 || told.Load() != 0 {
		t.Errorf("after the failed act: %d audit events, anchor told %d times; want none", len(evs), told.Load())
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if err := act(tx); err != nil {
			return err
		}
		_, err := trails.AppendAuditTx(tx, orgA, orgA+":key", custody.AuditOrgCreated, "kind:test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if evs, _ := trails.AuditTrail(ctx, orgA); len(evs) != 1 || told.Load() != 1 {
		t.Errorf("after the act: %d audit events, anchor told %d times; want 1 and 1", len(evs), told.Load())
	}
	if leaves, _ := ev.LeafHashes(0, 10); len(leaves) != 1 {
		t.Errorf("%d leaves queued, want 1", len(leaves))
	}

	other, err := bolt.Open(filepath.Join(dir, "other.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	err = other.Update(func(tx *bolt.Tx) error {
		_, err := trails.AppendAuditTx(tx, orgA, orgA+":key", custody.AuditKeyCreated, "key:k:viewer")
		return err
	})
	if err == nil {
		t.Error("AppendAuditTx in another database's transaction = nil, want an error")
	}
}
