package peer

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
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
// clock; a request ID is remembered for at least twice as long.
const Window = 2 * time.Minute

// MaxRemembered bounds the request IDs a guard keeps for one member, so
// that a member's node cannot fill another's memory with them. IDs are
// kept in generations of one Window each, and a generation is dropped
// whole 2×Window after the last ID it admitted, so an ID may stay up to
// 3×Window: a member is sure of about 700 requests a second sustained
// (MaxRemembered over 6 minutes), and may spend the whole bound in a
// burst.
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
// remembers IDs in memory, for at least 2×Window: a request older than
// that is stale anyway. A restart forgets them, so a request stamped
// before the guard was made (before the node started) is refused as
// stale: one captured before a restart cannot be replayed after it. A
// caller whose clock is behind the node's by d is refused for d after the
// node starts (at most Window: beyond that it is refused anyway).
//
// The IDs are kept in generations: the open one takes the IDs admitted
// for a Window, then it closes and a new one opens; a closed generation
// is dropped whole 2×Window after the last ID it admitted, when every ID
// in it is stale. So at most three are live, an ID is a replay if any of
// them holds it, and no Check walks the IDs: the lock every peer request
// takes is held for a few map operations, however many IDs are kept.
type Guard struct {
	now   func() time.Time
	since time.Time // when the guard was made
	mu    sync.Mutex
	gens  []*generation  // oldest first; the last one is open
	count map[string]int // IDs kept by member, in all generations
	max   int            // MaxRemembered
}

// generation is the request IDs a guard admitted during one period.
type generation struct {
	opened, last time.Time           // last: of the last ID admitted
	seen         map[string]struct{} // member "/" ID
	count        map[string]int      // IDs in seen by member
}

func newGeneration(now time.Time) *generation {
	return &generation{opened: now, seen: map[string]struct{}{}, count: map[string]int{}}
}

// NewGuard returns a guard on now's clock (time.Now if nil).
func NewGuard(now func() time.Time) *Guard {
	if now == nil {
		now = time.Now
	}
	t := now()
	return &Guard{now: now, since: t, gens: []*generation{newGeneration(t)}, count: map[string]int{}, max: MaxRemembered}
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
	g.rotate(now)
	for _, gen := range g.gens {
		if _, ok := gen.seen[key]; ok {
			return ErrReplayed
		}
	}
	if g.count[member] >= g.max {
		return ErrBusy
	}
	open := g.gens[len(g.gens)-1]
	open.seen[key], open.last = struct{}{}, now
	open.count[member]++
	g.count[member]++
	return nil
}

// rotate closes the open generation once it has been open for a Window,
// and drops the closed generations whose IDs are all stale: those whose
// last ID was admitted more than 2×Window ago. Its work is bounded by the
// members that sent requests in a dropped generation, not by their IDs.
func (g *Guard) rotate(now time.Time) {
	if open := g.gens[len(g.gens)-1]; now.Sub(open.opened) >= Window {
		g.gens = append(g.gens, newGeneration(now))
	}
	for len(g.gens) > 1 && now.Sub(g.gens[0].last) > 2*Window {
		for m, k := range g.gens[0].count {
			if g.count[m] -= k; g.count[m] <= 0 {
				delete(g.count, m)
			}
		}
		g.gens[0] = nil
		g.gens = g.gens[1:]
	}
}

// Stamp sets a fresh request ID and the time on a request's headers.
func Stamp(h http.Header, now time.Time) {
	var b [16]byte
	rand.Read(b[:])
	h.Set(HeaderRequestID, hex.EncodeToString(b[:]))
	h.Set(HeaderRequestTime, now.UTC().Format(time.RFC3339Nano))
}
