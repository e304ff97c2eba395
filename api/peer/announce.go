package peer

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Addresses the members learn from each other (docs/operations.md,
// "Joining the consortium"). A node announces its own peer API URL
// (Config.SelfURL) to every member whose URL it knows, by asking for that
// member's directory with the URL in HeaderURL; the member, having
// authenticated the caller's node certificate, keeps it as that member's
// URL. Its directory then passes it on to the others, which keep it for
// a member whose URL they do not have yet. So the members' nodes learn a
// new member's address when its node starts, with no change to their
// configurations. An address is not trusted for being learned: every
// connection checks that the server's certificate is the member's. A URL
// in the configuration ([consortium.peers]) always wins; one a member
// announced itself wins over one relayed by another member.

// HeaderURL carries, on a directory request, the calling node's own peer
// API URL.
const HeaderURL = "Custos-Peer-URL"

// AnnounceEvery is how often Announce asks the members it knows for their
// directories, announcing this node's URL; announceRetry, how soon it asks
// again while a member does not list this node's URL yet (a member admitted
// by vote is not taken for one until the admission applies).
const (
	AnnounceEvery = 30 * time.Second
	announceRetry = 5 * time.Second
)

var bURLs = []byte("peer.urls") // member ID → learnedURL JSON

// learnedURL is a member's peer API URL this node learned.
type learnedURL struct {
	URL  string `json:"url"`
	Self bool   `json:"self"` // announced by the member itself, not relayed
}

// httpsURL reports whether u is an https URL with a host, as peer API
// URLs are.
func httpsURL(u string) bool {
	pu, err := url.Parse(u)
	return err == nil && pu.Scheme == "https" && pu.Host != "" && pu.User == nil
}

// loadLearned adds the clients of the URLs learned before a restart, for
// members the configuration does not name.
func (n *Node) loadLearned() error {
	return n.cfg.DB.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bURLs)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var l learnedURL
			member := string(k)
			if json.Unmarshal(v, &l) != nil || !httpsURL(l.URL) || n.cfg.URLs[member] != "" {
				return nil
			}
			n.learned[member] = l
			return n.addClient(member, l.URL)
		})
	})
}

// learn keeps u as member's peer API URL, announced by the member itself
// (self) or relayed by another member, unless the configuration names
// member, or (relayed) this node already has a URL for it. It reports
// whether it changed anything.
func (n *Node) learn(member, u string, self bool) bool {
	u = strings.TrimRight(u, "/")
	if member == n.self || !httpsURL(u) || len(u) > 2048 || !n.cfg.TLS.isMember(member) {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cfg.URLs[member] != "" {
		return false
	}
	cur, known := n.learned[member]
	if known && (cur.URL == u || cur.Self && !self) {
		return false
	}
	if !known && !self {
		if _, ok := n.clients[member]; ok {
			return false
		}
	}
	l := learnedURL{URL: u, Self: self}
	v, _ := json.Marshal(l)
	if err := n.cfg.DB.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bURLs)
		if err != nil {
			return err
		}
		return b.Put([]byte(member), v)
	}); err != nil {
		n.cfg.Log.Warn("peer: keeping a member's URL", "member", member, "err", err)
		return false
	}
	if err := n.addClient(member, u); err != nil {
		return false
	}
	n.learned[member] = l
	n.cfg.Log.Info("peer: learned a member's peer API URL", "member", member, "url", u, "announced_by_itself", self)
	return true
}

// peerURLs is the peer API URL of every member this node knows: the
// configured ones, the learned ones, and its own.
func (n *Node) peerURLs() map[string]string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := map[string]string{}
	for m, l := range n.learned {
		out[m] = l.URL
	}
	for m, u := range n.cfg.URLs {
		out[m] = u
	}
	if n.cfg.SelfURL != "" {
		out[n.self] = n.cfg.SelfURL
	}
	return out
}

// Announce tells the members this node knows its own URL, and learns from
// their directories the URLs of members it does not know, at once and
// then every AnnounceEvery, until ctx ends.
func (n *Node) Announce(ctx context.Context) {
	for {
		wait := AnnounceEvery
		if !n.announceOnce(ctx) {
			wait = announceRetry
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// announceOnce asks each member whose URL this node knows for its
// directory, announcing this node's URL, and learns the URLs it relays.
// It reports whether every member asked answered and lists this node's
// URL (or nothing was to be announced).
func (n *Node) announceOnce(ctx context.Context) bool {
	all := true
	for member := range n.peerURLs() {
		if member == n.self || ctx.Err() != nil {
			continue
		}
		d, err := n.askDirectory(ctx, member)
		if err != nil {
			n.cfg.Log.Debug("peer: a member's directory", "member", member, "err", err)
			all = false
			continue
		}
		if n.cfg.SelfURL != "" && strings.TrimRight(d.Peers[n.self], "/") != n.cfg.SelfURL {
			all = false
		}
		for id, u := range d.Peers {
			if _, current := d.Members[id]; current {
				n.learn(id, u, false)
			}
		}
	}
	return all
}

// askDirectory asks member's node for its directory, announcing this
// node's URL.
func (n *Node) askDirectory(ctx context.Context, member string) (*Directory, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequest(http.MethodGet, DirectoryPath, nil)
	if n.cfg.SelfURL != "" {
		req.Header.Set(HeaderURL, n.cfg.SelfURL)
	}
	resp, err := n.Do(ctx, member, req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &statusError{resp.StatusCode}
	}
	var d Directory
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&d); err != nil {
		return nil, err
	}
	return &d, nil
}

type statusError struct{ code int }

func (e *statusError) Error() string { return "peer: status " + http.StatusText(e.code) }
