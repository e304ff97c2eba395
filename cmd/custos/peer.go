package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api"
	"github.com/custos-project/custos/api/peer"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/sharing"
	"github.com/custos-project/custos/receipt"
	"github.com/custos-project/custos/webhooks"
)

// shareNotices is evidence.Config.OnShare: it queues, in the share's
// transaction, a notice to the grantee's home member when the directory
// homes the grantee on another member. It is set up before the peer node
// exists (the service is built before the chain); until then, and on a
// node without a peer API, it does nothing.
type shareNotices struct {
	peer *peer.Node
	dir  *anchor.Chain
}

func (s *shareNotices) onShare(tx *bolt.Tx, sh *evidence.Share) error {
	if s.peer == nil {
		return nil
	}
	e, ok, err := s.dir.Org(sh.Grantee)
	if err != nil || !ok || e.Member == s.peer.Self() {
		return err // a local organization (or one not registered yet, hence local)
	}
	return s.peer.Enqueue(tx, e.Member, s.notice(sh))
}

// notice is sh's notice, with its grantor's name in the directory.
func (s *shareNotices) notice(sh *evidence.Share) peer.Notice {
	nt := bareNotice(sh)
	if s.dir == nil {
		return nt
	}
	if g, ok, err := s.dir.Org(sh.Owner); err == nil && ok {
		nt.GrantorName = g.Name
	}
	return nt
}

// bareNotice is sh's notice without its grantor's name.
func bareNotice(sh *evidence.Share) peer.Notice {
	return peer.Notice{Share: sh.ID, Kind: sh.Kind, Target: sh.Target, Grantor: sh.Owner,
		Grantee: sh.Grantee, CreatedAt: sh.CreatedAt, ExpiresAt: sh.ExpiresAt, RevokedAt: sh.RevokedAt}
}

// madeShares is the peer node's Made (the share sync, api/peer/sync.go):
// the shares made on this node that keep takes, in the order of their IDs.
// A page reads at most madeScan shares, kept or not, so that its read
// transaction stays short on a node with many shares for other members
// (a long one would hold up the writes that grow the database file): it
// may then hold fewer than limit, with next where it stopped.
func (s *shareNotices) madeShares(ev *evidence.Service) func(after string, limit int, keep func(*peer.Notice) bool) ([]peer.Notice, string, error) {
	return func(after string, limit int, keep func(*peer.Notice) bool) ([]peer.Notice, string, error) {
		var out []peer.Notice
		var next string
		err := ev.View(func(tx *bolt.Tx) error {
			out, next = out[:0], ""
			scanned := 0
			return evidence.SharesAfter(tx, after, func(sh *evidence.Share) (bool, error) {
				if nt := bareNotice(sh); keep(&nt) {
					out = append(out, s.notice(sh))
				}
				if scanned++; len(out) == limit || scanned == madeScan {
					next = sh.ID
					return false, nil
				}
				return true, nil
			})
		})
		return out, next, err
	}
}

// madeScan bounds the shares one page of the share sync reads (a
// variable for tests).
var madeScan = 10000

