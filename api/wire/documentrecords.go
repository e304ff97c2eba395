package wire

// DocumentRecords answers GET /api/v1/copyrights/{id}/evidence-records
// and GET /api/v1/certificates/{id}/evidence-records: the RFC 4998
// evidence records of a registration's or a certificate's items, in the
// order the document lists them, and for a certificate also the record
// over its signed PDF's SHA-256 (docs/evidence-records.md).
type DocumentRecords struct {
	Kind    string           `json:"kind"` // "copyright" or "certificate"
	ID      string           `json:"id"`
	Records []DocumentRecord `json:"records"`
}

// Kinds of a DocumentRecord.
const (
	RecordKindItem = "item" // an evidence item's record
	RecordKindPDF  = "pdf"  // the record over a certificate's signed PDF
)

// Statuses of a DocumentRecord.
const (
	RecordReady   = "ready"   // Record holds the DER evidence record
	RecordPending = "pending" // not built yet (the item is not final, or its batch is not built): ask again later
)

// DocumentRecord is one evidence record of a document: for an item, its
// evidence ID; for the PDF, the certificate's ID. SHA256 is the hex
// SHA-256 the record proves (the item's bytes, or the signed PDF's), and
// Record the DER EvidenceRecord (base64 in JSON) when Status is ready.
type DocumentRecord struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	SHA256 string `json:"sha256,omitempty"` // "" for an item held elsewhere
	Status string `json:"status"`
	Record []byte `json:"record,omitempty"`
}

// RecordElsewhere is the status of an item this node does not hold (an
// item of another member's node): fetch its record from its home node by
// its ID (GET /api/v1/evidence/{id}/evidence-record).
const RecordElsewhere = "elsewhere"
