package peer

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
)

// smConsortium is newConsortium under an SM2 root (organization CAs SM2,
// node certificates Ed25519 signed SM2-with-SM3), each member knowing the
// others' organization CAs through CAs, as a node knows them from its
// chain and trust bundle.
func smConsortium(t *testing.T, names ...string) (*certs.Authority, []*testMember) {
	t.Helper()
	root, err := certs.NewSuiteRoot(certs.SuiteSM, "Test SM Consortium Root CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ms := newConsortium(t, root, names...)
	var cas []*x509.Certificate
	for _, m := range ms {
		cas = append(cas, m.tls.Chain...)
	}
	for _, m := range ms {
		m.tls.CAs = func() []*x509.Certificate { return cas }
	}
	return root, ms
}

// TestPeerTLSSM: members of a consortium of the sm suite reach each other
// over mutual TLS with their node certificates, though crypto/tls cannot
// parse their SM2 organization CAs: each sends its node certificate
// alone, and the other side checks it against the organization CAs it
// knows and the SM2 root. An unknown organization CA, and another SM2
// root, are refused.
func TestPeerTLSSM(t *testing.T) {
	root, ms := smConsortium(t, "A", "C")
	a, c := ms[0], ms[1]
	if certs.KeySuite(a.tls.Chain[0].PublicKey) != certs.SuiteSM {
		t.Fatal("the organization CA is not SM2")
	}
	_, cURL := serveNode(t, c, nil, nil, nil, whoami())
	an, aURL := serveNode(t, a, map[string]string{c.id: cURL}, nil, nil, whoami())

	t.Run("members identify each other", func(t *testing.T) {
		code, body, err := get(t, an, c.id, "/peer/v1/x")
		if err != nil || code != 200 || body != a.id {
			t.Errorf("A → C = %d %q %v, want 200 naming A (%s)", code, body, err, a.id)
		}
	})

	t.Run("the directory, read by a member", func(t *testing.T) {
		d, err := FetchDirectory(context.Background(), a.tls, cURL)
		if err != nil || d.Member != c.id {
			t.Fatalf("FetchDirectory(A → C) = %+v, %v; want C's directory", d, err)
		}
	})

	t.Run("an organization CA the other side does not know is refused", func(t *testing.T) {
		// J's organization CA is under the root, but neither A nor C
		// knows it (not admitted, not proposed).
		j := newConsortium(t, root, "J")[0]
		j.tls.Members = map[string]bool{c.id: true, j.id: true}
		j.tls.CAs = c.tls.CAs
		jn, _ := serveNode(t, j, map[string]string{c.id: cURL}, nil, nil, whoami())
		if code, body, err := get(t, jn, c.id, "/peer/v1/x"); err == nil {
			t.Errorf("J (unknown organization CA) → C = %d %q, want the handshake refused", code, body)
		}
		// A listener presenting J's certificate at C's address.
		_, jURL := serveNode(t, j, nil, nil, nil, whoami())
		an2, _ := serveNode(t, a, map[string]string{c.id: jURL}, nil, nil, whoami())
		if _, _, err := get(t, an2, c.id, "/peer/v1/x"); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "not a known organization CA") {
			t.Errorf("A → J posing as C: err = %v, want J's unknown organization CA refused", err)
		}
	})

	t.Run("a member being admitted reads the directory", func(t *testing.T) {
		// J's organization CA is in the proposal to admit it, which C
		// knows; J knows A's and C's from the trust bundle.
		j := newConsortium(t, root, "J")[0]
		j.tls.CAs = c.tls.CAs
		c2 := *c
		c2.tls.CAs = func() []*x509.Certificate { return append(c.tls.CAs(), j.tls.Chain...) }
		_, c2URL := serveNode(t, &c2, nil, nil, nil, whoami())
		if d, err := FetchDirectory(context.Background(), j.tls, c2URL); err != nil || d.Member != c.id {
			t.Errorf("FetchDirectory(J being admitted → C) = %+v, %v; want C's directory", d, err)
		}
		if _, err := FetchDirectory(context.Background(), j.tls, cURL); !errors.Is(err, ErrUnreachable) {
			t.Errorf("FetchDirectory(J unknown to C → C) = %v, want the handshake refused", err)
		}
	})

	t.Run("a node under another SM2 root is refused both ways", func(t *testing.T) {
		_, xs := smConsortium(t, "X")
		x := xs[0]
		x.tls.Members = map[string]bool{a.id: true, x.id: true}
		xn, _ := serveNode(t, x, map[string]string{a.id: aURL}, nil, nil, whoami())
		if code, body, err := get(t, xn, a.id, "/peer/v1/x"); err == nil {
			t.Errorf("X (another root) → A = %d %q, want the handshake refused", code, body)
		}
		// Even when A is told of X's organization CA: not under A's root.
		a2 := *a
		a2.tls.CAs = func() []*x509.Certificate { return append(c.tls.CAs(), x.tls.Chain...) }
		_, xURL := serveNode(t, x, nil, nil, nil, whoami())
		an2, _ := serveNode(t, &a2, map[string]string{c.id: xURL}, nil, nil, whoami())
		if _, _, err := get(t, an2, c.id, "/peer/v1/x"); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "is not signed by") {
			t.Errorf("A → X posing as C: err = %v, want X's chain refused for its root", err)
		}
	})
}
