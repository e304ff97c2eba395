package peer

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/internal/problem"
	"github.com/custos-project/custos/internal/strictjson"
)

// Config configures a Node.
type Config struct {
	TLS TLSConfig
	// URLs is the peer API base URL (https://host:port) of each other
	// member, by member ID.
	URLs map[string]string
	DB   *bolt.DB // the node's database: outbox and inbox buckets
	// Home is the directory's home member of an organization.
	Home func(org string) (member string, ok bool)
	// Local reports whether org is one of this node's own organizations.
	Local func(org string) bool
	// OnShared, if set, is told of a share newly known from a notice,
	// inside the transaction that stores it (a webhook to the grantee);
	// its error fails the notice, which the sender then sends again.
	OnShared func(tx *bolt.Tx, in *Inbound) error
	// Directory, if set, gives the chain's current members and this
	// node's CometBFT peers for DirectoryPath (default: TLS.Members).
	Directory DirectoryFunc
	// Current, if set, is the current node member ID of the member that
	// ran the node whose member ID is id (anchor.App.CurrentNode), so that
	// a member that rotated its validator key is the same member before
	// and after: its notices from before, the shares they made, a URL
	// configured under its old ID. Default: id itself.
	Current func(id string) string
	Backoff time.Duration // first retry delay of a notice, doubling to a minute; default 1s
	// SelfURL is this node's own peer API URL, as the other members'
	// nodes reach it (https://host:port): Announce tells them
	// (announce.go). Empty: not announced.
	SelfURL string
	// NoticeRate and NoticeBurst bound the share notices each member's
	// node may send this one: NoticeRate a second, NoticeBurst saved up
	// (noticerate.go). Over them a notice is 429 rate-limited with
	// Retry-After, which the sender's outbox waits out. Zero: the default
	// (DefaultNoticeRate; a burst of two minutes of notices); a negative
	// rate: no limit.
	NoticeRate  float64
	NoticeBurst int
	Log         *slog.Logger
	// Update, if set, runs the write transaction of Drop and Resend, which also
	// records the act (an audit event): the evidence service's Update, so
	// that the event is anchored. Default: DB.Update.
	Update func(fn func(*bolt.Tx) error) error
	// Software is what the node answers other members at SoftwarePath
	// (its Member is filled in).
	Software Software
	// Made, if set, lists the shares this node's organizations made, as
	// notices, in the order of their IDs after the ID after: those keep
	// takes, at most limit, and the ID to list after next ("" when none
	// is left). SharesPath serves it (sync.go); unset, SharesPath goes to
	// the next handler, as on a node older than the share sync.
	Made func(after string, limit int, keep func(*Notice) bool) (out []Notice, next string, err error)
	// Revoke, if set with Made, revokes the share made here with ID share
	// if it is active and keep takes its notice, with custody events by
	// actor, and reports whether it did (RevokedPath).
	Revoke func(share string, keep func(*Notice) bool, actor string) (bool, error)
	// Synced, if set, reports whether the node has caught up with the
	// chain: until it has, SharesPath and RevokedPath answer 503
	// catching-up and Sync waits (the directory may not home yet the
	// organizations shares were made with).
	Synced func() bool
}

// Node is this member node's end of the peer API.
type Node struct {
	cfg     Config
	self    string
	server  *tls.Config
	mu      sync.Mutex
	clients map[string]*http.Client // by member ID; those of a rotated member's new ID added by client
	urls    map[string]string
	learned map[string]learnedURL // URLs learned from the members (announce.go)
	guard   *Guard
	notices *noticeLimiter
	kick    chan struct{}
	// requeue orders Resend against a pass over the outbox (deliver):
	// requeued counts the Resends, so that a pass that read the outbox
	// before one stops before it sends a notice out of its share's order.
	requeue  sync.Mutex
	requeued uint64
	// The share sync (sync.go): this process's HeaderBoot, the members'
	// (under mu), when each was last synced with (under mu), and the
	// members to sync with at once.
	boot     string
	boots    map[string]string
	lastSync map[string]time.Time
	lastKick map[string]time.Time
	syncKick chan string
}

// ErrUnreachable means a member's node did not answer.
var ErrUnreachable = errors.New("peer: the member's node is unreachable")

