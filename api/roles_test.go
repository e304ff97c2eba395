package api

import "github.com/custos-project/custos/evidence"

// evidenceService is the evidence service in every role the server uses it
// in, as evidence.Service is; test doubles embed it.
type evidenceService interface {
	Records
	Custody
	Sharing
	AuditTrails
	Certificates
	Proofs
}

// withEvidence returns cfg with ev in every evidence role.
func withEvidence(ev evidenceService, cfg Config) Config {
	cfg.Records, cfg.Custody, cfg.Sharing, cfg.Audit, cfg.Certificates, cfg.Proofs = ev, ev, ev, ev, ev, ev
	return cfg
}

// proved is a real evidence service with its prover, which has no chain
// (so every receipt is evidence.ErrNotAnchored, as on a node without one).
type proved struct {
	*evidence.Service
	*evidence.Prover
}

func withProver(ev *evidence.Service) proved { return proved{ev, evidence.NewProver(ev, nil)} }
