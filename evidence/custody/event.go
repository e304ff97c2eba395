// Package custody defines custody events and their canonical encoding: the
// bytes that are hash-linked into each item's custody chain and anchored as
// Merkle leaves. It depends on nothing but the standard library, so that
// verifiers (the CLI, the browser) can use it without server code.
package custody

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// ErrBadEvent means bytes are not a canonical custody event.
var ErrBadEvent = errors.New("custody: malformed custody event")

// EventVersion is the version tag of the canonical custody-event encoding.
const EventVersion = 1

// Custody event types of an evidence item's chain.
const (
	EventCreated    = "created"
	EventViewed     = "viewed"
	EventDownloaded = "downloaded"
	EventShared     = "shared"   // subject: "org:<grantee id>"
	EventUnshared   = "unshared" // subject: "org:<grantee id>"
	EventListed     = "listed"   // its metadata appeared in a list
)

// Audit events: an organization's own chain, whose ID (the "evidence" field)
// is the organization's ID. It starts with AuditOrgCreated; administrative
// acts on the organization follow (keys, webhooks), so that they are
// hash-linked and anchored like custody events.
const (
	AuditOrgCreated     = "org.created"
	AuditKeyCreated     = "key.created" // subject: "key:<id>:<role>"
	AuditKeyRevoked     = "key.revoked" // subject: "key:<id>"
	AuditWebhookCreated = "webhook.created"
	AuditWebhookDeleted = "webhook.deleted"
)

// IsAudit reports whether an event type belongs to an organization's audit chain.
func IsAudit(typ string) bool {
	return strings.HasPrefix(typ, "org.") || strings.HasPrefix(typ, "key.") || strings.HasPrefix(typ, "webhook.")
}

// TimeFormat is the only accepted spelling of an event time: UTC, with
// exactly nanosecond precision, so that every instant has one encoding.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// Event is one custody event. Its canonical encoding (see [Event.Encode]) is
// what is hashed into the item's custody chain and anchored as a Merkle leaf.
//
// The canonical encoding is JSON with the fields in the order declared here,
// no insignificant white space, empty optional fields omitted, and strings
// escaped as encoding/json does (HTML-safe escaping on). docs/custody-events.md
// specifies it for independent verifiers.
type Event struct {
	V        int    `json:"v"`
	Evidence string `json:"evidence"`
	Seq      uint32 `json:"seq"`
	Type     string `json:"type"`
	Time     string `json:"time"`
	Actor    string `json:"actor"`
	// Prev is the hex SHA-256 of the previous event's canonical bytes; empty
	// for the first event (seq 0).
	Prev string `json:"prev,omitempty"`

	// Fields of "created".
	SHA256    string   `json:"sha256,omitempty"`
	SM3       string   `json:"sm3,omitempty"`
	Size      int64    `json:"size,omitempty"`
	MediaType string   `json:"media_type,omitempty"`
	Tokens    []string `json:"tokens,omitempty"` // hex SHA-256 of each RFC 3161 reply

	// Subject is what a later event acts on or with (a share's grantee, a
	// certificate's number, ...). Empty for created/viewed/downloaded.
	Subject string `json:"subject,omitempty"`
}

var (
	hex64    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	idRE     = regexp.MustCompile(`^[a-z2-7]{26}$`)
	typeRE   = regexp.MustCompile(`^[a-z][a-z_.]{0,31}$`)
	actorRE  = regexp.MustCompile(`^[A-Za-z0-9:._@-]{1,128}$`)
	maxEvent = 64 << 10
)

// Encode returns the canonical bytes of e. It fails if e is not well formed.
func (e *Event) Encode() ([]byte, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	return e.marshal()
}

