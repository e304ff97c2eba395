// Package integrity is the node's integrity audit of the evidence service
// (Audit: the evidence's own audit of its records, chains, tokens, blobs
// and proofs, evidence.go, then the documents' audits of the registers in
// its Options). An Auditor runs it on a schedule and on demand, one run at
// a time, keeps the latest report in the service's database so that a
// restarted node still shows it, and logs what each run finds. The API's integrity endpoints (GET and POST
// /api/v1/admin/integrity) serve an Auditor; custos fsck runs Audit
// itself, without one.
package integrity

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
)

// bAuditLast keeps the last finished audit, so that a restarted node
// still shows it (GET /api/v1/admin/integrity) until its next audit.
var (
	bAuditLast   = []byte("auditlast") // "latest" → AuditRun JSON
	keyAuditLast = []byte("latest")
)

// Audit triggers.
const (
	TriggerScheduled = "scheduled"
	TriggerManual    = "manual"
)

// AuditorConfig configures an Auditor.
type AuditorConfig struct {
	// Interval is the time between scheduled audits, the first one Interval
	// after Run starts; 0 schedules none (on demand only).
	Interval time.Duration
	Options  Options
	Log      *slog.Logger // nil: logs nothing
	Now      func() time.Time
}

// AuditRun is one audit: when it ran, why, and what it found.
type AuditRun struct {
	Trigger    string     `json:"trigger"`
	Deep       bool       `json:"deep"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	OK         bool       `json:"ok"`       // finished, and found nothing wrong
	Findings   int        `json:"findings"` // faults found (see Report.Findings)
	Error      string     `json:"error,omitempty"`
	Report     *Report    `json:"report,omitempty"`
}

// AuditStatus is an Auditor's state.
type AuditStatus struct {
	Interval string     `json:"interval"` // Go duration; "0s": on demand only
	Deep     bool       `json:"deep"`
	NextAt   *time.Time `json:"next_at,omitempty"` // the next scheduled audit
	Running  *AuditRun  `json:"running,omitempty"` // the audit in progress
	Latest   *AuditRun  `json:"latest,omitempty"`  // the last finished audit
}

// Auditor runs Audit on a schedule and on demand, one
// run at a time, and keeps the latest report. It logs what each run finds.
type Auditor struct {
	ev  *evidence.Service
	cfg AuditorConfig
	ctx context.Context // bounds every run

	mu      sync.Mutex
	running *AuditRun
	latest  *AuditRun
	next    time.Time
	done    chan struct{} // closed when the run in progress ends
}

// NewAuditor returns an auditor of ev, with the last audit that finished
// on this store as its latest, and creates the bucket that keeps it. ctx
// bounds every audit it runs; call Run for the schedule.
func NewAuditor(ctx context.Context, ev *evidence.Service, cfg AuditorConfig) (*Auditor, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := ev.CreateBuckets(bAuditLast); err != nil {
		return nil, err
	}
	a := &Auditor{ev: ev, cfg: cfg, ctx: ctx}
	err := ev.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bAuditLast).Get(keyAuditLast)
		if v == nil {
			return nil
		}
		var run AuditRun
		if err := json.Unmarshal(v, &run); err != nil {
			return err
		}
		a.latest = &run
		return nil
	})
	if err != nil {
		cfg.Log.Warn("integrity audit: the last report does not read back", "err", err)
	}
	return a, nil
}

// Run starts an audit every Interval until ctx ends. A scheduled audit
// that finds one in progress is skipped.
func (a *Auditor) Run(ctx context.Context) {
	if a.cfg.Interval <= 0 {
		return
	}
	t := time.NewTicker(a.cfg.Interval)
	defer t.Stop()
	for {
		a.mu.Lock()
		a.next = a.cfg.Now().Add(a.cfg.Interval)
		a.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.Start(TriggerScheduled)
		}
	}
}

// Start starts an audit now, unless one is in progress, and returns the
// status with the audit in progress either way.
func (a *Auditor) Start(trigger string) AuditStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.running == nil {
		run := &AuditRun{Trigger: trigger, Deep: a.cfg.Options.Deep, StartedAt: a.cfg.Now().UTC()}
		a.running, a.done = run, make(chan struct{})
		go a.audit(run, a.done)
	}
	return a.statusLocked()
}

// Wait waits for the audit in progress, if any, to end.
func (a *Auditor) Wait() {
	a.mu.Lock()
	done := a.done
	a.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Status returns the auditor's state.
func (a *Auditor) Status() AuditStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.statusLocked()
}

func (a *Auditor) statusLocked() AuditStatus {
	st := AuditStatus{Interval: a.cfg.Interval.String(), Deep: a.cfg.Options.Deep}
	if !a.next.IsZero() {
		next := a.next.UTC()
		st.NextAt = &next
	}
	if a.running != nil {
		r := *a.running
		st.Running = &r
	}
	st.Latest = a.latest // never changed once finished
	return st
}

func (a *Auditor) audit(run *AuditRun, done chan struct{}) {
	defer close(done)
	rep, err := Audit(a.ctx, a.ev, a.cfg.Options)
	fin := *run
	now := a.cfg.Now().UTC()
	fin.FinishedAt = &now
	if err != nil {
		fin.Error = err.Error()
	} else {
		fin.Report, fin.Findings, fin.OK = rep, rep.Findings(), rep.OK()
	}
	a.logRun(&fin)
	if v, err := json.Marshal(&fin); err == nil {
		err = a.ev.Update(func(tx *bolt.Tx) error { return tx.Bucket(bAuditLast).Put(keyAuditLast, v) })
		if err != nil {
			a.cfg.Log.Warn("integrity audit: keeping the report", "err", err)
		}
	}
	a.mu.Lock()
	a.running, a.latest = nil, &fin
	a.mu.Unlock()
}

// logRun logs a finished audit: what it found, by kind, with up to ten
// names of each (evidence IDs, organization IDs and blob keys: no secrets).
func (a *Auditor) logRun(run *AuditRun) {
	took := run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond)
	switch {
	case run.Error != "":
		a.cfg.Log.Error("integrity audit could not run", "trigger", run.Trigger, "took", took, "err", run.Error)
	case run.OK:
		r := run.Report
		a.cfg.Log.Info("integrity audit found nothing wrong", "trigger", run.Trigger, "deep", run.Deep, "took", took,
			"records", r.Records, "events", r.Events, "blobs", r.Blobs, "proven_events", r.Proven)
	default:
		args := []any{"trigger", run.Trigger, "deep", run.Deep, "took", took, "findings", run.Findings}
		for _, f := range run.Report.Faults() {
			args = append(args, f.Kind, f.Names[:min(len(f.Names), 10)])
		}
		a.cfg.Log.Error("integrity audit found damage", args...)
	}
}
