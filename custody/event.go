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
	"strconv"
	"strings"
	"time"
)

// ErrBadEvent means bytes are not a canonical custody event.
var ErrBadEvent = errors.New("custody: malformed custody event")

// EventVersion is the version tag of the canonical custody-event encoding
// of every event but a folded read.
const EventVersion = 1

// FoldedVersion is the version tag of a folded read: a read event (see
// [IsRead]) that covers Reads ≥ 2 reads of one type, by one actor, with one
// subject, made from Since to Time. Only such events carry version 2, and
// they always do: each event has one spelling.
const FoldedVersion = 2

// Custody event types of an evidence item's chain.
const (
	EventCreated    = "created"
	EventViewed     = "viewed"
	EventDownloaded = "downloaded"
	EventShared     = "shared"    // subject: "org:<grantee id>"
	EventUnshared   = "unshared"  // subject: "org:<grantee id>"
	EventListed     = "listed"    // its metadata appeared in a list
	EventCertified  = "certified" // a notarial certificate names it; subject: "certificate:<id>"
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
	// AuditWebhookAdopted: a key became the webhook's creator (subject
	// "webhook:<id>"), resuming it if it was paused, with a new secret.
	AuditWebhookAdopted = "webhook.adopted"
	// A copyright transfer offer, on the audit chains of both
	// organizations (subject: "copyright:<id>:transfer:<offer id>"): sent
	// on the offerer's and received on the recipient's when it is made;
	// accepted, declined, withdrawn or expired on both when it is settled.
	AuditOfferSent      = "copyright.offer_sent"
	AuditOfferReceived  = "copyright.offer_received"
	AuditOfferAccepted  = "copyright.offer_accepted"
	AuditOfferDeclined  = "copyright.offer_declined"
	AuditOfferWithdrawn = "copyright.offer_withdrawn"
	AuditOfferExpired   = "copyright.offer_expired"
)

// Audit events of an organization's own settings and directory entry.
const (
	AuditOrgRenamed = "org.renamed" // subject: "name:<new name>"
	AuditOrgUpdated = "org.updated" // a setting changed; subject: "unlisted_by_default:<true|false>"
	// AuditOrgNameConflict: the organization cannot enter the consortium's
	// directory, another member's organization holds its name (actor:
	// "node:<member id>"; subject:
	// "holder:<org id>:member:<member id>:name:<name>").
	AuditOrgNameConflict = "org.name_conflict"
	// AuditOrgNameClaimed: an organization of another member claimed this
	// organization's name in the consortium's directory after it (chain
	// state version 5); the claimant stays out until it is renamed (actor:
	// "node:<member id>"; subject:
	// "claimant:<org id>:member:<member id>:name:<name>").
	AuditOrgNameClaimed = "org.name_claimed"
	// AuditShareNoticeDropped: the operator dropped the notices of one of
	// the organization's shares that the grantee's home member refused for
	// good, so that they are never sent (api/peer, Drop); subject
	// "share:<share id>:member:<member id>:notices:<n>".
	AuditShareNoticeDropped = "org.share_notice_dropped"
	// AuditShareNoticesResent: the operator queued the refused notices of
	// one of the organization's shares again (api/peer, Resend); subject
	// as AuditShareNoticeDropped's.
	AuditShareNoticesResent = "org.share_notices_resent"
	// AuditIntegrityRequested: an administrator of the operator asked for
	// a run of the integrity audit (POST /api/v1/admin/integrity), on the
	// operator's chain; subject "trigger:manual".
	AuditIntegrityRequested = "org.integrity_requested"
	// AuditUpgradeVoted: an administrator of the operator had the node
	// vote for a chain state upgrade (POST /api/v1/admin/chain/upgrade),
	// on the operator's chain; subject "state_version:<v>:height:<h>".
	AuditUpgradeVoted = "org.upgrade_voted"
	// AuditChainRead: an administrator of the operator read another
	// organization's audit chain (GET /api/v1/orgs/{id}/audit), on that
	// organization's chain, after the events read and before they are
	// shown; subject "events:<n>", how many it read. A key's read of its
	// own organization's chain is not recorded.
	AuditChainRead = "org.audit_read"
	// AuditKeysListed: an administrator of the operator listed another
	// organization's keys (GET /api/v1/orgs/{id}/keys), on that
	// organization's chain, before the list is shown; subject "keys:<n>",
	// how many it listed.
	AuditKeysListed = "org.keys_listed"
)