func (e *Event) marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if err := enc.Encode(e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadEvent, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Hash returns the SHA-256 of the canonical bytes, the value the next
// event's Prev carries.
func (e *Event) Hash() ([32]byte, error) {
	b, err := e.Encode()
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// Decode parses canonical event bytes strictly: unknown fields,
// trailing bytes, a wrong version and any non-canonical spelling are errors,
// so that Decode(b).Encode() == b for every accepted b.
func Decode(b []byte) (*Event, error) {
	if len(b) > maxEvent {
		return nil, fmt.Errorf("%w: %d bytes is over the %d-byte limit", ErrBadEvent, len(b), maxEvent)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var e Event
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadEvent, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the event", ErrBadEvent)
	}
	if err := e.check(); err != nil {
		return nil, err
	}
	again, err := e.marshal()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, b) {
		return nil, fmt.Errorf("%w: not in canonical form", ErrBadEvent)
	}
	return &e, nil
}

func (e *Event) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadEvent}, args...)...)
	}
	switch {
	case e.V != EventVersion:
		return bad("version %d, want %d", e.V, EventVersion)
	case !idRE.MatchString(e.Evidence):
		return bad("evidence ID %q", e.Evidence)
	case !typeRE.MatchString(e.Type):
		return bad("type %q", e.Type)
	case !actorRE.MatchString(e.Actor):
		return bad("actor %q", e.Actor)
	case (e.Seq == 0) != (e.Prev == ""):
		return bad("seq %d with prev %q: only the first event has no prev", e.Seq, e.Prev)
	case e.Prev != "" && !hex64.MatchString(e.Prev):
		return bad("prev %q is not 64 lowercase hex digits", e.Prev)
	case (e.Seq == 0) != (e.Type == EventCreated || e.Type == AuditOrgCreated):
		return bad("seq %d with type %q: the first event, and only it, is %q (or %q for an audit chain)", e.Seq, e.Type, EventCreated, AuditOrgCreated)
	}
	t, err := time.Parse(TimeFormat, e.Time)
	if err != nil || t.UTC().Format(TimeFormat) != e.Time {
		return bad("time %q is not of the form %s", e.Time, TimeFormat)
	}
	if e.Type == EventCreated {
		return e.checkCreated()
	}
	if e.SHA256 != "" || e.SM3 != "" || e.Size != 0 || e.MediaType != "" || len(e.Tokens) != 0 {
		return bad("digest fields are only allowed on %q", EventCreated)
	}
	return nil
}

func (e *Event) checkCreated() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadEvent}, args...)...)
	}
	switch {
	case !hex64.MatchString(e.SHA256):
		return bad("sha256 %q", e.SHA256)
	case e.SM3 != "" && !hex64.MatchString(e.SM3):
		return bad("sm3 %q", e.SM3)
	case e.Size <= 0:
		return bad("size %d", e.Size)
	case e.MediaType == "" || len(e.MediaType) > 255:
		return bad("media type %q", e.MediaType)
	case len(e.Tokens) == 0:
		return bad("no timestamp token")
	}
	for _, t := range e.Tokens {
		if !hex64.MatchString(t) {
			return bad("token hash %q", t)
		}
	}
	return nil
}

// ValidEvidenceID reports whether s has the form of an evidence ID: 26
// lowercase base32 characters (128 random bits).
func ValidEvidenceID(s string) bool { return idRE.MatchString(s) }

// FormatTime spells t as an event time.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// CheckChain checks that events are one item's complete custody chain in
// order: sequence numbers 0..n-1, one evidence ID, and each Prev equal to the
// hash of the event before it. It returns the index of the first bad event.
func CheckChain(events []*Event) (int, error) {
	var prev [32]byte
	for i, e := range events {
		if e.Seq != uint32(i) {
			return i, fmt.Errorf("%w: event %d has seq %d", ErrBadEvent, i, e.Seq)
		}
		if i > 0 && e.Evidence != events[0].Evidence {
			return i, fmt.Errorf("%w: event %d is for evidence %s, not %s", ErrBadEvent, i, e.Evidence, events[0].Evidence)
		}
		if IsAudit(e.Type) != IsAudit(events[0].Type) {
			return i, fmt.Errorf("%w: event %d (%s) does not belong in a chain that starts with %s", ErrBadEvent, i, e.Type, events[0].Type)
		}
		if i > 0 && e.Prev != hex.EncodeToString(prev[:]) {
			return i, fmt.Errorf("%w: event %d prev = %s, want %x", ErrBadEvent, i, e.Prev, prev)
		}
		h, err := e.Hash()
		if err != nil {
			return i, err
		}
		prev = h
	}
	return -1, nil
}
