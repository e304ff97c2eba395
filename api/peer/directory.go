package peer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/custos-project/custos/internal/problem"
)

// DirectoryPath is where a node tells another node under the consortium
// root, a member or one being admitted, where the members' nodes are: so
// that a joining member configures its peers from a member's answer, not
// by hand (docs/operations.md, "Joining the consortium").
const DirectoryPath = "/peer/v1/directory"

// Directory is a node's answer at DirectoryPath. It holds no secret: the
// peer API admits members by their certificates, not by their addresses.
type Directory struct {
	Member string `json:"member"` // the answering node's member ID
	// Members is the chain's current members (not removed), member ID →
	// name.
	Members map[string]string `json:"members"`
	// Peers is the peer API URL of each member the node knows: the other
	// members' from its configuration, and (once FetchDirectory checked
	// it) the answering node's own.
	Peers map[string]string `json:"peers"`
	// P2P is the CometBFT peers it knows, NODEID@HOST:PORT: its own
	// address when it listens on one, and its persistent peers.
	P2P []string `json:"p2p"`
}

// DirectoryFunc gives a node's current members and CometBFT peers, for
// its Directory.
type DirectoryFunc func() (members map[string]string, p2p []string, err error)

// serveDirectory answers any node under the root (checked in the
// handshake), member or not.
func (n *Node) serveDirectory(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		problem.Localized(w, r, http.StatusMethodNotAllowed, "method-not-allowed", problem.M("title.method-not-allowed"), problem.M("method-not-allowed"))
		return
	}
	members, p2p, err := n.directory()
	if err != nil {
		n.cfg.Log.Error("peer directory", "err", err)
		problem.Localized(w, r, http.StatusServiceUnavailable, "unavailable", problem.M("title.unavailable"), problem.M("unavailable"))
		return
	}
	if u := r.Header.Get(HeaderURL); u != "" {
		if caller := MemberOf(r.TLS); caller != "" {
			n.learn(caller, u, true) // a current member announcing its own URL (learn checks)
		}
	}
	d := Directory{Member: n.self, Members: members, Peers: n.peerURLs(), P2P: p2p}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(d)
}

// directory is Config.Directory's answer; without one, the members are
// TLS.Members, unnamed, and no CometBFT peers.
func (n *Node) directory() (map[string]string, []string, error) {
	if n.cfg.Directory != nil {
		return n.cfg.Directory()
	}
	members := map[string]string{}
	for id, ok := range n.cfg.TLS.Members {
		if ok {
			members[id] = ""
		}
	}
	return members, nil, nil
}

// FetchDirectory asks the node at base (its peer API URL, https://host:port)
// for its Directory, presenting c's node certificate. The answering node
// must present a node certificate under c.Root, of a current member by its
// own answer, and name itself; the result keeps the peers of current
// members with https URLs only, and adds base as the answering member's.
func FetchDirectory(ctx context.Context, c TLSConfig, base string) (*Directory, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if u, err := url.Parse(base); err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("peer: %q is not the https URL of a member's peer API", base)
	}
	var server string
	tc := &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{c.certificate()},
		InsecureSkipVerify: true, // node certificates name no host: checked below
		VerifyConnection: func(cs tls.ConnectionState) (err error) {
			server, err = c.node(cs.PeerCertificates, x509.ExtKeyUsageServerAuth)
			return err
		},
	}
	hc := &http.Client{Timeout: 30 * time.Second, CheckRedirect: noRedirect, Transport: &http.Transport{TLSClientConfig: tc, MaxResponseHeaderBytes: MaxHeaderBytes, TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+DirectoryPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnreachable, base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("peer: %s%s = %s: %s", base, DirectoryPath, resp.Status, strings.TrimSpace(string(body)))
	}
	var d Directory
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("peer: the directory from %s: %w", base, err)
	}
	if d.Member != server {
		return nil, fmt.Errorf("%w: the node at %s presents member %s's certificate but answers as %s", ErrWrongMember, base, server, d.Member)
	}
	if _, ok := d.Members[server]; !ok {
		return nil, fmt.Errorf("%w: the node at %s (member %s) is not a current member by its own chain", ErrNotMember, base, server)
	}
	peers := map[string]string{server: strings.TrimRight(base, "/")}
	for id, u := range d.Peers {
		pu, err := url.Parse(u)
		if _, member := d.Members[id]; member && id != server && err == nil && pu.Scheme == "https" && pu.Host != "" {
			peers[id] = u
		}
	}
	d.Peers = peers
	return &d, nil
}