// revokeShare is the peer node's Revoke: a share made here that the
// grantee's home member knows revoked is revoked again, as the sharing
// organization's act, by actor (that member's node).
func revokeShare(ev *evidence.Service, reg *sharing.Registry) func(id string, keep func(*peer.Notice) bool, actor string) (bool, error) {
	return func(id string, keep func(*peer.Notice) bool, actor string) (bool, error) {
		var sh *evidence.Share
		err := ev.View(func(tx *bolt.Tx) (err error) {
			sh, err = evidence.GetShare(tx, id)
			return err
		})
		if errors.Is(err, evidence.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if nt := bareNotice(sh); !sh.Active(ev.Now()) || !keep(&nt) {
			return false, nil
		}
		done, err := reg.RevokeShare(context.Background(), sh.Owner, actor, id)
		if err != nil {
			return false, err
		}
		return done.RevokedBy == actor, nil // not if another revoked it meanwhile
	}
}

// startPeer prepares the peer API of a consortium member ([consortium]
// peer_listen), or returns nil when none is configured.
func (n *node) startPeer(cfg Config, log *slog.Logger, pki *nodePKI, orgs *access.Store, shares *sharing.Registry) (*peer.Node, error) {
	if cfg.Consortium.PeerListen == "" {
		return nil, nil
	}
	if n.chain.Chain == nil {
		return nil, errors.New("the peer API needs the consortium chain")
	}
	members := map[string]bool{}
	for id := range n.chain.memberNames() {
		members[id] = true
	}
	dir := n.chain.Chain
	p, err := peer.New(peer.Config{
		TLS: peer.TLSConfig{Root: pki.Root, Cert: pki.Node, Chain: []*x509.Certificate{pki.Org.Cert},
			Key: n.chain.Node.Key(), Members: members, IsMember: n.isPeerMember, CAs: n.peerCAs,
			Retired: n.peerRetired},
		URLs: cfg.Consortium.Peers, DB: n.db, Log: log,
		Update: n.ev.Update, // a drop of refused notices and its audit event, anchored
		Home: func(org string) (string, bool) {
			e, ok, err := dir.Org(org)
			return e.Member, ok && err == nil
		},
		Local: func(org string) bool { _, err := orgs.Org(org); return err == nil },
		// A member that rotated its key is one member under its old and
		// new node member IDs.
		Current: func(id string) string {
			if cur, _, err := dir.CurrentNode(id); err == nil {
				return cur
			}
			return id
		},
		OnShared:   sharedHook(n.hooks, dir, n.memberName),
		Directory:  n.peerDirectory(cfg),
		SelfURL:    peerSelfURL(cfg.Consortium),
		NoticeRate: cfg.Consortium.NoticeRate, NoticeBurst: cfg.Consortium.NoticeBurst,
		Software: peer.Software{Version: version, LatestState: anchor.LatestState},
		Made:     n.notices.madeShares(n.ev),
		Revoke:   revokeShare(n.ev, shares),
		Synced:   func() bool { return !dir.Syncing() && n.orgsRestored.Load() },
	})
	if err != nil {
		return nil, fmt.Errorf("peer API: %w", err)
	}
	return p, nil
}

// sharedHook is the peer node's OnShared: the grantee's webhooks hear of a
// share another member made with it as of a local share (evidence.shared),
// in the transaction that stores the notice. The grantor's name is the
// directory's ("" if it has none), never the notice's grantor_name, which
// its sender chose (docs/security.md, P2).
func sharedHook(hooks *webhooks.Service, dir interface {
	Org(id string) (anchor.DirEntry, bool, error)
}, memberName func(id string) string) func(*bolt.Tx, *peer.Inbound) error {
	return func(tx *bolt.Tx, in *peer.Inbound) error {
		v := api.RemoteShare(in, memberName(in.Member))
		v.OwnerName = ""
		if e, ok, err := dir.Org(in.Grantor); err == nil && ok {
			v.OwnerName = e.Name
		}
		return hooks.PublishWithin(tx, in.Grantee, webhooks.EventShared, v)
	}
}

// peerDirectory answers a joining node's GET /peer/v1/directory: the
// chain's current members, by the member ID their node certificates give
// (anchor.MemberOfKey of their validator keys; before state version 6, the
// trust bundle's validators), and this node's CometBFT address and peers.
func (n *node) peerDirectory(cfg Config) peer.DirectoryFunc {
	return func() (map[string]string, []string, error) {
		members, err := n.peerMembers()
		if err != nil {
			return nil, nil, err
		}
		p2p := append([]string(nil), cfg.Chain.Peers...)
		if addr := strings.TrimPrefix(cfg.Chain.P2PListen, "tcp://"); n.chain.Node != nil && dialable(addr) {
			p2p = append([]string{n.chain.Node.ID() + "@" + addr}, p2p...)
		}
		return members, p2p, nil
	}
}

// peerMembers is the chain's current members by the member ID their node
// certificates give (anchor.MemberOfKey of their validator keys: a rotated
// member's new key), with their names; before state version 6 (no members
// in the state), the trust bundle's validators.
func (n *node) peerMembers() (map[string]string, error) {
	ms, err := n.chain.Chain.Members()
	if err != nil || len(ms) == 0 {
		return n.chain.memberNames(), err
	}
	members := map[string]string{}
	for _, m := range ms {
		if m.Removed == 0 {
			members[anchor.MemberOfKey(m.ValidatorKey)] = m.Name
		}
	}
	return members, nil
}

// memberName is the name of the member whose node has member ID id: in
// the trust bundle, else (a rotated or joined member) in the chain's
// member list.
func (n *node) memberName(id string) string {
	if name, ok := n.chain.memberNames()[id]; ok {
		return name
	}
	ms, _ := n.peerMembers()
	return ms[id]
}

// isPeerMember is the peer API's membership check: the chain's current
// members (peerMembers), so that a member admitted by vote is answered
// and reached without a restart, and a removed member's node no longer.
func (n *node) isPeerMember(id string) bool {
	ms, err := n.peerMembers()
	_, ok := ms[id]
	return ok && err == nil
}

// peerCAs is peer.TLSConfig.CAs, asked in a consortium of the sm suite,
// whose nodes present their node certificates without their SM2
// organization CAs: the organization CAs of the members, as the trust
// bundle names them and as the chain knows them (a retired one left out),
// and those of the open or passed proposals to admit a member (whose node
// reads the directory in join --finish --from).
func (n *node) peerCAs() []*x509.Certificate {
	var ders [][]byte
	for _, ca := range trustOrgCAs(n.chain.validators) {
		ders = append(ders, ca.Raw)
	}
	retired := map[string]bool{}
	ms, _ := n.chain.Chain.Members()
	for _, m := range ms {
		for _, ca := range m.OrgCAs {
			if ca.Retired != 0 {
				retired[ca.SHA256] = true
			} else {
				ders = append(ders, ca.Cert)
			}
		}
	}
	ps, _ := n.chain.Chain.Proposals()
	for _, p := range ps {
		if p.Action == "admit" && (p.Status == anchor.StatusOpen || p.Status == anchor.StatusPassed) && len(p.OrgCA) > 0 {
			ders = append(ders, p.OrgCA)
		}
	}
	var out []*x509.Certificate
	seen := map[string]bool{}
	for _, der := range ders {
		sum := sha256.Sum256(der)
		h := hex.EncodeToString(sum[:])
		if seen[h] || retired[h] {
			continue
		}
		seen[h] = true
		if c, err := certs.ParseCertificate(der); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// peerRetired is peer.TLSConfig.Retired: whether the chain retired the
// organization CA org (propose retire-ca), known by its key, as the chain
// knows it from state version 10: so in any encoding (an ECDSA signature
// has a twin: docs/security.md, R1) and in a new certificate for the
// retired key (review of consortium reissue, C9).
func (n *node) peerRetired(org *x509.Certificate) bool {
	ms, _ := n.chain.Chain.Members()
	for _, m := range ms {
		for _, ca := range m.OrgCAs {
			if c, err := certs.ParseCertificate(ca.Cert); err == nil && ca.Retired != 0 && bytes.Equal(c.RawSubjectPublicKeyInfo, org.RawSubjectPublicKeyInfo) {
				return true
			}
		}
	}
	return false
}

// trustOrgCAs is the organization CAs the trust bundle's validators name
// (the second certificate of each cert_pem).
func trustOrgCAs(vs []receipt.Validator) []*x509.Certificate {
	var out []*x509.Certificate
	for _, v := range vs {
		if cs, err := certs.ParsePEM([]byte(v.CertPEM)); err == nil && len(cs) == 2 {
			out = append(out, cs[1])
		}
	}
	return out
}

// peerSelfURL is the URL this node announces for its peer API:
// [consortium] peer_url, else https:// and peer_listen when others can
// dial it, else none.
func peerSelfURL(c ConsortiumConfig) string {
	if c.PeerURL != "" {
		return strings.TrimRight(c.PeerURL, "/")
	}
	if dialable(c.PeerListen) {
		return "https://" + c.PeerListen
	}
	return ""
}

// dialable reports whether a listen address host:port names a host others
// can dial (not 0.0.0.0, ::, nor empty).
func dialable(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" || port == "0" || host == "" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsUnspecified()
}

// listenPeer starts the peer listener; the returned server is shut down
// with the node.
func listenPeer(addr string, p *peer.Node, h http.Handler, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("peer API: listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           p.Handler(h),
		TLSConfig:         p.ServerTLS(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// HTTP/1.1 only (as the peers' clients speak): no HTTP/2.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	go func() {
		if err := srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("peer API stopped", "err", err)
		}
	}()
	return srv, nil
}

// UpgradeReadiness is api.UpgradeReadiness: for each of the chain's current
// members, the newest state version its node's software runs, this node's
// from itself and the others' from their peer APIs (peer.SoftwarePath).
// A member that cannot be asked (no peer API here, no URL for it, its node
// down, software older than the endpoint) has LatestState 0 and a reason.
func (n *node) UpgradeReadiness(ctx context.Context) ([]wire.MemberSoftware, error) {
	members, err := n.peerMembers()
	if err != nil {
		return nil, err
	}
	// This node's member ID: that of the key it runs, and, after a
	// rotation it has not adopted yet (it switches at its next start), the
	// chain's current one for it.
	self := map[string]bool{}
	if n.chain.Node != nil {
		id := anchor.MemberOfKey(n.chain.Node.PubKey())
		self[id] = true
		if cur, ok, err := n.chain.Chain.CurrentNode(id); err == nil && ok {
			self[cur] = true
		}
	}
	var ask askFunc
	if n.peer != nil {
		ask = n.peer.AskSoftware
	}
	return memberSoftware(ctx, members, self, ask), nil
}

// askFunc asks a member's node which software it runs (peer.AskSoftware).
type askFunc func(ctx context.Context, member string) (*peer.Software, error)

// memberSoftware is UpgradeReadiness's answer for members (ID → name),
// sorted by name: the members in self (this node) run this build, and
// each other is asked with ask, all at once (a node down costs its
// timeout once); ask nil means this node has no peer API to ask with. A
// member that cannot be asked has LatestState 0 and a reason.
func memberSoftware(ctx context.Context, members map[string]string, self map[string]bool, ask askFunc) []wire.MemberSoftware {
	out := make([]wire.MemberSoftware, 0, len(members))
	for id, name := range members {
		out = append(out, wire.MemberSoftware{Member: id, Name: name})
	}
	var wg sync.WaitGroup
	for i := range out {
		m := &out[i]
		switch {
		case self[m.Member] || len(out) == 1:
			m.Version, m.LatestState = version, anchor.MaxState
		case ask == nil:
			m.Reason = "this node has no peer API ([consortium] peer_listen) to ask"
		default:
			wg.Go(func() {
				sw, err := ask(ctx, m.Member)
				switch {
				case errors.Is(err, peer.ErrNoSoftware):
					m.Reason = "its custos is older than this question (GET /peer/v1/software), so it runs no chain state version after 12"
				case err != nil:
					m.Reason = err.Error()
				default:
					m.Version, m.LatestState = sw.Version, sw.LatestState
				}
			})
		}
	}
	wg.Wait()
	slices.SortFunc(out, func(a, b wire.MemberSoftware) int { return strings.Compare(a.Name+a.Member, b.Name+b.Member) })
	return out
}
