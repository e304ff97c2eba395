package peer

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/internal/problem"
	"github.com/custos-project/custos/internal/strictjson"
)

// Share sync (docs/api.md, "Share sync"). Notices push each share and
// revocation from the item's home node to the grantee's home node; the
// sync pulls them, so that a notice a restore lost on either side is made
// good. Each node asks every other member's node, once it has caught up
// with the chain after its start, whenever that node has started since
// (HeaderBoot), and every SyncEvery, for the shares made there with
// organizations homed here that are active now (SharesPath), and makes
// its inbox agree:
//
//   - a share listed there and unknown here is stored, as its notice would
//     have been (a notice lost in this node's restore);
//   - a share active here that the home node no longer lists, stored here
//     before the sync asked, is revoked here (a share the home node lost
//     in its restore, or revoked with the notice still queued): the home
//     node decides every read anyway, and this node stops listing it. (A
//     share's notice is sent only once its transaction has committed, so
//     a share stored here before the sync asked was committed there before
//     the home node read its list, and would be on it if it were active.)
//   - a share listed there that this node knows revoked was revoked by
//     the home node before a restore lost the revocation there: this node
//     tells it (RevokedPath), and the home node revokes it again, with an
//     "unshared" custody event by "node:<this member>". A node accepts
//     such a revocation only for a share made with an organization homed
//     on the caller, so a member can only end its own organizations'
//     access.
//
// The home node tells each member only of the shares made with that
// member's organizations, as notices do: no member learns who else shares
// with whom.
const (
	SharesPath  = "/peer/v1/shares"
	RevokedPath = "/peer/v1/shares/revoked"
	// HeaderBoot carries, on every request a node sends, a random ID of
	// the node's process (32 hex digits), new at each start: a member
	// whose ID changed has started since, perhaps from a backup, and is
	// synced with again.
	HeaderBoot = "Custos-Peer-Boot"
	// SyncEvery is how often a node syncs with each member.
	SyncEvery = time.Hour
	// MaxSharesPage bounds the shares of one page at SharesPath, and
	// MaxRevocations the revocations of one request at RevokedPath.
	MaxSharesPage  = 1000
	MaxRevocations = 1000
	// maxSyncPages bounds the pages one sync reads from a member (10⁷
	// shares read there at 10,000 a page): a member that never ends its
	// list ends the sync. maxSyncShares bounds the shares it may list
	// (what the sync keeps in memory: about 100 MB), syncDeadline the
	// time one sync takes, and maxSyncNew the shares not known here that
	// one sync stores (each may call a webhook); the rest wait for the
	// next sync.
	maxSyncPages  = 1000
	maxSyncShares = 1_000_000
	syncDeadline  = 10 * time.Minute
	maxSyncNew    = 10_000
	// kickEvery is how often a member's new boot ID may start a sync
	// with it: a member cannot have this node sync with it without end.
	kickEvery = 5 * time.Minute
)

// inboxScan bounds the inbox entries one read transaction of a sync's
// withdrawal reads (a variable for tests).
var inboxScan = 10000

// sharesPage is the page size SharesPath serves: MaxSharesPage, less in
// the package's tests.
var sharesPage = MaxSharesPage

// SharesPage is a home node's answer at SharesPath (version 1).
type SharesPage struct {
	V int `json:"v"` // 1
	// AsOf is the home node's clock when it read the page: the time of
	// the revocation of a share missing from the list, as the caller
	// records it.
	AsOf time.Time `json:"as_of"`
	// Shares are notices of the shares active at AsOf that were made on
	// the home node with organizations homed on the caller, in the order
	// of their IDs.
	Shares []Notice `json:"shares"`
	// Next is the share ID to ask after (?after=) for the next page;
	// empty on the last.
	Next string `json:"next,omitempty"`
}

// Revocations is a grantee's node's request at RevokedPath (version 1):
// shares made on the home node that the caller knows revoked.
type Revocations struct {
	V      int          `json:"v"` // 1
	Shares []Revocation `json:"shares"`
}

