// Package anchor anchors custody events in the consortium chain, a
// transparency log replicated by CometBFT.
//
// Every custody event's canonical bytes become a leaf of one append-only
// RFC 6962 Merkle tree, the evidence log. A node batches its leaf hashes into
// signed anchoring transactions (Tx); the validators, the consortium
// members' nodes, order them into blocks; the ABCI application (App) appends
// every valid batch to the log. The AppHash of a block is the log's size and
// root, so each block header, once the validators have signed its commit, is
// a checkpoint of the whole evidence history co-signed by courts, notaries
// and arbitrators.
//
// # The log
//
// Log keeps the tree in bbolt and works inside the caller's transaction: the
// application opens one write transaction per block in FinalizeBlock and
// commits it in Commit, and a transaction rolled back leaves the log as it
// was. Every complete subtree hash is stored, so an append costs O(log n)
// and any historical root (Log.RootAt), inclusion proof (RFC 6962 §2.1.1,
// Log.InclusionProof) or consistency proof (RFC 6962 §2.1.2,
// Log.ConsistencyProof) can be computed from at most 2·log₂(n) stored
// hashes. Proofs verify with the proof package of
// github.com/transparency-dev/merkle.
//
// # Anchoring transactions
//
// A transaction carries the submitting node's certificate and its
// organization CA's, a sequence number, 1 to MaxLeaves leaf hashes and an
// Ed25519 signature by the node's key (its CometBFT validator key) over the
// rest, bound to the chain ID. The encoding is canonical and strictly
// parsed (DecodeTx). A Verifier accepts it only from a node whose
// certificate chains to the consortium root through its organization CA:
//
//	root → organization CA → node (Ed25519, clientAuth)
package anchor
