package api

// evidenceService is the evidence service in every role the server uses it
// in, as evidence.Service is; test doubles embed it.
type evidenceService interface {
	Records
	Custody
	Sharing
	AuditTrails
	Certificates
}

// withEvidence returns cfg with ev in every evidence role.
func withEvidence(ev evidenceService, cfg Config) Config {
	cfg.Records, cfg.Custody, cfg.Sharing, cfg.Audit, cfg.Certificates = ev, ev, ev, ev, ev
	return cfg
}