// Revocation names a share and when the caller learned it was revoked.
type Revocation struct {
	Share     string    `json:"share"`
	RevokedAt time.Time `json:"revoked_at"`
}

// RevokedAnswer is the home node's answer at RevokedPath.
type RevokedAnswer struct {
	V       int `json:"v"`       // 1
	Revoked int `json:"revoked"` // how many of the shares named were active and are now revoked
}

// SyncReport is what one sync with a member changed here.
type SyncReport struct {
	Listed    int // active shares the member listed
	Received  int // of them, unknown here before: stored
	Withdrawn int // shares active here that the member no longer has: revoked here
	Restored  int // shares an earlier sync withdrew here that the member lists again: active again
	Told      int // shares the member had active, which this node knows revoked: the member revoked them again
}

func newBoot() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// sawBoot notes member's process ID from a request it sent, and has the
// member synced with again if this node synced with it before and the ID
// is new (the member started since).
func (n *Node) sawBoot(member, boot string) {
	if len(boot) != 32 || !isHex(boot) {
		return
	}
	n.mu.Lock()
	prev := n.boots[member]
	n.boots[member] = boot
	_, synced := n.lastSync[member]
	now := time.Now()
	due := prev != boot && synced && now.Sub(n.lastKick[member]) >= kickEvery
	if due {
		n.lastKick[member] = now
	}
	n.mu.Unlock()
	if !due {
		return // the same process, none synced with yet, or kicked within kickEvery (the hourly sync comes anyway)
	}
	select {
	case n.syncKick <- member:
	default: // full: the periodic sync comes anyway
	}
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// grantedTo is the test that a share's notice belongs in member's list:
// its grantee is homed on member in the directory, and is not one of this
// node's own organizations.
func (n *Node) grantedTo(member string) func(*Notice) bool {
	cur := n.cfg.Current(member)
	return func(nt *Notice) bool {
		h, ok := n.cfg.Home(nt.Grantee)
		return ok && n.cfg.Current(h) == cur && !n.cfg.Local(nt.Grantee)
	}
}

// catchingUp answers 503 catching-up if the node has not caught up with
// the chain, and reports whether it did: its directory may not home yet
// the organizations its shares were made with.
func (n *Node) catchingUp(w http.ResponseWriter, r *http.Request) bool {
	if n.cfg.Synced == nil || n.cfg.Synced() {
		return false
	}
	w.Header().Set("Retry-After", "10")
	problem.Localized(w, r, http.StatusServiceUnavailable, "catching-up", problem.M("title.catching-up"), problem.M("catching-up"))
	return true
}

func (n *Node) serveShares(w http.ResponseWriter, r *http.Request, member string) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		problem.Localized(w, r, http.StatusMethodNotAllowed, "method-not-allowed", problem.M("title.method-not-allowed"), problem.M("method-not-allowed"))
		return
	}
	after := r.URL.Query().Get("after")
	if after != "" && !okID(after) {
		problem.Localized(w, r, http.StatusBadRequest, "bad-parameter", problem.M("title.bad-request"), problem.M("sync-after"))
		return
	}
	if n.catchingUp(w, r) {
		return
	}
	page := SharesPage{V: 1, AsOf: time.Now().UTC(), Shares: []Notice{}}
	keep := n.grantedTo(member)
	var err error
	page.Shares, page.Next, err = n.cfg.Made(after, sharesPage, func(nt *Notice) bool {
		return keep(nt) && nt.RevokedAt == nil && (nt.ExpiresAt == nil || page.AsOf.Before(*nt.ExpiresAt))
	})
	if err != nil {
		n.cfg.Log.Error("peer: listing shares for a member's sync", "member", member, "err", err)
		problem.Localized(w, r, http.StatusInternalServerError, "internal", problem.M("title.internal"), problem.M("internal"))
		return
	}
	for i := range page.Shares {
		page.Shares[i].V = 1
	}
	if page.Shares == nil {
		page.Shares = []Notice{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(page)
}

// MaxRevocationsBytes bounds a body at RevokedPath: MaxRevocations
// entries of a 64-byte ID and a time fit in well under it.
const MaxRevocationsBytes = 256 << 10

func (n *Node) serveRevoked(w http.ResponseWriter, r *http.Request, member string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		problem.Localized(w, r, http.StatusMethodNotAllowed, "method-not-allowed", problem.M("title.method-not-allowed"), problem.M("method-not-allowed"))
		return
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxRevocationsBytes+1))
	if err != nil {
		problem.Localized(w, r, http.StatusBadRequest, "incomplete-upload", problem.M("title.bad-request"), problem.M("incomplete-upload"))
		return
	}
	if len(b) > MaxRevocationsBytes {
		problem.Localized(w, r, http.StatusRequestEntityTooLarge, "too-large", problem.M("title.request-too-large"),
			problem.M("revocations-too-large", "max", MaxRevocationsBytes))
		return
	}
	rv, err := DecodeRevocations(b)
	if errors.Is(err, strictjson.ErrNotObject) {
		problem.Localized(w, r, http.StatusBadRequest, "not-an-object", problem.M("title.not-an-object"), problem.M("json-object"))
		return
	}
	if err != nil {
		n.cfg.Log.Debug("peer: refusing revocations", "member", member, "err", err)
		problem.Localized(w, r, http.StatusUnprocessableEntity, "invalid-input", problem.M("title.invalid-input"),
			problem.M("revocations-invalid", "max", MaxRevocations))
		return
	}
	if n.catchingUp(w, r) {
		return
	}
	keep := n.grantedTo(member)
	ans := RevokedAnswer{V: 1}
	for _, s := range rv.Shares {
		done, err := n.cfg.Revoke(s.Share, keep, "node:"+n.cfg.Current(member))
		if err != nil {
			n.cfg.Log.Error("peer: revoking a share a member knows revoked", "member", member, "share", s.Share, "err", err)
			problem.Localized(w, r, http.StatusInternalServerError, "internal", problem.M("title.internal"), problem.M("internal"))
			return
		}
		if done {
			ans.Revoked++
			n.cfg.Log.Warn("peer: revoked again a share whose revocation this node had lost (a restore from a backup?): the grantee's home member knew it revoked",
				"share", s.Share, "member", member, "revoked_there_at", s.RevokedAt)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ans)
}

