package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/storage"
)

// TestCertificateNumbering: custos certificate numbering on a stopped
// node's store prints whether numbering is held and each year's last
// number; --year and --next refuse a number already given (exit 1) and
// set one after it, lifting the hold; a store in use is refused (exit 1);
// --year without --next is a usage error (exit 2).
func TestCertificateNumbering(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := storage.OpenDB(filepath.Join(dir, "custos.db"))
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := storage.NewFolder(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := evidence.New(ctx, evidence.Config{DB: db, Blobs: blobs, TSA: evidencetest.TSA{}})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := certificates.New(ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if _, err := reg.ReserveCertificate(ctx, 2026, "P"); err != nil {
			t.Fatal(err)
		}
	}
	if err := reg.Hold("this node's stores are older than the chain", time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	// The node still holds the store: refused.
	if _, err := runCustos(t, "certificate", "numbering", "--data", dir); exitCode(err) != 1 || !strings.Contains(err.Error(), "in use by a running node") {
		t.Errorf("numbering of a store in use: exit %d, %v", exitCode(err), err)
	}
	db.Close()

	out, err := runCustos(t, "certificate", "numbering", "--data", dir)
	if err != nil || !strings.Contains(out, "HELD since 2026-12-07T21:00:00Z") || !strings.Contains(out, "2026: last number given 4; next 5") {
		t.Fatalf("numbering: %v\n%s", err, out)
	}
	if _, err := runCustos(t, "certificate", "numbering", "--data", dir, "--year", "2026"); exitCode(err) != 2 {
		t.Errorf("--year without --next: exit %d, want 2 (%v)", exitCode(err), err)
	}
	if _, err := runCustos(t, "certificate", "numbering", "--data", dir, "--year", "2026", "--next", "4"); exitCode(err) != 1 || !strings.Contains(err.Error(), "already reserved number 4") {
		t.Errorf("--next 4 after 4 given: exit %d, %v", exitCode(err), err)
	}
	out, err = runCustos(t, "certificate", "numbering", "--data", dir, "--year", "2026", "--next", "58")
	if err != nil || !strings.Contains(out, "not held") || !strings.Contains(out, "2026: last number given 57; next 58") {
		t.Errorf("--next 58: %v\n%s", err, out)
	}
}
