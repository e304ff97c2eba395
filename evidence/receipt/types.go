package receipt

// Version is the receipt format version this package reads and writes.
const Version = 1

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
	Events     []AnchoredEvent `json:"events"`
	Checkpoint Checkpoint      `json:"checkpoint"`
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
}

// Checkpoint is a block header signed by the consortium that commits to the
// log: its AppHash is TreeSize (8 bytes, big-endian) ‖ Root (32 bytes).
type Checkpoint struct {
	ChainID  string `json:"chain_id"`
	Height   int64  `json:"height"`    // the height of SignedHeader
	TreeSize uint64 `json:"tree_size"` // leaves in the log at this checkpoint
	Root     string `json:"root"`      // hex RFC 6962 root of the first TreeSize leaves
	// SignedHeader is the CometBFT SignedHeader (header and the commit that
	// signs it), protobuf (cometbft.types.v1 / tendermint.types.SignedHeader),
	// standard base64.
	SignedHeader string `json:"signed_header"`
	// ValidatorSet is the CometBFT ValidatorSet at Height, protobuf
	// (tendermint.types.ValidatorSet), standard base64.
	ValidatorSet string `json:"validator_set"`
}
