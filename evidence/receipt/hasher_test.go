package receipt

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/transparency-dev/merkle/rfc6962"
)

// TestLogHasher checks that the reused-state hasher of checkInclusion
// hashes leaves and nodes as rfc6962.DefaultHasher does, call after call.
func TestLogHasher(t *testing.T) {
	h := newLogHasher()
	ref := rfc6962.DefaultHasher
	for i, leaf := range []string{"", "a", `{"v":1}`, string(bytes.Repeat([]byte{0xfe}, 300))} {
		if got, want := h.leaf(leaf), ref.HashLeaf([]byte(leaf)); !bytes.Equal(got, want) {
			t.Errorf("leaf %d: %x, want %x", i, got, want)
		}
		l := sha256.Sum256([]byte(leaf))
		r := sha256.Sum256(l[:])
		if got, want := h.HashChildren(l[:], r[:]), ref.HashChildren(l[:], r[:]); !bytes.Equal(got, want) {
			t.Errorf("children %d: %x, want %x", i, got, want)
		}
	}
}

// TestIsHexOf checks isHexOf against hex.EncodeToString's lowercase.
func TestIsHexOf(t *testing.T) {
	b := []byte{0x00, 0x9f, 0xa0, 0xff}
	for s, want := range map[string]bool{"009fa0ff": true, "009FA0FF": false, "009fa0f": false, "009fa0ff00": false, "": false, "109fa0ff": false} {
		if got := isHexOf(s, b); got != want {
			t.Errorf("isHexOf(%q) = %v, want %v", s, got, want)
		}
	}
	if !isHexOf("", nil) {
		t.Error(`isHexOf("", nil) = false`)
	}
}