// New validates cfg and prepares the node's TLS and buckets.
func New(cfg Config) (*Node, error) {
	if cfg.DB == nil || cfg.Home == nil || cfg.Local == nil {
		return nil, errors.New("peer: Config needs DB, Home and Local")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.Current == nil {
		cfg.Current = func(id string) string { return id }
	}
	if cfg.Update == nil {
		cfg.Update = cfg.DB.Update
	}
	srv, err := cfg.TLS.Server()
	if err != nil {
		return nil, err
	}
	notices, err := newNoticeLimiter(cfg.NoticeRate, cfg.NoticeBurst)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, notices: notices, self: anchor.MemberID(cfg.TLS.Cert), server: srv, clients: map[string]*http.Client{},
		urls: map[string]string{}, learned: map[string]learnedURL{}, guard: NewGuard(cfg.TLS.Now), kick: make(chan struct{}, 1),
		boot: newBoot(), boots: map[string]string{}, lastSync: map[string]time.Time{}, lastKick: map[string]time.Time{}, syncKick: make(chan string, 16)}
	cfg.SelfURL = strings.TrimRight(cfg.SelfURL, "/")
	if cfg.SelfURL != "" && !httpsURL(cfg.SelfURL) {
		return nil, fmt.Errorf("peer: this node's own URL, %q, is not an https URL", cfg.SelfURL)
	}
	for member, u := range cfg.URLs {
		if pu, err := url.Parse(u); err != nil || pu.Scheme != "https" || pu.Host == "" {
			return nil, fmt.Errorf("peer: the URL of member %s, %q, is not an https URL", member, u)
		}
		if err := n.addClient(member, u); err != nil {
			return nil, err
		}
	}
	if err := createBuckets(cfg.DB); err != nil {
		return nil, err
	}
	if err := n.loadLearned(); err != nil {
		return nil, err
	}
	return n, nil
}

// addClient adds the client that reaches member at u, checking that the
// server's certificate is member's.
func (n *Node) addClient(member, u string) error {
	tc, err := n.cfg.TLS.Client(member)
	if err != nil {
		return err
	}
	// HTTP/1.1: relayed downloads are long single streams, which
	// HTTP/2's flow control would slow down for nothing.
	tr := &http.Transport{TLSClientConfig: tc, MaxIdleConnsPerHost: 16, ReadBufferSize: 256 << 10, WriteBufferSize: 64 << 10,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext, TLSHandshakeTimeout: 5 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second, MaxResponseHeaderBytes: MaxHeaderBytes}
	n.clients[member], n.urls[member] = &http.Client{Transport: tr, CheckRedirect: noRedirect}, u
	return nil
}

// MaxHeaderBytes bounds the header of a member's answer (net/http's
// default is 10 MiB): a file name in Content-Disposition is the longest
// header a node sends.
const MaxHeaderBytes = 64 << 10

// noRedirect is the peer clients' redirect policy: a member's answer is
// taken as it is, since a redirect would send this node elsewhere, even to
// plain HTTP, which no certificate check guards.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// client is the client and base URL that reach member: the URL configured
// for it or, for a member that rotated its key, for one of its former
// node member IDs (the server must then present member's certificate).
func (n *Node) client(member string) (*http.Client, string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c, ok := n.clients[member]; ok {
		return c, n.urls[member], true
	}
	for k, u := range n.cfg.URLs {
		if k != member && n.cfg.Current(k) == member && n.addClient(member, u) == nil {
			return n.clients[member], u, true
		}
	}
	return nil, "", false
}

// Self is this node's member ID.
func (n *Node) Self() string { return n.self }

// ServerTLS is the TLS configuration of the peer listener.
func (n *Node) ServerTLS() *tls.Config { return n.server }

type memberKey struct{}

// MemberFrom is the calling member of a request the Handler admitted.
func MemberFrom(ctx context.Context) string {
	m, _ := ctx.Value(memberKey{}).(string)
	return m
}

// NoticesPath is where a node receives share notices.
const NoticesPath = "/peer/v1/notices"

// Handler admits peer requests: the caller must be a member (its node
// certificate is checked under the root in the TLS handshake, its member
// here), with a fresh request ID and time (409 replayed-request, 400
// stale-request otherwise), and not past its bound of kept request IDs
// (503 busy, Retry-After: 10). It serves share notices itself and passes the
// rest to next, with the caller's member in the context (MemberFrom).
// DirectoryPath alone answers any node under the root, member or not yet:
// a read of addresses that changes nothing.
func (n *Node) Handler(next http.Handler) http.Handler {
	if observeAnswers != nil {
		return observeAnswers(n.handler, next)
	}
	return n.handler(next)
}

