package receipt

// Version is the receipt format version this package writes. It reads
// Version, Version2 and Version1: a version-1 receipt proves its events but
// not that they are all the item's events (the verdict says so); version 2
// adds the custody head (a checkpoint of chain state version 2); version 3
// is version 2 against a checkpoint of chain state version 3, whose heads
// are bound to their chain's first event and where a chain of one event may
// have no head, which the receipt then proves absent. Version 4 is version
// 3 whose checkpoint carries the validator-set transitions from the trust
// bundle's set to the set that signed it; a receipt is written as version 4
// only when it needs them. Version 5 is version 3 or 4 that carries the
// item's RFC 4998 evidence record (EvidenceRecord), written once the item
// has one; its checkpoint may carry transitions or not.
const (
	Version  = 3
	Version5 = 5
	Version4 = 4
	Version3 = 3
	Version2 = 2
	Version1 = 1
	// MaxVersion is the newest version this package reads.
	MaxVersion = Version5
)

// Receipt proves one evidence item, its time-stamps and its custody events
// against a consortium checkpoint. It is one canonical JSON document: the
// fields in the order declared here, no insignificant white space, strings
// escaped as encoding/json does; Parse refuses any other spelling, unknown
// fields and trailing bytes. docs/receipt.md specifies it.
type Receipt struct {
	Version  int      `json:"version"`
	Evidence Evidence `json:"evidence"`
	// Timestamps are the RFC 3161 TimeStampResp DER replies, standard
	// base64, in the order of the created event's "tokens" hashes.
	Timestamps []string `json:"timestamps"`
	// Events are the item's custody events, from seq 0, each anchored in
	// Checkpoint. Events not yet anchored when the receipt was made are left
	// out (a later receipt includes them).
	Events []AnchoredEvent `json:"events"`
	// Custody proves, as of Checkpoint, how many custody events the item
	// has and of which types, so that a verifier knows whether Events is
	// the whole chain or exactly what it leaves out. Versions 2 and 3.
	Custody    *CustodyProof `json:"custody,omitempty"`
	Checkpoint Checkpoint    `json:"checkpoint"`
	// EvidenceRecord (version 5 only, never empty there) is the item's
	// RFC 4998 EvidenceRecord, DER, standard base64, as its home node held
	// it when the receipt was made: it proves that the data of
	// Evidence.SHA256 existed at its first time-stamp's time, and keeps
	// proving it after renewals (docs/receipt.md §9).
	EvidenceRecord string `json:"evidence_record,omitempty"`
}

// CustodyProof is the item's custody head and its proof in the chain's
// state map at the checkpoint (docs/receipt.md, "Custody completeness").
type CustodyProof struct {
	// Head is the canonical custody head (custody.Head.Encode) as a JSON
	// string; the state map holds SHA-256 of exactly these bytes under
	// custody.HeadKey(evidence ID) (version 2) or custody.BoundHeadKey of
	// that and the first event's leaf index (version 3). In version 3 it is
	// "" when the state holds no head for the item: Proof then proves the
	// key absent, which shows that the item had one event.
	Head string `json:"head"`
	// Proof is the state map's proof (anchor/vmap): the sibling hashes from
	// depth 1 down to the head's leaf (or, for an absent head, to where the
	// key's path ends), lowercase hex.
	Proof []string `json:"proof"`
	// Other is, for an absent head whose path ends at another key's leaf,
	// that leaf's key and value (two lowercase hex hashes); omitted
	// otherwise.
	Other []string `json:"other,omitempty"`
}

// Evidence describes the item the receipt is about.
type Evidence struct {
	ID        string `json:"id"`
	SHA256    string `json:"sha256"`        // hex
	SM3       string `json:"sm3,omitempty"` // hex
	Size      int64  `json:"size"`
	MediaType string `json:"media_type"`
}

// AnchoredEvent is one custody event and its RFC 6962 inclusion proof.
type AnchoredEvent struct {
	// Event is the event's canonical encoding (custody.Event.Encode) as a
	// JSON string; the Merkle leaf is exactly these bytes (RFC 6962 §2.1:
	// leaf hash = SHA-256(0x00 ‖ bytes)).
	Event     string   `json:"event"`
	LeafIndex uint64   `json:"leaf_index"`
	Proof     []string `json:"proof"` // hex node hashes, RFC 6962 §2.1.1 order, for a tree of Checkpoint.TreeSize
	// ItemProof (version 2, only when the receipt leaves events out) is
	// the RFC 6962 audit path of the event's leaf hash at index seq in the
	// item's own event tree of head.count leaves, whose root the head
	// carries.
	ItemProof []string `json:"item_proof,omitempty"`
}

// Checkpoint is a block header signed by the consortium that commits to the
// log: its AppHash is TreeSize (8 bytes, big-endian) ‖ Root (32 bytes).
type Checkpoint struct {
	ChainID  string `json:"chain_id"`
	Height   int64  `json:"height"`    // the height of SignedHeader
	TreeSize uint64 `json:"tree_size"` // leaves in the log at this checkpoint
	Root     string `json:"root"`      // hex RFC 6962 root of the first TreeSize leaves
	// StateRoot is the hex root of the chain's state map (anchor/vmap) at
	// this checkpoint, for a chain at state version 2: the AppHash is then
	// 0x02 ‖ TreeSize ‖ Root ‖ StateRoot. Empty for state version 1.
	StateRoot string `json:"state_root,omitempty"`
	// HeadsSince is, for a chain at state version 3, the log size at which
	// version 3 began: the AppHash is then 0x03 ‖ TreeSize ‖ Root ‖
	// StateRoot ‖ HeadsSince (8 bytes, big-endian). Absent before version 3.
	HeadsSince *uint64 `json:"heads_since,omitempty"`
	// SignedHeader is the CometBFT SignedHeader (header and the commit that
	// signs it), protobuf (cometbft.types.v1 / tendermint.types.SignedHeader),
	// standard base64.
	SignedHeader string `json:"signed_header"`
	// ValidatorSet is the CometBFT ValidatorSet at Height, protobuf
	// (tendermint.types.ValidatorSet), standard base64.
	ValidatorSet string `json:"validator_set"`
	// Transitions (version 4 only, never empty there) lead from the trust
	// bundle's validator set to the set that signed SignedHeader, in
	// height order (transition.go, docs/governance.md).
	Transitions []Transition `json:"transitions,omitempty"`
}
