package api

import (
	"testing"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/audittrail"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/evidence/proofs"
	"github.com/custos-project/custos/evidence/records"
	"github.com/custos-project/custos/evidence/sharing"
)

// evidenceService is the evidence service in every role the server uses it
// in, as evidence.Service is, with its prover, its evidence records, its
// certificate records and its audit trails; test doubles embed it.
type evidenceService interface {
	Records
	EvidenceRecords
	Custody
	Sharing
	AuditTrails
	VerifyTokens
	Certificates
	Proofs
}

// withEvidence returns cfg with ev in every evidence role.
func withEvidence(ev evidenceService, cfg Config) Config {
	cfg.Records, cfg.EvidenceRecords, cfg.Custody, cfg.Sharing, cfg.Audit, cfg.VerifyTokens, cfg.Certificates, cfg.Proofs = ev, ev, ev, ev, ev, ev, ev, ev
	return cfg
}

// proved is a real evidence service with its prover, which has no chain
// (so every receipt is proofs.ErrNotAnchored, as on a node without one),
// its evidence records (never built: its TSA is a stand-in), its
// certificate records, its audit trails and its matters and shares.
type proved struct {
	*evidence.Service
	*proofs.Prover
	*records.Keeper
	*certificates.Register
	*audittrail.Trails
	*sharing.Registry
}

func withProver(t testing.TB, ev *evidence.Service) proved {
	t.Helper()
	recs, err := records.New(ev, records.Config{TSA: evidencetest.TSA{}})
	if err != nil {
		t.Fatal(err)
	}
	certs, err := certificates.New(ev, recs)
	if err != nil {
		t.Fatal(err)
	}
	shares, err := sharing.New(ev)
	if err != nil {
		t.Fatal(err)
	}
	return proved{ev, proofs.New(ev, nil).WithRecords(recs), recs, certs, audittrail.New(ev), shares}
}