// observeAnswers, when set, builds every Handler. Only the package's
// tests set it (contract_test.go), to check the status of each answer
// that handler gives itself (not next's: those are api's) against the
// peer API's contract, api/peer/openapi.json.
var observeAnswers func(handler func(next http.Handler) http.Handler, next http.Handler) http.Handler

func (n *Node) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		member := MemberOf(r.TLS)
		if member != "" && n.cfg.TLS.isMember(member) {
			n.sawBoot(member, r.Header.Get(HeaderBoot))
		}
		if member != "" && r.URL.Path == DirectoryPath {
			n.serveDirectory(w, r) // any node under the root, member or not yet
			return
		}
		if member == "" || !n.cfg.TLS.isMember(member) {
			problem.Localized(w, r, http.StatusForbidden, "not-a-member", problem.M("title.not-a-member"), problem.M("not-a-member"))
			return
		}
		switch err := n.guard.Check(member, r.Header); {
		case errors.Is(err, ErrBusy):
			w.Header().Set("Retry-After", "10")
			problem.Localized(w, r, http.StatusServiceUnavailable, "busy", problem.M("title.busy"), problem.M("peer-busy"))
			return
		case errors.Is(err, ErrReplayed):
			problem.Localized(w, r, http.StatusConflict, "replayed-request", problem.M("title.replayed-request"), problem.M("replayed-request"))
			return
		case err != nil:
			problem.Localized(w, r, http.StatusBadRequest, "stale-request", problem.M("title.stale-request"),
				problem.M("stale-request", "time_header", HeaderRequestTime, "window", Window, "id_header", HeaderRequestID))
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), memberKey{}, member))
		switch r.URL.Path {
		case NoticesPath:
			n.serveNotice(w, r, member)
			return
		case SoftwarePath:
			n.serveSoftware(w, r)
			return
		case SharesPath:
			if n.cfg.Made != nil {
				n.serveShares(w, r, member)
				return
			}
		case RevokedPath:
			if n.cfg.Made != nil && n.cfg.Revoke != nil {
				n.serveRevoked(w, r, member)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// MaxNoticeBytes bounds a share notice's body: a longer one is
// 413 too-large. A notice this node makes is far shorter (IDs of at most
// 64 bytes, a name of at most 800).
const MaxNoticeBytes = 16 << 10

func (n *Node) serveNotice(w http.ResponseWriter, r *http.Request, member string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		problem.Localized(w, r, http.StatusMethodNotAllowed, "method-not-allowed", problem.M("title.method-not-allowed"), problem.M("post-notice"))
		return
	}
	if !n.limitNotice(w, r, member) {
		return
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxNoticeBytes+1))
	if err != nil { // the request failed, not the notice: the sender retries it (retried)
		n.cfg.Log.Debug("peer: a notice's body was cut short", "member", member, "err", err)
		problem.Localized(w, r, http.StatusBadRequest, "incomplete-upload", problem.M("title.bad-request"), problem.M("incomplete-upload"))
		return
	}
	if len(b) > MaxNoticeBytes { // refused whole, never cut short
		n.cfg.Log.Debug("peer: refusing a notice over its size", "member", member)
		problem.Localized(w, r, http.StatusRequestEntityTooLarge, "too-large", problem.M("title.request-too-large"),
			problem.M("notice-too-large", "max", MaxNoticeBytes))
		return
	}
	nt, err := DecodeNotice(b)
	if errors.Is(err, strictjson.ErrNotObject) { // as the public API's readJSONObject answers it
		n.cfg.Log.Debug("peer: refusing a notice", "member", member, "err", err)
		problem.Localized(w, r, http.StatusBadRequest, "not-an-object", problem.M("title.not-an-object"), problem.M("json-object"))
		return
	}
	if err != nil {
		n.cfg.Log.Debug("peer: refusing a notice", "member", member, "err", err)
		problem.Localized(w, r, http.StatusUnprocessableEntity, "invalid-input", problem.M("title.invalid-input"), problem.M("notice-invalid"))
		return
	}
	// A grantor the directory does not list yet may be one whose
	// registration is in a block this node has not applied: the sender
	// is told to retry (503, which every sender's outbox retries), never
	// that its notice is refused for good.
	home, ok := n.cfg.Home(nt.Grantor)
	if !ok && !n.cfg.Local(nt.Grantor) {
		w.Header().Set("Retry-After", "5")
		problem.Localized(w, r, http.StatusServiceUnavailable, "unknown-grantor", problem.M("title.unknown-grantor"), problem.M("notice-unknown-grantor"))
		return
	}
	// A grantor this node keeps is homed here, whatever the directory
	// says (an ID's home there is whichever member registered it first).
	if !ok || n.cfg.Current(home) != n.cfg.Current(member) || n.cfg.Local(nt.Grantor) {
		problem.Localized(w, r, http.StatusForbidden, "not-home-member", problem.M("title.not-home-member"), problem.M("notice-home"))
		return
	}
	if !n.cfg.Local(nt.Grantee) {
		problem.Localized(w, r, http.StatusUnprocessableEntity, "invalid-input", problem.M("title.invalid-input"), problem.M("grantee-not-local"))
		return
	}
	err = n.cfg.DB.Update(func(tx *bolt.Tx) error {
		in, isNew, err := receive(tx, member, nt, n.cfg.Current)
		if err != nil || !isNew || n.cfg.OnShared == nil {
			return err
		}
		return n.cfg.OnShared(tx, in)
	})
	if errors.Is(err, ErrBadNotice) {
		n.cfg.Log.Info("peer: conflicting notice", "member", member, "err", err)
		problem.Localized(w, r, http.StatusConflict, "notice-conflict", problem.M("title.notice-conflict"), problem.M("notice-conflict"))
		return
	}
	if err != nil {
		n.cfg.Log.Error("peer: storing a share notice", "err", err)
		problem.Localized(w, r, http.StatusInternalServerError, "internal", problem.M("title.internal"), problem.M("notice-not-stored"))
		return
	}
	if n.Disputed(nt.Grantee, nt.Target) {
		n.cfg.Log.Warn("peer: two members claim the same shared item or matter; its reads are relayed to neither",
			"target", nt.Target, "grantee", nt.Grantee, "member", member, "share", nt.Share)
	}
	w.WriteHeader(http.StatusNoContent)
}