// IsRead reports whether an event type records a read (viewed, downloaded,
// listed): the only types whose repeats may be folded into one event.
func IsRead(typ string) bool {
	return typ == EventViewed || typ == EventDownloaded || typ == EventListed
}

// IsAudit reports whether an event type belongs to an organization's audit chain.
func IsAudit(typ string) bool {
	return strings.HasPrefix(typ, "org.") || strings.HasPrefix(typ, "key.") || strings.HasPrefix(typ, "webhook.") ||
		strings.HasPrefix(typ, "copyright.offer_")
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
	// certificate's number, what was viewed...). Empty for created,
	// downloaded and listed.
	Subject string `json:"subject,omitempty"`

	// Fields of a folded read (version 2 only): Reads ≥ 2 reads, the first
	// at Since and the last at Time.
	Reads int64  `json:"reads,omitempty"`
	Since string `json:"since,omitempty"`
}

// The field syntaxes, checked byte by byte (the patterns are given as
// regular expressions): hex64 ^[0-9a-f]{64}$, idRE ^[a-z2-7]{26}$,
// typeRE ^[a-z][a-z_.]{0,31}$, actorRE ^[A-Za-z0-9:._@-]{1,128}$.
var (
	hex64  = matcher(func(s string) bool { return len(s) == 64 && all(s, isLowerHex) })
	idRE   = matcher(func(s string) bool { return len(s) == 26 && all(s, isIDChar) })
	typeRE = matcher(func(s string) bool {
		return len(s) >= 1 && len(s) <= 32 && 'a' <= s[0] && s[0] <= 'z' && all(s[1:], isTypeChar)
	})
	actorRE  = matcher(func(s string) bool { return len(s) >= 1 && len(s) <= 128 && all(s, isActorChar) })
	maxEvent = 64 << 10
)

// matcher has the one method of *regexp.Regexp that check uses.
type matcher func(string) bool

func (m matcher) MatchString(s string) bool { return m(s) }

func all(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isLowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }
func isIDChar(c byte) bool   { return 'a' <= c && c <= 'z' || '2' <= c && c <= '7' }
func isTypeChar(c byte) bool { return 'a' <= c && c <= 'z' || c == '_' || c == '.' }
func isActorChar(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == ':' || c == '.' || c == '_' || c == '@' || c == '-'
}

// Encode returns the canonical bytes of e. It fails if e is not well formed.
func (e *Event) Encode() ([]byte, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	return e.marshal()
}

