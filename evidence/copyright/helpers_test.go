package copyright

import (
	"context"
	"testing"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/evidence/integrity"
)

const (
	orgA = "orgaaaaaaaaaaaaaaaaaaaaaaa"
	orgB = "orgbbbbbbbbbbbbbbbbbbbbbbb"
	orgC = "orgccccccccccccccccccccccc"
)

// world is an evidence service with its copyright register, wired as
// cmd/custos wires them: the service's methods and the register's, side
// by side.
type world struct {
	*Register
	*evidence.Service
}

// newWorld returns a register over a new evidence service with cfg (see
// evidencetest.New), its hooks set to the register's.
func newWorld(t testing.TB, cfg evidence.Config) *world {
	t.Helper()
	cfg.OnLeafFinal, cfg.ItemOwner = MarkAnchored, Owner
	ev := evidencetest.New(t, cfg)
	reg, err := New(ev, Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &world{reg, ev}
}

// audit runs the service's integrity audit with the register's.
func (w *world) audit(ctx context.Context, opts integrity.Options) (*integrity.Report, error) {
	opts.Documents = append(opts.Documents, w.Register.Audit())
	return integrity.Audit(ctx, w.Service, opts)
}

// fileAs ingests data as evidence of org.
func fileAs(t testing.TB, s *world, org, data string) *evidence.Record {
	t.Helper()
	return evidencetest.File(t, s.Service, org, data)
}