// Do sends req to member's peer API (req.URL holds the path and query
// only), with a fresh request ID and time. A member that does not answer
// is ErrUnreachable.
func (n *Node) Do(ctx context.Context, member string, req *http.Request) (*http.Response, error) {
	c, u, ok := n.client(n.cfg.Current(member))
	if !ok {
		return nil, fmt.Errorf("%w: no peer URL is configured for member %s", ErrUnreachable, member)
	}
	base, _ := url.Parse(u)
	req = req.WithContext(ctx)
	req.URL.Scheme, req.URL.Host, req.Host = base.Scheme, base.Host, base.Host
	req.RequestURI = ""
	Stamp(req.Header, n.cfg.TLS.Now())
	req.Header.Set(HeaderBoot, n.boot)
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	return resp, nil
}

// Enqueue records, inside tx, a notice owed to member; once tx commits,
// Run delivers it.
func (n *Node) Enqueue(tx *bolt.Tx, member string, nt Notice) error {
	nt.V = 1
	if err := enqueue(tx, member, nt); err != nil {
		return err
	}
	tx.OnCommit(func() {
		select {
		case n.kick <- struct{}{}:
		default:
		}
	})
	return nil
}

// Run delivers the outbox until ctx ends: in order per member, each notice
// until the member acknowledges it, retrying a member that fails after
// Backoff, doubling up to a minute, or after the Retry-After of its 429 or
// 503 answer if that is longer (at most maxRetryAfter). A notice the
// member refuses for good (a 4xx about the notice itself,
// answerError.forGood) leaves the outbox for the refused notices
// (Refused), logged once at error level, until the operator sends it again
// or drops it (Resend, Drop), and the member's next notices follow; so do
// the later notices of its share, unsent: the member never took the share,
// so it must not hear of it later (a revocation before its share), and the
// home node decides every read anyway.
func (n *Node) Run(ctx context.Context) {
	d := &delivery{backoff: map[string]time.Duration{}, due: map[string]time.Time{}, notHome: map[string]time.Time{}, grace: notHomeGrace}
	for {
		wait := n.deliver(ctx, d)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-n.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

type delivery struct {
	backoff map[string]time.Duration
	due     map[string]time.Time
	notHome map[string]time.Time // outbox key → first not-home-member answer to it
	grace   time.Duration        // notHomeGrace
}

// notHomeGrace is how long a notice answered 403 not-home-member is sent
// again before it is refused for good. A member's node answers so when its
// directory does not home the grantor on this member, which is also what
// it answers while it has not yet applied the block that registered the
// grantor (an organization that shares as soon as it is created): blocks
// are final within seconds, so minutes of retries lose no honest notice,
// and a notice the member refuses for good still leaves the queue.
const notHomeGrace = 5 * time.Minute

// maxRetryAfter bounds how long the outbox waits for a member that
// answered a notice with Retry-After (a 429 or 503): a member's node cannot
// hold its notices back for hours.
const maxRetryAfter = 10 * time.Minute

// graced reports whether the outbox sends the notice at key again although
// the member refused it for good: a not-home-member answer, until grace has
// passed since the first such answer to it (in this process).
func (d *delivery) graced(key []byte, ae *answerError, now time.Time) bool {
	if ae.typ != problem.Base+"not-home-member" {
		return false
	}
	first, ok := d.notHome[string(key)]
	if !ok {
		d.notHome[string(key)] = now
		return true
	}
	if now.Sub(first) < d.grace {
		return true
	}
	delete(d.notHome, string(key))
	return false
}

// deliver makes one pass over the outbox and returns how long to wait
// before the next.
func (n *Node) deliver(ctx context.Context, d *delivery) time.Duration {
	type entry struct {
		key []byte
		out outgoing
	}
	var pending []entry
	n.requeue.Lock()
	pass := n.requeued
	n.cfg.DB.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bOutbox).ForEach(func(k, v []byte) error {
			var o outgoing
			if json.Unmarshal(v, &o) == nil {
				pending = append(pending, entry{bytes.Clone(k), o})
			}
			return nil
		})
	})
	n.requeue.Unlock()
	now := time.Now()
	failed := map[string]bool{}
	for _, e := range pending {
		m := n.cfg.Current(e.out.Member) // a member that rotated its key since
		if failed[m] || now.Before(d.due[m]) {
			failed[m] = true // keep this member's notices in order
			continue
		}
		skip, err := n.refused(e.key, &e.out, pass)
		if errors.Is(err, errRequeued) {
			return 0 // the operator queued refused notices again: a new pass, in order
		}
		if !skip && err == nil {
			err = n.send(ctx, m, &e.out.Notice)
			if ae := (*answerError)(nil); errors.As(err, &ae) && ae.forGood() && !d.graced(e.key, ae, now) {
				err = n.giveUp(e.key, &Refused{Member: e.out.Member, Notice: e.out.Notice, Status: ae.status, Type: ae.typ, Detail: ae.detail}, err)
			}
		}
		if err != nil {
			failed[m] = true
			b := min(max(2*d.backoff[m], n.cfg.Backoff), time.Minute)
			wait := b
			if rl := (*retryLater)(nil); errors.As(err, &rl) {
				wait = max(b, rl.after) // the member's Retry-After
			}
			d.backoff[m], d.due[m] = b, now.Add(wait)
			n.cfg.Log.Warn("peer: share notice not delivered; will retry", "member", m, "share", e.out.Notice.Share, "retry_in", wait, "err", err)
			continue
		}
		delete(d.backoff, m)
		delete(d.due, m)
		delete(d.notHome, string(e.key))
		n.cfg.DB.Update(func(tx *bolt.Tx) error { return tx.Bucket(bOutbox).Delete(e.key) })
	}
	wait := time.Minute
	for m := range failed {
		wait = min(wait, max(time.Until(d.due[m]), 10*time.Millisecond))
	}
	return wait
}

