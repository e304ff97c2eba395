package evidence_test

import (
	"context"
	"encoding/json"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/integrity"
)

// The core's internal tests check their stores with the node's integrity
// audit, which they cannot import (audit_test.go): this external test
// package hands it to them before any test runs.
func init() {
	evidence.AuditForTest = func(ctx context.Context, s *evidence.Service, deep bool) ([]byte, error) {
		rep, err := integrity.Audit(ctx, s, integrity.Options{Deep: deep})
		if err != nil {
			return nil, err
		}
		return json.Marshal(integrity.AuditRun{OK: rep.OK(), Findings: rep.Findings(), Report: rep})
	}
}
