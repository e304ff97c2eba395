package receipt

import "fmt"

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
	// Suites (version 3, and only there) names the signature suites the
	// consortium uses. A consortium of the ecdsa suite writes no Suites and
	// keeps its version (1, or 2 with transitions), so verifiers older than
	// version 3 keep reading its bundles; one of the sm suite writes
	// version 3, which those verifiers refuse cleanly (an unknown version)
	// rather than misread.
	Suites *Suites `json:"suites,omitempty"`
}

// TrustVersion3 is the version of a trust bundle that names its suites.
const TrustVersion3 = 3

// Suites names what signs what in a consortium: the certificates (root,
// organization CAs, TSAs, notaries), the time-stamp tokens and the
// certificate PDFs are each SuiteECDSA or SuiteSM; consensus (checkpoint
// votes) is always ConsensusEd25519.
type Suites struct {
	Certificates string `json:"certificates"`
	Tokens       string `json:"tokens"`
	PDFs         string `json:"pdfs"`
	Consensus    string `json:"consensus"`
}

// Suite names, as in certs.Suite, and the consensus signature.
const (
	SuiteECDSA       = "ecdsa"
	SuiteSM          = "sm"
	ConsensusEd25519 = "ed25519"
)

// SuitesOf is the Suites of a consortium whose root, TSA and notary keys
// are all of suite (SuiteECDSA or SuiteSM).
func SuitesOf(suite string) *Suites {
	return &Suites{Certificates: suite, Tokens: suite, PDFs: suite, Consensus: ConsensusEd25519}
}

// WithSuite is t naming suite: unchanged for SuiteECDSA (the bundle stays
// at its version, readable by older verifiers), version 3 with SuitesOf(suite)
// for SuiteSM.
func (t Trust) WithSuite(suite string) Trust {
	if suite == SuiteECDSA {
		return t
	}
	t.Version, t.Suites = TrustVersion3, SuitesOf(suite)
	return t
}

// TransitionsVersion is the version of t with transitions: 2, or 3 when
// it names its suites.
func (t *Trust) TransitionsVersion() int {
	if t.Suites != nil {
		return TrustVersion3
	}
	return TrustVersion2
}

func (s *Suites) check() error {
	for _, v := range []string{s.Certificates, s.Tokens, s.PDFs} {
		if v != SuiteECDSA && v != SuiteSM {
			return fmt.Errorf("%w: suite %q, want %s or %s", ErrBadTrust, v, SuiteECDSA, SuiteSM)
		}
	}
	if s.Consensus != ConsensusEd25519 {
		return fmt.Errorf("%w: consensus suite %q, want %s", ErrBadTrust, s.Consensus, ConsensusEd25519)
	}
	return nil
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
