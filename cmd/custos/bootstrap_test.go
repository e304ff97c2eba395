package main

import (
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/audittrail"
	"github.com/custos-project/custos/evidence/evidencetest"
)

// TestBootstrapAllOrNothing: a first start whose audit events cannot be
// written (here the audit trail's database is closed) creates neither the
// operator organization nor its admin key, so the next start bootstraps
// again instead of finding a node nobody can administer.
func TestBootstrapAllOrNothing(t *testing.T) {
	ev := evidencetest.New(t, evidence.Config{})
	var evdb *bolt.DB
	ev.View(func(tx *bolt.Tx) error { evdb = tx.DB(); return nil })
	if err := evdb.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(t.TempDir(), "custos.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	orgs, err := access.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Org: "Operator", Data: t.TempDir()}
	t.Setenv("CUSTOS_BOOTSTRAP_TOKEN", "")
	if _, err := bootstrap(orgs, audittrail.New(ev), cfg); err == nil {
		t.Fatal("bootstrap with the audit trail failing = nil, want an error")
	}
	if empty, err := orgs.Empty(); err != nil || !empty {
		t.Errorf("after the failed bootstrap: empty = %v, %v; want an empty store", empty, err)
	}
	if keys, _ := orgs.Keys(""); len(keys) != 0 {
		t.Errorf("after the failed bootstrap: keys %+v, want none", keys)
	}
}