// ErrBadRevocations means a body at RevokedPath is malformed.
var ErrBadRevocations = errors.New("peer: malformed revocations")

// DecodeRevocations parses a body at RevokedPath strictly: version 1,
// 1 to MaxRevocations shares, each an ID and a time. Its errors wrap
// ErrBadRevocations, and strictjson.ErrNotObject too for a document that
// is not an object.
func DecodeRevocations(b []byte) (*Revocations, error) {
	var rv Revocations
	if err := strictjson.Decode(b, &rv); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRevocations, err)
	}
	if rv.V != 1 {
		return nil, fmt.Errorf("%w: version %d, want 1", ErrBadRevocations, rv.V)
	}
	if len(rv.Shares) == 0 || len(rv.Shares) > MaxRevocations {
		return nil, fmt.Errorf("%w: %d shares, want 1 to %d", ErrBadRevocations, len(rv.Shares), MaxRevocations)
	}
	for _, s := range rv.Shares {
		if !okID(s.Share) || s.RevokedAt.IsZero() {
			return nil, fmt.Errorf("%w: a share ID of 1 to %d printable ASCII characters and revoked_at", ErrBadRevocations, maxID)
		}
	}
	return &rv, nil
}

// SyncWith makes this node's inbox agree with the shares member's node
// has made with this node's organizations (the package comment of
// sync.go): one pass over member's list, then the shares missing from it
// revoked here, then the ones this node knows revoked told to member.
func (n *Node) SyncWith(ctx context.Context, member string) (*SyncReport, error) {
	ctx, cancel := context.WithTimeout(ctx, syncDeadline)
	defer cancel()
	rep := &SyncReport{}
	seen := map[string]bool{}
	var conflicts []Revocation
	var asOf time.Time
	after := ""
	// The inbox's sequence before the first request: a share stored since
	// may be missing from a list read before its notice came.
	var asked uint64
	n.cfg.DB.View(func(tx *bolt.Tx) error { asked = tx.Bucket(bInbox).Sequence(); return nil })
	for pages := 0; ; pages++ {
		if pages == maxSyncPages {
			return rep, fmt.Errorf("peer: member %s's list of shares goes on past %d pages", member, maxSyncPages)
		}
		page, err := n.askShares(ctx, member, after)
		if err != nil {
			return rep, err
		}
		if pages == 0 {
			asOf = page.AsOf
		}
		if len(seen)+len(page.Shares) > maxSyncShares {
			return rep, fmt.Errorf("peer: member %s lists more than %d active shares with this node's organizations", member, maxSyncShares)
		}
		if err := n.takePage(member, page, seen, &conflicts, rep); err != nil {
			return rep, err
		}
		if page.Next == "" {
			break
		}
		if page.Next <= after {
			return rep, fmt.Errorf("peer: member %s's list of shares goes back (%q after %q)", member, page.Next, after)
		}
		after = page.Next
	}
	if err := n.withdraw(member, seen, asked, asOf, rep); err != nil {
		return rep, err
	}
	for len(conflicts) > 0 {
		k := min(len(conflicts), MaxRevocations)
		told, err := n.tellRevoked(ctx, member, conflicts[:k])
		if err != nil {
			return rep, err
		}
		rep.Told += told
		conflicts = conflicts[k:]
	}
	n.mu.Lock()
	n.lastSync[member] = time.Now()
	n.mu.Unlock()
	return rep, nil
}