func (n *Node) send(ctx context.Context, member string, nt *Notice) error {
	b, err := json.Marshal(nt)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, _ := http.NewRequest(http.MethodPost, NoticesPath, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.Do(ctx, member, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusNoContent {
		err := newAnswerError(member, resp.StatusCode, body)
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			if after, ok := RetryAfter(resp.Header.Get("Retry-After"), time.Now(), maxRetryAfter); ok {
				return &retryLater{after: after, err: err}
			}
		}
		return err
	}
	return nil
}

// retryLater is a member's answer to a notice that asks to be sent it
// again after a time (a 429 or 503 with Retry-After): the outbox waits
// that long at least, and the notice stays first in line.
type retryLater struct {
	after time.Duration
	err   error
}

func (e *retryLater) Error() string { return fmt.Sprintf("%v (retry after %v)", e.err, e.after) }
func (e *retryLater) Unwrap() error { return e.err }

// RetryAfter reads a Retry-After header (RFC 9110 §10.2.3: seconds or an
// HTTP date) as a wait from now, between 0 and limit; false if v is empty
// or cannot be read.
func RetryAfter(v string, now time.Time, limit time.Duration) (time.Duration, bool) {
	var d time.Duration
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		d = time.Duration(min(s, int(limit/time.Second)+1)) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = at.Sub(now)
	} else {
		return 0, false
	}
	return min(max(d, 0), limit), true
}

