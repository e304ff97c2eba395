package api

import (
	"encoding/base64"
	"encoding/hex"
)

// b64hex re-encodes a hex digest as standard base64 (for RFC 9530 fields).
func b64hex(h string) string {
	b, err := hex.DecodeString(h)
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}
