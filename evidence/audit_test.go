package evidence

import (
	"context"
	"encoding/json"

	"github.com/custos-project/custos/api/wire"
)

// The core's tests check their stores with the node's integrity audit
// (integrity.Audit, evidence/integrity), which is built on this package
// and so cannot be imported by its internal tests. The external test
// package can: integrity_test.go sets AuditForTest to it when the test
// binary starts, and audit hands its run to the tests as the JSON that
// the API serves (wire.AuditRun, which api's TestWireShapes holds to
// integrity.AuditRun's shape).

// AuditForTest runs integrity.Audit on s, Deep if deep, and returns the
// run as integrity.AuditRun's JSON (its OK, Findings and Report).
var AuditForTest func(ctx context.Context, s *Service, deep bool) ([]byte, error)

// auditReport is what the integrity audit found.
type auditReport struct {
	wire.AuditReport
	ok       bool
	findings int
}

// OK reports whether the audit found nothing wrong (integrity.Report.OK).
func (r *auditReport) OK() bool { return r.ok }

// Findings counts the faults found (integrity.Report.Findings).
func (r *auditReport) Findings() int { return r.findings }

// audit runs the node's integrity audit on s (without documents, chain or
// trusted roots), re-reading every blob if deep.
func audit(ctx context.Context, s *Service, deep bool) (*auditReport, error) {
	b, err := AuditForTest(ctx, s, deep)
	if err != nil {
		return nil, err
	}
	var run wire.AuditRun
	if err := json.Unmarshal(b, &run); err != nil {
		return nil, err
	}
	return &auditReport{AuditReport: *run.Report, ok: run.OK, findings: run.Findings}, nil
}