// errNoSync means a member's node answered SharesPath 404: software older
// than the share sync. Nothing is changed here for it.
var errNoSync = errors.New("peer: the member's node does not answer the share sync (custos older than it)")

func (n *Node) askShares(ctx context.Context, member, after string) (*SharesPage, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	path := SharesPath
	if after != "" {
		path += "?after=" + url.QueryEscape(after)
	}
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	resp, err := n.Do(ctx, member, req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, errNoSync
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		err := newAnswerError(member, resp.StatusCode, body)
		if after, ok := RetryAfter(resp.Header.Get("Retry-After"), time.Now(), maxRetryAfter); ok {
			return nil, &retryLater{after: after, err: err}
		}
		return nil, err
	}
	// A page of MaxSharesPage notices of at most about 1.3 KiB each.
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	var page SharesPage
	if err := json.Unmarshal(b, &page); err != nil || page.V != 1 || page.AsOf.IsZero() || len(page.Shares) > MaxSharesPage ||
		page.Next != "" && !okID(page.Next) {
		return nil, fmt.Errorf("peer: member %s answered %s with a malformed page", member, SharesPath)
	}
	return &page, nil
}

// takePage stores the page's shares not known here, notes the ones this
// node knows revoked (conflicts), and marks each listed share seen.
func (n *Node) takePage(member string, page *SharesPage, seen map[string]bool, conflicts *[]Revocation, rep *SyncReport) error {
	cur := n.cfg.Current(member)
	var take []*Notice
	malformed := 0
	defer func() {
		if malformed > 0 { // once a page, however many
			n.cfg.Log.Warn("peer: a member's sync listed malformed shares; skipped", "member", member, "shares", malformed)
		}
	}()
	for i := range page.Shares {
		nt := &page.Shares[i]
		seen[nt.Share] = true
		rep.Listed++
		nt.V = 1
		if nt.check() != nil {
			malformed++
			continue
		}
		// As serveNotice: a grantor homed on the member, a grantee here.
		if h, ok := n.cfg.Home(nt.Grantor); !ok || n.cfg.Current(h) != cur || n.cfg.Local(nt.Grantor) || !n.cfg.Local(nt.Grantee) {
			continue
		}
		take = append(take, nt)
	}
	if len(take) == 0 {
		return nil
	}
	newLeft := max(0, maxSyncNew-rep.Received)
	return n.cfg.DB.Update(func(tx *bolt.Tx) error {
		received, restored, left := 0, 0, newLeft
		var known []Revocation
		// takeNew bounds the shares one sync stores that were not known
		// here (each may call a webhook): a member cannot flood this node
		// through its list faster than maxSyncNew a sync.
		takeNew := func(old *Inbound) bool {
			if old != nil {
				return true
			}
			if left == 0 {
				return false
			}
			left--
			return true
		}
		for _, nt := range take {
			old, err := getInbound(tx, nt.Share)
			if err != nil {
				return err
			}
			if old != nil && old.RevokedAt != nil && !old.Withdrawn {
				// The home node told this node it revoked the share, and
				// lists it active: it lost the revocation.
				if n.cfg.Current(old.Member) == cur {
					known = append(known, Revocation{Share: nt.Share, RevokedAt: *old.RevokedAt})
				}
				continue
			}
			if old != nil && old.Withdrawn && n.cfg.Current(old.Member) == cur {
				restored++ // withdrawn by an earlier sync, listed again: active again
			}
			if !takeNew(old) {
				continue // over this sync's share of new notices: the next sync takes it
			}
			in, isNew, err := receive(tx, member, nt, n.cfg.Current)
			if errors.Is(err, ErrBadNotice) {
				n.cfg.Log.Info("peer: a member's sync listed a share that conflicts with one known here; skipped", "member", member, "err", err)
				continue
			}
			if err != nil {
				return err
			}
			if isNew {
				received++
				if n.cfg.OnShared != nil {
					if err := n.cfg.OnShared(tx, in); err != nil {
						return err
					}
				}
			}
		}
		// Counted once the transaction holds (it may run again in a
		// retried commit).
		tx.OnCommit(func() {
			rep.Received += received
			rep.Restored += restored
			*conflicts = append(*conflicts, known...)
		})
		return nil
	})
}

