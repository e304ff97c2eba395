package anchor

import "errors"

// Errors of the evidence log (Log).
var (
	// ErrNoLog reports a log whose bucket does not exist: Log.Init was never
	// run in this database.
	ErrNoLog = errors.New("anchor: log not initialized")

	// ErrBadIndex reports a leaf index that is not below the tree size it is
	// asked about.
	ErrBadIndex = errors.New("anchor: leaf index out of range")

	// ErrBadSize reports a tree size larger than the log, or a consistency
	// proof request whose first size exceeds its second.
	ErrBadSize = errors.New("anchor: tree size out of range")

	// ErrBadLeaf reports a leaf hash that is not 32 bytes long (the size of
	// an RFC 6962 SHA-256 leaf hash).
	ErrBadLeaf = errors.New("anchor: leaf hash is not 32 bytes")

	// ErrCorrupt reports stored log state that breaks the log's invariants:
	// a missing node, or a node or tree head of the wrong length. It is never
	// caused by a caller's input.
	ErrCorrupt = errors.New("anchor: corrupt log state")
)

// Errors of anchoring transactions (Tx, Verifier).
var (
	// ErrMalformedTx reports bytes that are not exactly one canonical
	// anchoring transaction: wrong magic or version, a length that does not
	// add up, a leaf count outside 1..MaxLeaves, a certificate that does not
	// parse, or trailing bytes.
	ErrMalformedTx = errors.New("anchor: malformed anchoring transaction")

	// ErrChainID reports a chain ID that is empty or contains a NUL byte
	// (which would make the signed message ambiguous).
	ErrChainID = errors.New("anchor: invalid chain ID")

	// ErrNodeKey reports a node certificate whose key is not Ed25519, or a
	// private key that does not match the node certificate.
	ErrNodeKey = errors.New("anchor: node key is not the certificate's Ed25519 key")

	// ErrNotMember reports a node certificate that does not chain to the
	// consortium root through the given organization CA, or is not valid for
	// client authentication.
	ErrNotMember = errors.New("anchor: not signed by a consortium member")

	// ErrExpired reports a node or organization CA certificate (or the root)
	// that is not valid at the verification time.
	ErrExpired = errors.New("anchor: certificate not valid at this time")

	// ErrBadSignature reports an Ed25519 signature that does not verify for
	// this chain ID under the node certificate's key.
	ErrBadSignature = errors.New("anchor: bad transaction signature")
)

// ErrGovKey reports a governance transaction's signer that is not its
// governance certificate's key, or that returned no ECDSA signature.
var ErrGovKey = errors.New("anchor: signer is not the governance certificate's key")
