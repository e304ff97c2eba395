package integrity

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/storage"
)

func newAuditor(t *testing.T, s *evidence.Service, cfg AuditorConfig) *Auditor {
	t.Helper()
	a, err := NewAuditor(context.Background(), s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// damageable is a blob store (a storage.Folder) whose blobs can be made
// to read back other bytes, as damage at rest would. It is no
// *storage.Folder, so the service keeps no bytes inline.
type damageable struct {
	evidence.Blobs
	mu      sync.Mutex
	damaged map[string][]byte
}

func newDamageable(t *testing.T) *damageable {
	t.Helper()
	f, err := storage.NewFolder(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &damageable{Blobs: f, damaged: map[string][]byte{}}
}

// damage makes the blob under key read back as b.
func (d *damageable) damage(key string, b []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.damaged[key] = b
}

type memBlob struct{ *bytes.Reader }

func (memBlob) Close() error { return nil }

func (d *damageable) Open(ctx context.Context, key string) (storage.Blob, error) {
	d.mu.Lock()
	b, ok := d.damaged[key]
	d.mu.Unlock()
	if ok {
		return memBlob{bytes.NewReader(b)}, nil
	}
	return d.Blobs.Open(ctx, key)
}

// waitPromoted waits until the service's audit finds no pending
// promotion: the blobs are in the blob store.
func waitPromoted(t *testing.T, s *evidence.Service) {
	t.Helper()
	// A generous bound: the promoter backs off after failures, and a busy
	// machine (the race detector, other tests) slows it further.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		rep, err := auditEvidence(context.Background(), s, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Pending) == 0 {
			return
		}
	}
	t.Fatal("pending markers never cleared")
}

func TestAuditorRunsOnceAtATimeAndLogs(t *testing.T) {
	blobs := newDamageable(t)
	s := evidencetest.New(t, evidence.Config{Blobs: blobs})
	rec := evidencetest.File(t, s, "tester", "exhibit")
	waitPromoted(t, s)
	var logs bytes.Buffer // written before Wait returns: no race
	a := newAuditor(t, s, AuditorConfig{Options: Options{Deep: true}, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if st := a.Status(); st.Running != nil || st.Latest != nil || st.NextAt != nil || st.Interval != "0s" {
		t.Errorf("Status before any run = %+v", st)
	}
	first := a.Start(TriggerManual)
	second := a.Start(TriggerScheduled)
	if first.Running == nil || second.Running != nil && second.Running.Trigger != TriggerManual {
		t.Errorf("Start, Start = %+v, %+v; want one manual run", first.Running, second.Running)
	}
	a.Wait()
	st := a.Status()
	if st.Running != nil || st.Latest == nil || !st.Latest.OK || st.Latest.FinishedAt == nil || st.Latest.Report.Records != 1 {
		t.Fatalf("Status after the run = %+v", st)
	}
	if !strings.Contains(logs.String(), "integrity audit found nothing wrong") {
		t.Errorf("log = %s", logs.String())
	}

	blobs.damage(rec.BlobKey(), []byte("EXHIBIT"))
	a.Start(TriggerManual)
	a.Wait()
	if l := a.Status().Latest; l.OK || l.Findings != 1 || !slices.Equal(l.Report.Corrupt, []string{rec.ID}) {
		t.Errorf("Latest after damage = %+v", l)
	}
	if out := logs.String(); !strings.Contains(out, "integrity audit found damage") || !strings.Contains(out, "corrupt_blobs=["+rec.ID+"]") {
		t.Errorf("log = %s", out)
	}
	// A new auditor on the same store (a restarted node) shows that run.
	b := newAuditor(t, s, AuditorConfig{})
	if l := b.Status().Latest; l == nil || l.OK || l.Findings != 1 || !slices.Equal(l.Report.Corrupt, []string{rec.ID}) {
		t.Errorf("Latest of a new auditor = %+v, want the damaged run", l)
	}
}

func TestAuditorSchedule(t *testing.T) {
	s := evidencetest.New(t, evidence.Config{})
	a := newAuditor(t, s, AuditorConfig{Interval: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Run(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for a.Status().Latest == nil {
		if time.Now().After(deadline) {
			t.Fatal("no scheduled audit ran")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st := a.Status(); st.Latest.Trigger != TriggerScheduled || st.NextAt == nil {
		t.Errorf("Status = %+v; want a scheduled run and the next time", st)
	}
}
