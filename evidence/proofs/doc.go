// Package proofs builds an evidence service's receipts and answers the
// lookups by digest (docs/receipt.md, docs/architecture.md "Anchoring").
//
// A Prover joins the item store (an evidence.Service, which the chain's
// batcher reads its leaves from) with the anchoring side (an Anchor: the
// chain, which locates and proves them); it is made after both (New), so
// that neither refers to the other. It builds an item's receipt against
// the latest final checkpoint (Receipt, ReceiptWith: the item's events
// with their inclusion proofs, its custody head and the head's proof in
// the chain's state, and, once the item has one, its RFC 4998 evidence
// record, from an ERSReader given by WithRecords); it answers the public
// lookup by SHA-256 or SM3 (LookupSHA256, LookupSM3), from the node's own
// records and the consortium's digest index (DigestIndex), with member
// names given by WithMembers; and it says when leaves became final
// (FinalAt).
//
// It reads the core only through the kernel (evidence/kernel.go): an
// item's events and their leaves (evidence.ItemEvents), its custody head
// (evidence.ItemHead, evidence.HeadOfEvents, evidence.EventType), the
// records with a digest (evidence.Service.DigestItems, evidence.RecordAt)
// and who may see them (evidence.Service.VisibleIn).
package proofs