// marshal appends the fields by hand, in declaration order, exactly as
// encoding/json encodes an Event (see the type's comment); strings that
// need any escaping are quoted by encoding/json itself.
func (e *Event) marshal() ([]byte, error) {
	n := 160 + len(e.Evidence) + len(e.Type) + len(e.Time) + len(e.Actor) + len(e.Prev) + len(e.SHA256) +
		len(e.SM3) + len(e.MediaType) + len(e.Subject) + 67*len(e.Tokens) + len(e.Since)
	b := make([]byte, 0, n)
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, int64(e.V), 10)
	b = appendField(b, `,"evidence":`, e.Evidence)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, uint64(e.Seq), 10)
	b = appendField(b, `,"type":`, e.Type)
	b = appendField(b, `,"time":`, e.Time)
	b = appendField(b, `,"actor":`, e.Actor)
	if e.Prev != "" {
		b = appendField(b, `,"prev":`, e.Prev)
	}
	if e.SHA256 != "" {
		b = appendField(b, `,"sha256":`, e.SHA256)
	}
	if e.SM3 != "" {
		b = appendField(b, `,"sm3":`, e.SM3)
	}
	if e.Size != 0 {
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, e.Size, 10)
	}
	if e.MediaType != "" {
		b = appendField(b, `,"media_type":`, e.MediaType)
	}
	if len(e.Tokens) != 0 {
		b = append(b, `,"tokens":[`...)
		for i, t := range e.Tokens {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, t)
		}
		b = append(b, ']')
	}
	if e.Subject != "" {
		b = appendField(b, `,"subject":`, e.Subject)
	}
	if e.Reads != 0 {
		b = append(b, `,"reads":`...)
		b = strconv.AppendInt(b, e.Reads, 10)
	}
	if e.Since != "" {
		b = appendField(b, `,"since":`, e.Since)
	}
	return append(b, '}'), nil
}

func appendField(b []byte, name, s string) []byte {
	return appendString(append(b, name...), s)
}

// appendString appends s as encoding/json quotes it (HTML-safe escaping
// on). Printable ASCII other than the quote, the backslash and <, >, &
// needs no escape; anything else is left to encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
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
	if e, ok := decodeFast(b); ok { // fastdecode.go: the same result without reflection
		return e, nil
	}
	return decodeJSON(b)
}

// decodeJSON is Decode through encoding/json (the fast path's reference).
func decodeJSON(b []byte) (*Event, error) {
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
	case e.V != EventVersion && e.V != FoldedVersion:
		return bad("version %d, want %d (or %d for a folded read)", e.V, EventVersion, FoldedVersion)
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
	t, ok := parseTime(e.Time)
	if !ok {
		return bad("time %q is not of the form %s", e.Time, TimeFormat)
	}
	if err := e.checkFolded(t); err != nil {
		return err
	}
	if e.Type == EventCreated {
		return e.checkCreated()
	}
	if e.SHA256 != "" || e.SM3 != "" || e.Size != 0 || e.MediaType != "" || len(e.Tokens) != 0 {
		return bad("digest fields are only allowed on %q", EventCreated)
	}
	return nil
}

// parseTime parses an event time; ok is false unless s is the one
// spelling of a real instant.
func parseTime(s string) (t time.Time, ok bool) {
	t, err := time.Parse(TimeFormat, s)
	return t, err == nil && t.UTC().Format(TimeFormat) == s
}

// checkFolded checks the version against Reads and Since: version 2 if and
// only if the event folds reads, and then Reads ≥ 2 reads of a read type
// from Since to Time (at). A single read is a plain version-1 event.
func (e *Event) checkFolded(at time.Time) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadEvent}, args...)...)
	}
	if e.V == EventVersion {
		if e.Reads != 0 || e.Since != "" {
			return bad("reads and since are only allowed in a version %d event", FoldedVersion)
		}
		return nil
	}
	switch {
	case !IsRead(e.Type):
		return bad("type %q in a version %d event: only %q, %q and %q reads fold", e.Type, FoldedVersion, EventViewed, EventDownloaded, EventListed)
	case e.Reads < 2:
		return bad("reads %d in a version %d event: a folded read covers at least 2 reads", e.Reads, FoldedVersion)
	}
	since, ok := parseTime(e.Since)
	switch {
	case !ok:
		return bad("since %q is not of the form %s", e.Since, TimeFormat)
	case since.After(at):
		return bad("since %s is after time %s", e.Since, e.Time)
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
// lowercase base32 characters (16 bytes).
func ValidEvidenceID(s string) bool { return idRE.MatchString(s) }

// FormatTime spells t as an event time.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// Count is the number of acts an event records: Reads for a folded read,
// else 1.
func (e *Event) Count() int64 {
	if e.Reads > 0 {
		return e.Reads
	}
	return 1
}

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
