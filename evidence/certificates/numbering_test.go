package certificates

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/storage"
)

// TestNumberingHold: once numbering is held (a restore found), no number
// is reserved, whatever the year, and the hold says since when and why; a
// second hold keeps the first; SetNext refuses a number the node already
// gave and, with one after it, lifts the hold, and the next certificate
// has that number.
func TestNumberingHold(t *testing.T) {
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := registerOn(t, db)
	for range 3 {
		if _, err := s.ReserveCertificate(ctx, 2026, "P"); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC)
	if err := s.Hold("restored", at); err != nil {
		t.Fatal(err)
	}
	if err := s.Hold("again", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, year := range []int{2026, 2027} {
		_, err := s.ReserveCertificate(ctx, year, "P")
		var he *HeldError
		if !errors.Is(err, ErrNumberingHeld) || !errors.As(err, &he) || !he.Since.Equal(at) || he.Reason != "restored" {
			t.Errorf("ReserveCertificate(%d) while held = %v, want the first hold", year, err)
		}
	}
	hold, last, err := Numbering(db)
	if err != nil || hold == nil || last[2026] != 3 || len(last) != 1 {
		t.Fatalf("Numbering = %+v, %v, %v; want held, 2026 at 3", hold, last, err)
	}
	for _, next := range []uint64{0, 2, 3} {
		if err := SetNext(db, 2026, next); !errors.Is(err, ErrBadCertificate) {
			t.Errorf("SetNext(2026, %d) with 3 given = %v, want ErrBadCertificate", next, err)
		}
	}
	if _, err := s.ReserveCertificate(ctx, 2026, "P"); !errors.Is(err, ErrNumberingHeld) {
		t.Errorf("a refused SetNext lifted the hold: %v", err)
	}
	if err := SetNext(db, 2026, 58); err != nil {
		t.Fatal(err)
	}
	if c, err := s.ReserveCertificate(ctx, 2026, "P"); err != nil || c.Serial != 58 || c.Number != "（2026）P证字第58号" {
		t.Errorf("after SetNext(2026, 58): %+v, %v; want number 58", c, err)
	}
	if hold, _, _ := Numbering(db); hold != nil {
		t.Errorf("still held after SetNext: %+v", hold)
	}
}

// registerOn is a Register over an evidence service on db, with a folder
// store of its own.
func registerOn(t testing.TB, db *bolt.DB) *Register {
	t.Helper()
	blobs, err := storage.NewFolder(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := evidence.New(context.Background(), evidence.Config{DB: db, Blobs: blobs, TSA: evidencetest.TSA{}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
