// Package peer is the consortium's node-to-node API: member nodes reach
// each other over mutually authenticated TLS 1.3 with their node
// certificates (Ed25519, issued by the member's organization CA under the
// consortium root: no new trust root), and each side identifies the other
// member from the certificate chain it presents. In a consortium of the sm
// suite, whose SM2 organization CAs crypto/tls cannot parse, a node
// presents its node certificate alone and the other side finds its issuer
// among the members' organization CAs it knows (TLSConfig.CAs).
//
// On top of that transport it keeps the two durable halves of sharing
// across members: the outbox of share notices a home node owes to its
// grantees' home nodes (delivered with backoff until acknowledged), and
// the inbox of shares other members made with this node's organizations.
// It also guards relayed requests against replay (a unique request ID and
// a time, RequestID and RequestTime).
//
// The HTTP handlers that serve evidence to a peer are the api package's:
// this package only authenticates and transports.
package peer

import (
	"crypto"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/certs"
)

// TLSConfig is what a node presents and trusts on the peer API.
type TLSConfig struct {
	Root  *x509.Certificate   // the consortium root (root.pem)
	Cert  *x509.Certificate   // this node's certificate (node.pem)
	Chain []*x509.Certificate // its organization CA (org-ca.pem), sent after Cert (ecdsa suite)
	Key   crypto.Signer       // the node key, which Cert certifies (Ed25519)
	// Members is the set of member IDs (anchor.MemberID) whose nodes may
	// connect: the consortium's validators.
	Members map[string]bool
	// IsMember, if set, is asked instead of Members, at each handshake and
	// request: the chain's current members, as governance changes them.
	IsMember func(id string) bool
	Now      func() time.Time // default time.Now
	// CAs, if set, is asked at each handshake of a consortium of the sm
	// suite (an SM2 root) for the organization CAs of the members (and of
	// members being admitted) that the other side's node certificate may
	// be issued by: there a node sends its node certificate alone, since
	// crypto/tls refuses a chain holding an SM2 certificate, and the chain
	// is checked here with certs.CheckNodeChain. Chain is always among
	// them. The ecdsa suite sends and checks the whole chain, without CAs.
	CAs func() []*x509.Certificate
	// Retired, if set, is asked at each handshake whether the
	// organization CA that issued the other side's node certificate was
	// retired (propose retire-ca): then the certificate is refused, in
	// both suites, as the chain refuses the CA's transactions.
	Retired func(org *x509.Certificate) bool
}

// Errors of the peer identity check.
var (
	ErrNoCertificate = errors.New("peer: the other side presented no certificate")
	ErrNotMember     = errors.New("peer: the certificate is not a consortium member's node certificate")
	ErrWrongMember   = errors.New("peer: the certificate is another member's")
)