// errRequeued stops a pass over the outbox that Resend overtook.
var errRequeued = errors.New("peer: refused notices were queued again")

// refused moves the outbox entry at key to the refused notices, unsent, if
// an earlier notice of its share was refused for good, and reports whether
// it did; errRequeued if a Resend came after the pass (pass, the count of
// Resends when it read the outbox) began. No Resend comes between the
// pass's check and the move, and the move checks again in its transaction
// (a Drop may have come). The usual case, a share not refused, is read
// only: no write transaction per notice sent.
func (n *Node) refused(key []byte, o *outgoing, pass uint64) (bool, error) {
	n.requeue.Lock()
	defer n.requeue.Unlock()
	if n.requeued != pass {
		return false, errRequeued
	}
	var skip bool
	n.cfg.DB.View(func(tx *bolt.Tx) error { skip = shareRefused(tx, o.Notice.Share); return nil })
	if !skip {
		return false, nil
	}
	r := &Refused{Member: o.Member, Notice: o.Notice, RefusedAt: time.Now().UTC()}
	err := n.cfg.DB.Update(func(tx *bolt.Tx) error {
		if skip = shareRefused(tx, o.Notice.Share); !skip {
			return nil
		}
		return refuse(tx, key, r)
	})
	if err != nil {
		return true, fmt.Errorf("peer: keeping a refused share notice: %w", err)
	}
	if skip {
		n.logRefused(r, errors.New("an earlier notice of the share was refused"))
	}
	return skip, nil
}

// giveUp moves the outbox entry at key to the refused notices and logs it.
// Its error (the entry could not be moved) is the member's failure: the
// entry stays first in line.
func (n *Node) giveUp(key []byte, r *Refused, why error) error {
	r.RefusedAt = time.Now().UTC()
	if err := n.cfg.DB.Update(func(tx *bolt.Tx) error { return refuse(tx, key, r) }); err != nil {
		return fmt.Errorf("peer: keeping a refused share notice: %w", err)
	}
	n.logRefused(r, why)
	return nil
}

// logRefused logs, once at error level, a notice given up on.
func (n *Node) logRefused(r *Refused, why error) {
	n.cfg.Log.Error("peer: share notice refused for good; not sent again until the operator resends it (custos peer refused)", "member", r.Member,
		"share", r.Notice.Share, "revoked", r.Notice.RevokedAt != nil, "status", r.Status, "type", r.Type, "detail", r.Detail, "err", why)
}

// Outbox is the number of notices not yet delivered.
func (n *Node) Outbox() (int, error) {
	var k int
	err := n.cfg.DB.View(func(tx *bolt.Tx) error {
		k = tx.Bucket(bOutbox).Stats().KeyN
		return nil
	})
	return k, err
}

// Received lists the shares other members made with org, newest notice
// state first by creation time.
func (n *Node) Received(org string) ([]Inbound, error) {
	var out []Inbound
	err := n.cfg.DB.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bGranted).Cursor()
		p := []byte(org)
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			in, err := getInbound(tx, string(k[len(p):]))
			if err != nil {
				return err
			}
			if in != nil && in.Grantee == org {
				in.Member = n.cfg.Current(in.Member)
				out = append(out, *in)
			}
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

// HomeOf is the member an active share of target (an evidence or matter
// ID) with org came from, as far as this node's inbox knows.
func (n *Node) HomeOf(org, target string) (member string, ok bool) {
	n.cfg.DB.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bTarget).Get(targetKey(target, org))
		if id == nil || bytes.Equal(id, disputedTarget) {
			return nil
		}
		in, err := getInbound(tx, string(id))
		if err == nil && in != nil && in.Active(time.Now()) {
			member, ok = n.cfg.Current(in.Member), true
		}
		return nil
	})
	return member, ok
}

// Disputed reports whether two members noticed target (an evidence or
// matter ID) for org, or listed it as an item of matters they shared
// with org (ClaimItems): its reads are relayed to neither (route).
func (n *Node) Disputed(org, target string) bool {
	var d bool
	n.cfg.DB.View(func(tx *bolt.Tx) error {
		d = bytes.Equal(tx.Bucket(bTarget).Get(targetKey(target, org)), disputedTarget) || itemDisputed(tx, org, target)
		return nil
	})
	return d
}
