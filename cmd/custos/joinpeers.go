package main

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/peer"
	"github.com/custos-project/custos/certs"
)

// joinPeers is what a joining member's custos.toml names as its peers:
// the members' peer API URLs ([consortium.peers]) with their names, and
// CometBFT's persistent peers ([chain] peers).
type joinPeers struct {
	api   map[string]string // member ID → https://HOST:PORT
	names map[string]string // member ID → name
	p2p   []string          // NODEID@HOST:PORT
}

// fetchPeers asks the member node at from (its peer API URL) for its
// directory, over mutual TLS with a node certificate the new organization
// CA issues here for the new validator key (the one join --finish then
// writes certifies the same key, so it is the same member to the peer
// API; in an sm consortium, where the node presents its certificate alone,
// the member's node is checked against the organization CAs in cas, the
// trust bundle's). peer.FetchDirectory checks that the node is a current member by
// its own chain and keeps current members' URLs only; the new member's own
// entries are dropped, and the CometBFT peers it names are added to the
// admission's, once per node ID.
func fetchPeers(ctx context.Context, out, from string, root *x509.Certificate, org *certs.Authority, req *joinRequest,
	pub ed25519.PublicKey, admPeers []string, cas []*x509.Certificate, now time.Time) (joinPeers, error) {
	key, err := anchor.ValidatorKey(filepath.Join(out, "chain"))
	if err != nil {
		return joinPeers{}, err
	}
	if !key.Public().(ed25519.PublicKey).Equal(pub) {
		return joinPeers{}, fmt.Errorf("%s: the validator key is not the one of %s", filepath.Join(out, "chain"), joinRequestFile)
	}
	node, err := org.IssueNode(req.Name+" node", pub, now)
	if err != nil {
		return joinPeers{}, err
	}
	d, err := peer.FetchDirectory(ctx, peer.TLSConfig{Root: root, Cert: node, Chain: []*x509.Certificate{org.Cert}, Key: key,
		CAs: func() []*x509.Certificate { return cas }}, from)
	if err != nil {
		return joinPeers{}, fmt.Errorf("--from %s: %w", from, err)
	}
	self := anchor.MemberOfKey(pub)
	p := joinPeers{api: map[string]string{}, names: d.Members, p2p: append([]string(nil), admPeers...)}
	for id, u := range d.Peers {
		if id != self {
			p.api[id] = u
		}
	}
	seen := map[string]bool{req.NodeID: true}
	for _, a := range p.p2p {
		id, _, _ := strings.Cut(a, "@")
		seen[id] = true
	}
	for _, a := range d.P2P {
		id, addr, ok := strings.Cut(a, "@")
		if ok && nodeIDRE.MatchString(id) && strings.Contains(addr, ":") && !strings.ContainsAny(addr, "\"\\\n") && !seen[id] {
			seen[id] = true
			p.p2p = append(p.p2p, a)
		}
	}
	return p, nil
}

// consortiumTable is the [consortium] table of a joining member's
// custos.toml: its peer API address, and the other members' URLs when
// fetchPeers found them.
func (p joinPeers) consortiumTable(peerAPI string) string {
	if len(p.api) == 0 {
		return fmt.Sprintf(`
[consortium]
# The peer API (mutual TLS between members). Add the other members under
# [consortium.peers] (member ID = "https://HOST:PORT") to exchange share
# notices, or run join --finish with --from MEMBER-PEER-URL to write them.
peer_listen = %q
`, peerAPI)
	}
	t := fmt.Sprintf(`
[consortium]
# The peer API: members reach each other here over mutual TLS with their
# node certificates, to send share notices and relay reads of evidence
# shared across members. Keys are member IDs (hex SHA-256 of a node key).
# The peers below are those a member's node named (join --finish --from),
# checked against its chain's current members.
peer_listen = %q

[consortium.peers]
`, peerAPI)
	ids := make([]string, 0, len(p.api))
	for id := range p.api {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t += fmt.Sprintf("%q = %q", id, p.api[id])
		if name := oneLine(p.names[id]); name != "" {
			t += " # " + name
		}
		t += "\n"
	}
	return t
}

// summary says what fetchPeers found at from.
func (p joinPeers) summary(from string) string {
	return tr("out.join-peers", "from", from, "peers", len(p.api), "p2p", len(p.p2p))
}

// oneLine keeps a name fit for a TOML comment: no control characters.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 {
			return -1
		}
		return r
	}, s)
}
