package wire

// Consortium governance (docs/governance.md): the members as the chain
// knows them, and the proposals to change them with their votes. The
// fields mirror anchor.Member and anchor.ProposalState.

// Members is the answer of GET /api/v1/consortium/members.
type Members struct {
	Height int64 `json:"height"` // the last committed block
	// StateVersion is the chain state version: from 9 a vote names the
	// SHA-256 of its proposal (transaction version 9), below it not.
	StateVersion int      `json:"state_version"`
	Members      []Member `json:"members"`
}

// Member is a consortium member.
type Member struct {
	ID           string     `json:"id"`             // hex member ID; stays when its validator key is rotated
	Name         string     `json:"name,omitempty"` // its organization CA's O
	Kind         string     `json:"kind,omitempty"` // court, notary, arbitration
	ValidatorKey []byte     `json:"validator_key"`  // Ed25519 (base64 in JSON)
	Power        int64      `json:"power"`
	OrgCAs       []MemberCA `json:"org_cas,omitempty"`
	Place        int        `json:"place"`
	Admitted     int64      `json:"admitted"`
	Removed      int64      `json:"removed,omitempty"`
	// RevokedGov is the governance certificates the member revoked
	// (state version 10).
	RevokedGov []RevokedCert `json:"revoked_gov,omitempty"`
}

// RevokedCert is a governance certificate a member revoked.
type RevokedCert struct {
	SHA256 string `json:"sha256"` // hex, of the certificate's DER, as revoked
	// TBS is the hex SHA-256 of its TBSCertificate, by which the chain
	// knows the certificate in every encoding.
	TBS     string `json:"tbs_sha256"`
	Revoked int64  `json:"revoked"` // the height of the revocation
}

// MemberCA is one of a member's organization CAs.
type MemberCA struct {
	SHA256  string `json:"sha256"` // hex, of the DER
	Cert    []byte `json:"cert"`   // DER (base64 in JSON)
	Bound   int64  `json:"bound"`
	Retired int64  `json:"retired,omitempty"`
}

// Proposals is the answer of GET /api/v1/consortium/proposals.
type Proposals struct {
	Height    int64      `json:"height"`
	Proposals []Proposal `json:"proposals"`
}

// Proposal is a governance proposal and where it stands.
type Proposal struct {
	ID           string `json:"id"`
	Proposer     string `json:"proposer"`
	Action       string `json:"action"` // admit, remove, rotate, power, retire-ca
	Target       string `json:"target,omitempty"`
	OrgCA        []byte `json:"org_ca,omitempty"`
	ValidatorKey []byte `json:"validator_key,omitempty"`
	Power        int64  `json:"power,omitempty"`
	CAHash       string `json:"ca_sha256,omitempty"`
	Override     bool   `json:"override,omitempty"`
	Height       int64  `json:"height"`
	Expires      int64  `json:"expires"`
	Votes        []Vote `json:"votes"`
	YesPower     int64  `json:"yes_power"`
	NoPower      int64  `json:"no_power"`
	TotalPower   int64  `json:"total_power"`
	Status       string `json:"status"` // open, passed, applied, failed, rejected, expired
	Passed       int64  `json:"passed,omitempty"`
	Effective    int64  `json:"effective,omitempty"`
	Closed       int64  `json:"closed,omitempty"`
	Reason       string `json:"reason,omitempty"`
	// SHA256 is the SHA-256 (hex) a version-9 vote names of this
	// proposal: of its transaction's member ‖ idLen ‖ ID ‖ expires ‖
	// flags ‖ action ‖ params (anchor.ProposalState.Hash).
	SHA256 string `json:"sha256"`
}

// Vote is one member's recorded vote.
type Vote struct {
	Member string `json:"member"`
	Yes    bool   `json:"yes"`
	Height int64  `json:"height"`
	Cert   string `json:"cert_sha256,omitempty"` // hex SHA-256 of the governance certificate that signed it (from state version 10)
	// CertTBS is the hex SHA-256 of that certificate's TBSCertificate
	// (from state version 10).
	CertTBS string `json:"cert_tbs_sha256,omitempty"`
}

// GovernanceTx is the JSON body of POST /api/v1/consortium/proposals,
// POST /api/v1/consortium/proposals/{id}/votes and POST
// /api/v1/consortium/revocations: a governance transaction signed by a
// member's governance key, or for a revocation by its organization CA
// (base64 in JSON). The raw bytes may
// be sent instead, as application/octet-stream.
type GovernanceTx struct {
	Tx []byte `json:"tx"`
}

// RevocationAccepted is the answer of POST /api/v1/consortium/revocations:
// a member's revocation of one of its governance certificates (state
// version 10), signed by its organization CA.
type RevocationAccepted struct {
	Member     string `json:"member"`      // the member's ID
	CertSHA256 string `json:"cert_sha256"` // hex SHA-256 of the revoked certificate's DER
	// Height is the block that recorded the revocation; 0 while it is
	// pending (ask again, or submit with ?wait=).
	Height int64 `json:"height"`
}

// GovernanceAccepted is the answer (202) to a submitted proposal or vote.
type GovernanceAccepted struct {
	Proposal string `json:"proposal"` // the proposal's ID
	Kind     string `json:"kind"`     // proposal or vote
	Member   string `json:"member"`   // the signer's member ID
	// Height is the block that recorded the transaction; 0 while it is
	// pending (ask again, or submit with ?wait=).
	Height int64     `json:"height"`
	State  *Proposal `json:"state,omitempty"` // the proposal as it stands, once recorded
}
