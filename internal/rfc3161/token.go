package rfc3161

import "time"

// Token is one RFC 3161 time-stamp as kept with an evidence record: the
// reply and where it came from. The built-in TSA and the client of an
// external TSA (package notary, which names it notary.Token) return it,
// and the signers of certificate PDFs (notary/pdf) take it from either.
type Token struct {
	TSA    string    // the TSA's display name (built-in: its certificate subject CN; external: configured name)
	URL    string    // empty for the built-in TSA
	Time   time.Time // genTime from TSTInfo, UTC
	Serial string    // serial number, decimal
	Reply  []byte    // the whole DER TimeStampResp (RFC 3161 §2.4.2), served as application/timestamp-reply
}
