package receipt

// Trust is the trust bundle: everything a verifier must trust, and nothing
// more. It is served at /api/v1/trust and written by `custos consortium
// init`; a court should keep its own copy rather than fetch it from the
// server whose evidence it checks.
type Trust struct {
	Version int `json:"version"`
	// ChainID names the consortium chain; checkpoints from another chain
	// are refused.
	ChainID string `json:"chain_id"`
	// RootPEM is the consortium root CA. Every TSA certificate and every
	// validator's node certificate chains to it.
	RootPEM string `json:"root_pem"`
	// Validators are the consortium's validators. A checkpoint is final
	// when validators holding more than 2/3 of this voting power signed it.
	Validators []Validator `json:"validators"`
	// TSAChain is the PEM chain (TSA certificate, then its organization CA)
	// of the TSA of the node that served this bundle, for use with
	// `openssl ts -verify -untrusted`.
	TSAChain string `json:"tsa_chain_pem,omitempty"`
	TSAName  string `json:"tsa,omitempty"`
	// TSARootsPEM lists further roots (PEM) that the tokens of external
	// TSAs chain to. A receipt's first token (the built-in TSA's) must
	// verify under RootPEM or these; a further token whose TSA chains to
	// none of them is reported as unverified, not as a failure.
	TSARootsPEM string `json:"tsa_roots_pem,omitempty"`
	// Version 2 (GET /api/v1/trust?transitions=1) adds the validator-set
	// transitions from Validators (the genesis set, which a verifier still
	// starts from) to the current set, ValidatorsCurrent (keys and powers;
	// names, kinds and certificates where known), and TransitionsThrough,
	// the height of the last transition (0 when there is none). A verifier
	// follows Transitions for receipts that carry none of their own.
	Transitions        []Transition `json:"transitions,omitempty"`
	ValidatorsCurrent  []Validator  `json:"validators_current,omitempty"`
	TransitionsThrough int64        `json:"transitions_through,omitempty"`
}

// TrustVersion2 is the version of a trust bundle with transitions.
const TrustVersion2 = 2

// Validator is one consortium member's validator.
type Validator struct {
	Name   string `json:"name"`    // organization name
	Kind   string `json:"kind"`    // court, notary, arbitration
	PubKey string `json:"pub_key"` // Ed25519 consensus key, standard base64 (32 bytes)
	Power  int64  `json:"power"`
	// CertPEM is the node certificate for PubKey followed by the member's
	// organization CA certificate, which the consortium root issued.
	// ParseTrust checks that chain when it is present.
	CertPEM string `json:"cert_pem"`
}