func (c *TLSConfig) check() error {
	if c.Root == nil || c.Cert == nil || c.Key == nil {
		return errors.New("peer: TLSConfig needs Root, Cert and Key")
	}
	pub, ok := c.Cert.PublicKey.(ed25519.PublicKey)
	if !ok {
		return errors.New("peer: the node certificate does not certify an Ed25519 key")
	}
	if kp, ok := c.Key.Public().(ed25519.PublicKey); !ok || !kp.Equal(pub) {
		return errors.New("peer: the node key is not the one the node certificate certifies")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// sm reports whether the consortium is of the sm suite (an SM2 root).
func (c *TLSConfig) sm() bool { return certs.KeySuite(c.Root.PublicKey) == certs.SuiteSM }

// certificate is what the node presents: its node certificate followed by
// its organization CA, or alone in the sm suite (see CAs).
func (c *TLSConfig) certificate() tls.Certificate {
	chain := [][]byte{c.Cert.Raw}
	for _, ca := range c.Chain {
		if !c.sm() {
			chain = append(chain, ca.Raw)
		}
	}
	return tls.Certificate{Certificate: chain, PrivateKey: c.Key, Leaf: c.Cert}
}

// Member checks a presented chain (leaf first, then its CAs) against the
// consortium root for usage and returns the member ID of its leaf, which
// must be one of Members. Node certificates need not name a host: nothing
// here checks host names.
func (c *TLSConfig) Member(chain []*x509.Certificate, usage x509.ExtKeyUsage) (string, error) {
	id, err := c.node(chain, usage)
	if err != nil {
		return "", err
	}
	if !c.isMember(id) {
		return "", fmt.Errorf("%w: member %s is not a validator of the chain", ErrNotMember, id)
	}
	return id, nil
}

func (c *TLSConfig) isMember(id string) bool {
	if c.IsMember != nil {
		return c.IsMember(id)
	}
	return c.Members[id]
}

// node checks a presented chain as Member does, but not that its member is
// one of Members: a node certificate under the root (an organization CA the
// root signed), of a member, a member being admitted, or a former one.
func (c *TLSConfig) node(chain []*x509.Certificate, usage x509.ExtKeyUsage) (string, error) {
	if len(chain) == 0 {
		return "", ErrNoCertificate
	}
	leaf := chain[0]
	var orgs []*x509.Certificate // the organization CAs the leaf verifies under
	if c.sm() {
		org, err := c.checkSM(chain, usage)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrNotMember, err)
		}
		orgs = append(orgs, org)
	} else {
		roots := x509.NewCertPool()
		roots.AddCert(c.Root)
		inter := x509.NewCertPool()
		for _, ca := range chain[1:] {
			inter.AddCert(ca)
		}
		chains, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: c.Now(), KeyUsages: []x509.ExtKeyUsage{usage}})
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrNotMember, err)
		}
		for _, ch := range chains {
			if len(ch) > 2 {
				orgs = append(orgs, ch[1])
			}
		}
	}
	if c.Retired != nil && len(orgs) > 0 && !slices.ContainsFunc(orgs, func(org *x509.Certificate) bool { return !c.Retired(org) }) {
		return "", fmt.Errorf("%w: its organization CA %q was retired", ErrNotMember, leaf.Issuer)
	}
	if _, ok := leaf.PublicKey.(ed25519.PublicKey); !ok {
		return "", fmt.Errorf("%w: not an Ed25519 key", ErrNotMember)
	}
	return anchor.MemberID(leaf), nil
}

// checkSM is node's chain check in the sm suite, where crypto/x509 knows
// neither the SM2 keys of the root and organization CAs nor their
// SM2-with-SM3 signatures: the leaf's issuer is looked up among the CAs
// the other side sent (none, from a Custos node), this node's own and
// CAs(), and the chain is checked with certs.CheckNodeChain. It returns
// the leaf's organization CA.
func (c *TLSConfig) checkSM(chain []*x509.Certificate, usage x509.ExtKeyUsage) (*x509.Certificate, error) {
	leaf, err := certs.ParseCertificate(chain[0].Raw) // with its SM2-with-SM3 algorithm
	if err != nil {
		return nil, err
	}
	cas := append(append([]*x509.Certificate(nil), chain[1:]...), c.Chain...)
	if c.CAs != nil {
		cas = append(cas, c.CAs()...)
	}
	return certs.CheckNodeChain(leaf, cas, c.Root, c.Now(), usage)
}

// Server is the TLS configuration of a node's peer listener: TLS 1.3, the
// node certificate, and a client certificate required and checked
// against the consortium root (the caller's member is then
// MemberOf(conn state)). The handshake admits any node certificate under
// the root; Node.Handler answers members only, but for DirectoryPath.
func (c *TLSConfig) Server() (*tls.Config, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{c.certificate()},
		ClientAuth:   tls.RequireAnyClientCert, // verified below, against the root
		VerifyConnection: func(cs tls.ConnectionState) error {
			_, err := c.node(cs.PeerCertificates, x509.ExtKeyUsageClientAuth)
			return err
		},
	}, nil
}

// Client is the TLS configuration to reach member's peer listener: TLS
// 1.3, the node certificate as client certificate, and the server's chain
// checked against the consortium root and required to be member's.
func (c *TLSConfig) Client(member string) (*tls.Config, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	cert := c.certificate()
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		// Node certificates carry no host names: the chain is verified
		// against the root and the member in VerifyConnection instead.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			id, err := c.Member(cs.PeerCertificates, x509.ExtKeyUsageServerAuth)
			if err != nil {
				return err
			}
			if id != member {
				return fmt.Errorf("%w: want %s, got %s", ErrWrongMember, member, id)
			}
			return nil
		},
	}, nil
}

// MemberOf is the member ID of the node at the other end of a verified
// peer connection, "" if cs carries no certificate.
func MemberOf(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return ""
	}
	return anchor.MemberID(cs.PeerCertificates[0])
}
