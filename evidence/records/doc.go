// Package records keeps the RFC 4998 evidence records of an evidence
// service's final items and of documents (a notarial certificate's signed
// PDF), and renews them (docs/evidence-records.md).
//
// A Keeper, over an evidence.Service, builds the items' records behind
// finality (RunBuilds, woken by evidence.Service.Finalized), in batches of
// one built-in-TSA time-stamp each (ers.Build), and the documents' records
// when a register asks (BuildDocumentRecords); it assembles a record when
// it is asked (EvidenceRecord, DocumentRecord), and renews what is due
// (Renew, RunRenewals, RenewalStatus): time-stamp renewals stored once per
// batch, hash-tree renewals that start a chain per item from its stored
// bytes, or per document from its bytes (Config.DocumentBytes), each
// token committed with the custody events of the items it renews.
//
// The records live in buckets of their own in the service's database
// (build.go, skipped.go, chains.go, documents.go, docrenew.go); the
// Keeper reads and writes the core only through the kernel
// (evidence/kernel.go): the final
// records (evidence.FinalRecords), an item's record and stored bytes
// (evidence.RecordAt, Service.Open) and its custody chain
// (evidence.AppendEvent). Neither the core nor the prover imports this
// package: the prover (evidence/proofs) embeds an item's record in its
// receipts through proofs.Prover.WithRecords.
package records
