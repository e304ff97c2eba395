package peer

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeNotice: a notice from another member decodes strictly or is
// refused; what it accepts encodes and decodes again to the same notice.
func FuzzDecodeNotice(f *testing.F) {
	f.Add([]byte(`{"v":1,"share":"s","kind":"evidence","target":"t","grantor":"g","grantor_name":"Firm","grantee":"c","created_at":"2026-12-06T00:00:00Z"}`))
	f.Add([]byte(`{"v":1,"share":"s","kind":"matter","target":"t","grantor":"g","grantor_name":"","grantee":"c","created_at":"2026-12-06T00:00:00Z","revoked_at":"2026-12-06T01:00:00Z"}`))
	f.Add([]byte(`{"v":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		nt, err := DecodeNotice(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(nt)
		if err != nil {
			t.Fatal(err)
		}
		nt2, err := DecodeNotice(again)
		if err != nil {
			t.Fatalf("DecodeNotice(Marshal(%+v)) = %v", nt, err)
		}
		b2, _ := json.Marshal(nt2)
		if string(b2) != string(again) {
			t.Fatalf("round trip: %s != %s", b2, again)
		}
	})
}

// FuzzDecodeRevocations: a grantee's node's revocations decode strictly or
// are refused; what is accepted holds 1 to MaxRevocations valid entries.
func FuzzDecodeRevocations(f *testing.F) {
	f.Add([]byte(`{"v":1,"shares":[{"share":"s","revoked_at":"2026-12-06T00:00:00Z"}]}`))
	f.Add([]byte(`{"v":1,"shares":[]}`))
	f.Add([]byte(`{"v":1,"shares":[{"share":"","revoked_at":"2026-12-06T00:00:00Z"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rv, err := DecodeRevocations(b)
		if err != nil {
			return
		}
		if len(rv.Shares) == 0 || len(rv.Shares) > MaxRevocations {
			t.Fatalf("accepted %d shares", len(rv.Shares))
		}
		for _, s := range rv.Shares {
			if !okID(s.Share) || s.RevokedAt.IsZero() {
				t.Fatalf("accepted %+v", s)
			}
		}
	})
}