// withdraw revokes here, as of asOf, the shares from member active here
// that its list did not name, stored here before the sync asked (inbox
// sequence at most asked), marked Withdrawn: the home node's word, if it
// lists them again, makes them active again.
func (n *Node) withdraw(member string, seen map[string]bool, asked uint64, asOf time.Time, rep *SyncReport) error {
	cur := n.cfg.Current(member)
	now := time.Now()
	var gone []Inbound
	// In short read transactions of inboxScan shares each: a long one
	// would hold up the writes that grow the database file.
	for after := []byte(nil); ; {
		var last []byte
		n.cfg.DB.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bInbox).Cursor()
			k, v := c.First()
			if after != nil {
				if k, v = c.Seek(after); bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for i := 0; k != nil && i < inboxScan; k, v = c.Next() {
				i++
				last = bytes.Clone(k)
				var in Inbound
				if json.Unmarshal(v, &in) != nil || seen[in.Share] || n.cfg.Current(in.Member) != cur || !in.Active(now) || in.Seq > asked {
					continue
				}
				gone = append(gone, in)
			}
			return nil
		})
		if last == nil {
			break
		}
		after = last
	}
	if len(gone) == 0 {
		return nil
	}
	at := asOf.UTC()
	for start := 0; start < len(gone); start += inboxScan { // short write transactions too
		part := gone[start:min(start+inboxScan, len(gone))]
		err := n.cfg.DB.Update(func(tx *bolt.Tx) error {
			box := tx.Bucket(bInbox)
			for i := range part {
				// As read: a notice stored since changed it (receive).
				v := box.Get([]byte(part[i].Share))
				var cur Inbound
				if v == nil || json.Unmarshal(v, &cur) != nil || cur.RevokedAt != nil || cur.Seq != part[i].Seq {
					continue
				}
				cur.RevokedAt, cur.Withdrawn = &at, true
				b, err := json.Marshal(cur)
				if err != nil {
					return err
				}
				if err := box.Put([]byte(cur.Share), b); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	rep.Withdrawn += len(gone)
	for _, in := range gone {
		n.cfg.Log.Warn("peer: a share another member's node no longer has is revoked here (that node restored from a backup, or revoked it with the notice still on its way)",
			"share", in.Share, "member", member, "grantee", in.Grantee, "target", in.Target)
	}
	return nil
}

// tellRevoked tells member's node of shares it made that this node knows
// revoked, and returns how many it revoked again.
func (n *Node) tellRevoked(ctx context.Context, member string, rv []Revocation) (int, error) {
	b, err := json.Marshal(Revocations{V: 1, Shares: rv})
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, _ := http.NewRequest(http.MethodPost, RevokedPath, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.Do(ctx, member, req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return 0, newAnswerError(member, resp.StatusCode, body)
	}
	var ans RevokedAnswer
	if err := json.Unmarshal(body, &ans); err != nil || ans.V != 1 {
		return 0, fmt.Errorf("peer: member %s answered %s with a malformed answer", member, RevokedPath)
	}
	return ans.Revoked, nil
}

// Sync syncs this node's inbox with every member's node (SyncWith) until
// ctx ends: with each once the node has caught up with the chain after
// its start (Config.Synced), with one that has started since (HeaderBoot)
// at once, and with each every SyncEvery. A member that fails is tried
// again after 10 s, doubling to 10 minutes, or after its Retry-After.
// A member whose software predates the sync is asked again after
// SyncEvery.
func (n *Node) Sync(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for n.cfg.Synced != nil && !n.cfg.Synced() {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
	due := map[string]time.Time{}
	backoff := map[string]time.Duration{}
	for {
		now := time.Now()
		for m := range n.peerURLs() {
			m = n.cfg.Current(m) // a member that rotated its key is one member
			if _, ok := due[m]; !ok && m != n.self && n.cfg.TLS.isMember(m) {
				due[m] = now
			}
		}
		wait := time.Minute // new members are looked for every minute
		for m, at := range due {
			if !n.cfg.TLS.isMember(m) {
				delete(due, m)
				continue
			}
			if now.Before(at) {
				wait = min(wait, at.Sub(now))
				continue
			}
			if n.cfg.Synced != nil && !n.cfg.Synced() {
				due[m] = now.Add(10 * time.Second)
				wait = min(wait, 10*time.Second)
				continue
			}
			rep, err := n.SyncWith(ctx, m)
			if ctx.Err() != nil {
				return
			}
			switch {
			case errors.Is(err, errNoSync):
				due[m] = now.Add(SyncEvery)
				delete(backoff, m)
			case err != nil:
				b := min(max(2*backoff[m], 10*time.Second), 10*time.Minute)
				next := b
				level := slog.LevelWarn
				if rl := (*retryLater)(nil); errors.As(err, &rl) {
					// Asked to wait (catching up after its start, busy):
					// usual at the members' starts.
					next, level = max(b, rl.after), slog.LevelInfo
				}
				backoff[m], due[m] = b, now.Add(next)
				n.cfg.Log.Log(ctx, level, "peer: share sync with a member failed; will retry", "member", m, "retry_in", next, "err", err)
			default:
				delete(backoff, m)
				due[m] = now.Add(SyncEvery)
				if rep.Received+rep.Withdrawn+rep.Told+rep.Restored > 0 {
					n.cfg.Log.Info("peer: share sync with a member made good what notices had not", "member", m,
						"listed", rep.Listed, "received", rep.Received, "withdrawn", rep.Withdrawn, "active_again", rep.Restored, "revoked_there", rep.Told)
				}
			}
			wait = min(wait, due[m].Sub(now))
		}
		t := time.NewTimer(max(wait, 10*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case m := <-n.syncKick:
			m = n.cfg.Current(m)
			due[m] = time.Now()
			delete(backoff, m)
		case <-t.C:
		}
		t.Stop()
	}
}
