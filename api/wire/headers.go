package wire

import "time"

// Headers and limits the client and the server agree on.
const (
	// MetadataHeader carries JSON metadata (a Meta) with a raw-body upload.
	MetadataHeader = "Custos-Metadata"
	// IdempotencyKeyHeader names the request header of
	// draft-ietf-httpapi-idempotency-key-header-07.
	IdempotencyKeyHeader = "Idempotency-Key"
	// ReplayedHeader marks an answer replayed from an earlier request.
	ReplayedHeader = "Idempotent-Replayed"
	// MaxReceiptWait bounds the ?wait= long poll of a receipt.
	MaxReceiptWait = 60 * time.Second
)
