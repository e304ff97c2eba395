package peer

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Headers of every peer request.
const (
	HeaderRequestID   = "Custos-Peer-Request" // 32 lower-case hex digits, unique per request
	HeaderRequestTime = "Custos-Peer-Time"    // RFC 3339 time the request was made
	HeaderOrg         = "Custos-Peer-Org"     // the organization the calling node acts for
	HeaderActor       = "Custos-Peer-Actor"   // its actor, "<org id>:<key id>"
)

// Window is how far a peer request's time may be from the receiver's
// clock; a request ID is remembered for twice as long.
const Window = 2 * time.Minute

// MaxRemembered bounds the request IDs a guard keeps for one member, so
// that a member's node cannot fill another's memory with them. An ID is
// kept 2×Window and swept at most every Window, so it may stay up to
// 3×Window: a member is sure of about 700 requests a second sustained
// (MaxRemembered over 6 minutes), and of up to about 1,100 between sweeps.
const MaxRemembered = 1 << 18

// Errors of the replay guard.
var (
	ErrReplayed = errors.New("peer: this request ID was already used")
	ErrStale    = errors.New("peer: the request time is missing, malformed or outside the allowed window")
	ErrBusy     = errors.New("peer: too many requests from this member lately")
)

// Guard refuses a peer request whose ID it has seen, or whose time is
// more than Window from its clock, or earlier than the guard itself, or
// (ErrBusy) from a member that already has MaxRemembered IDs kept. It
// remembers IDs in memory, for 2×Window: a request older than that is
// stale anyway. A restart forgets them, so a request stamped before the
// guard was made (before the node started) is refused as stale: one
// captured before a restart cannot be replayed after it. A caller whose
// clock is behind the node's by d is refused for d after the node starts
// (at most Window: beyond that it is refused anyway).
type Guard struct {
	now   func() time.Time
	since time.Time // when the guard was made
	mu    sync.Mutex
	seen  map[string]time.Time // member "/" ID → when admitted
	count map[string]int       // IDs in seen by member
	max   int                  // MaxRemembered
	last  time.Time            // of the last sweep
}

// NewGuard returns a guard on now's clock (time.Now if nil).
func NewGuard(now func() time.Time) *Guard {
	if now == nil {
		now = time.Now
	}
	return &Guard{now: now, since: now(), seen: map[string]time.Time{}, count: map[string]int{}, max: MaxRemembered}
}

// Check admits a request from member once, or says why not.
func (g *Guard) Check(member string, h http.Header) error {
	id := h.Get(HeaderRequestID)
	t, err := time.Parse(time.RFC3339Nano, h.Get(HeaderRequestTime))
	now := g.now()
	if err != nil || len(id) != 32 || t.Before(now.Add(-Window)) || t.Before(g.since) || t.After(now.Add(Window)) {
		return ErrStale
	}
	if b, err := hex.DecodeString(id); err != nil || hex.EncodeToString(b) != id {
		return ErrStale // lower-case hex only: one spelling per ID
	}
	key := member + "/" + id
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Sub(g.last) > Window {
		for k, at := range g.seen {
			if now.Sub(at) > 2*Window {
				delete(g.seen, k)
				m, _, _ := strings.Cut(k, "/")
				if g.count[m]--; g.count[m] <= 0 {
					delete(g.count, m)
				}
			}
		}
		g.last = now
	}
	if _, ok := g.seen[key]; ok {
		return ErrReplayed
	}
	if g.count[member] >= g.max {
		return ErrBusy
	}
	g.seen[key] = now
	g.count[member]++
	return nil
}

// Stamp sets a fresh request ID and the time on a request's headers.
func Stamp(h http.Header, now time.Time) {
	var b [16]byte
	rand.Read(b[:])
	h.Set(HeaderRequestID, hex.EncodeToString(b[:]))
	h.Set(HeaderRequestTime, now.UTC().Format(time.RFC3339Nano))
}
