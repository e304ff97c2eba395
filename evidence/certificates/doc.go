// Package certificates is the record of the notarial certificates a node
// issued over evidence items (package evidence): their numbers, reserved
// before the certificate is rendered; the certificate, its signed PDF and
// the receipts the PDF embeds, stored with a "certified" custody event on
// every item; who applied for it (the Applicant); who may read it; and
// the certificates' part of the integrity audit (Register.Audit).
//
// A Register keeps its buckets in the evidence service's bbolt database
// and writes them in the service's transactions (evidence.Service.Update),
// with the custody events its acts put on the evidence. The issuance
// workflow (gathering and checking the items, waiting for anchoring,
// rendering and signing) is package certify's.
package certificates
