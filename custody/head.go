package custody

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// ErrBadHead means bytes are not a canonical custody head.
var ErrBadHead = errors.New("custody: malformed custody head")

// HeadVersion is the version tag of the canonical custody-head encoding.
const HeadVersion = 1

// HeadKeyPrefix separates custody-head keys from every other key of the
// chain's state map (docs/custody-events.md, "Custody heads").
const HeadKeyPrefix = "custos custody head v1\x00"

// Head is what the consortium chain commits to for one custody chain (an
// evidence item's, or an organization's audit chain): how many events it
// has, of which types, and the RFC 6962 root of their leaf hashes. The
// chain's state map holds SHA-256(canonical head) under HeadKey(id), so a
// receipt can prove, as of its checkpoint, that its event list is the
// whole chain, or exactly which events (how many, of which types) it
// leaves out.
//
// The canonical encoding is JSON with the fields in the order declared
// here, no insignificant white space, Types with its keys in byte order
// (as encoding/json writes a map) and every count at least 1.
type Head struct {
	V        int    `json:"v"`
	Evidence string `json:"evidence"` // the chain's ID (evidence ID or organization ID)
	Count    uint32 `json:"count"`    // events seq 0 .. Count-1
	// Root is the hex RFC 6962 root (§2.1) of the events' leaf hashes,
	// SHA-256(0x00 ‖ canonical event), in seq order.
	Root string `json:"root"`
	// Types counts the events by type; the counts add up to Count.
	Types map[string]uint32 `json:"types"`
}

// HeadKey is the state-map key of a chain's head: SHA-256(HeadKeyPrefix ‖
// id). It reveals nothing to whoever does not already know id.
func HeadKey(id string) [32]byte {
	h := sha256.New()
	h.Write([]byte(HeadKeyPrefix))
	h.Write([]byte(id))
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// BoundHeadKeyPrefix separates BoundHeadKey's hashes from HeadKey's.
const BoundHeadKeyPrefix = "custos custody head v3\x00"

// BoundHeadKey is the state-map key of a chain's head from chain state
// version 3 on: SHA-256(BoundHeadKeyPrefix ‖ key ‖ first), where key is
// HeadKey(id) and first (8 bytes, big-endian) the log index of the chain's
// first event. The chain computes it itself from the member's own batch
// that anchored that event, so a member can only ever write the heads of
// chains it started: nobody who learns an ID can take its head key first.
func BoundHeadKey(key [32]byte, first uint64) [32]byte {
	h := sha256.New()
	h.Write([]byte(BoundHeadKeyPrefix))
	h.Write(key[:])
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], first)
	h.Write(b[:])
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// Encode returns the canonical bytes of h. It fails if h is not well formed.
func (h *Head) Encode() ([]byte, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	return h.marshal(), nil
}

func (h *Head) marshal() []byte {
	b := append([]byte(`{"v":`), strconv.Itoa(h.V)...)
	b = appendField(b, `,"evidence":`, h.Evidence)
	b = append(b, `,"count":`...)
	b = strconv.AppendUint(b, uint64(h.Count), 10)
	b = appendField(b, `,"root":`, h.Root)
	b = append(b, `,"types":{`...)
	names := make([]string, 0, len(h.Types))
	for t := range h.Types {
		names = append(names, t)
	}
	sort.Strings(names)
	for i, t := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, t)
		b = append(b, ':')
		b = strconv.AppendUint(b, uint64(h.Types[t]), 10)
	}
	return append(b, "}}"...)
}

// Value is the state-map value of h: SHA-256 of its canonical bytes.
func (h *Head) Value() ([32]byte, error) {
	b, err := h.Encode()
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// DecodeHead parses canonical head bytes strictly, as Decode does events.
func DecodeHead(b []byte) (*Head, error) {
	if len(b) > maxEvent {
		return nil, fmt.Errorf("%w: %d bytes is over the %d-byte limit", ErrBadHead, len(b), maxEvent)
	}
	if h, ok := decodeHeadFast(b); ok { // fastdecode.go: the same result without reflection
		return h, nil
	}
	return decodeHeadJSON(b)
}

// decodeHeadJSON is DecodeHead through encoding/json (the fast path's
// reference).
func decodeHeadJSON(b []byte) (*Head, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var h Head
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the head", ErrBadHead)
	}
	if err := h.check(); err != nil {
		return nil, err
	}
	if !bytes.Equal(h.marshal(), b) {
		return nil, fmt.Errorf("%w: not in canonical form", ErrBadHead)
	}
	return &h, nil
}

func (h *Head) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadHead}, args...)...)
	}
	switch {
	case h.V != HeadVersion:
		return bad("version %d, want %d", h.V, HeadVersion)
	case !idRE.MatchString(h.Evidence):
		return bad("chain ID %q", h.Evidence)
	case h.Count == 0:
		return bad("count 0: a chain has at least its first event")
	case !hex64.MatchString(h.Root):
		return bad("root %q is not 64 lowercase hex digits", h.Root)
	}
	var sum uint64
	for t, n := range h.Types {
		if !typeRE.MatchString(t) || n == 0 {
			return bad("type count %q: %d", t, n)
		}
		sum += uint64(n)
	}
	if sum != uint64(h.Count) {
		return bad("the type counts add up to %d, not count %d", sum, h.Count)
	}
	return nil
}
