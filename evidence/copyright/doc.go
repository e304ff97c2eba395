// Package copyright is the copyright register kept beside the evidence
// (package evidence): works registered with evidence items as their files,
// registration numbers, the registration certificates as stored,
// revocation, transfer offers between organizations, and the priority
// search by SHA-256 and perceptual hash.
//
// A Register keeps its buckets in the evidence service's bbolt database
// and writes them in the service's transactions (evidence.Service.Update),
// with the custody and audit events its acts put on the evidence. The
// service calls back into the register only through functions of the
// transaction given in its Config: MarkAnchored (Config.OnLeafFinal) and
// Owner (Config.ItemOwner); the integrity audit checks registrations
// through Register.Audit (integrity.Options.Documents).
package copyright
