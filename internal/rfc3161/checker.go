package rfc3161

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/digitorus/timestamp"
)

// maxCachedChains bounds a Checker's cache of verified chains. A consortium
// has a handful of TSAs, each with a certificate or two over its life.
const maxCachedChains = 1024

// Checker is Check with a cache of the certificate chains it has verified,
// for a verifier that checks many tokens against the same roots. Checking
// a chain costs two signature verifications (TSA certificate by its
// organization CA, organization CA by the root); a token whose signer chain
// was already verified costs only its own CMS signature.
//
// A Checker makes exactly the checks Check makes, with the same errors: a
// cached chain is used only for the same signer certificate, when every
// certificate between it and the root is again among the token's
// certificates or intermediates, and when the token's genTime is within
// the validity of every certificate of the chain. Otherwise the chain is
// verified as Check does, and remembered if it verifies. Failures are never
// cached. A Checker is safe for concurrent use.
type Checker struct {
	roots *x509.CertPool
	// rootCerts are the roots as certificates, when the Checker was made
	// from them (NewCheckerForRoots): the sm suite's chain check needs the
	// root itself, which a CertPool does not give back.
	rootCerts []*x509.Certificate

	mu     sync.RWMutex
	chains map[certHash][]*verifiedChain // by the signer certificate
	n      int                           // chains held

	certs certCache // the certificates tokens embed, parsed
}

// maxCachedCertSets bounds a certCache: a TSA embeds the same certificates
// in every token, and a consortium has a handful of TSAs.
const maxCachedCertSets = 64

// certCache holds the certificates that tokens embed, parsed, keyed by
// their exact DER (the contents of the SignedData certificates field).
// x509.ParseCertificates of the same bytes gives the same certificates, so
// only the parsing is saved. Failures are not cached. The zero value is
// ready; a nil *certCache parses every time.
type certCache struct {
	mu   sync.RWMutex
	sets map[string][]*x509.Certificate
	sums map[*x509.Certificate]certHash // SHA-256 of Raw, by certificate
}

// maxCachedSums bounds the certificate hashes a certCache remembers: the
// certificates of its sets and a verifier's intermediates.
const maxCachedSums = 256

// sum256 is sha256.Sum256(cert.Raw), remembered per certificate: the
// certificates a Checker sees are the ones it parsed and the caller's
// intermediates, which neither changes. A nil *certCache hashes every
// time.
func (c *certCache) sum256(cert *x509.Certificate) certHash {
	if c == nil {
		return sha256.Sum256(cert.Raw)
	}
	c.mu.RLock()
	h, ok := c.sums[cert]
	c.mu.RUnlock()
	if ok {
		return h
	}
	h = sha256.Sum256(cert.Raw)
	c.mu.Lock()
	if c.sums == nil || len(c.sums) >= maxCachedSums {
		c.sums = make(map[*x509.Certificate]certHash)
	}
	c.sums[cert] = h
	c.mu.Unlock()
	return h
}

// parse is x509.ParseCertificates(der), from the cache when it can. The
// slice returned is the caller's; the certificates are shared and must
// not be modified (x509 never does).
func (c *certCache) parse(der []byte) ([]*x509.Certificate, error) {
	if c == nil {
		return parseCertificates(der)
	}
	c.mu.RLock()
	certs, ok := c.sets[string(der)]
	c.mu.RUnlock()
	if ok {
		return slices.Clone(certs), nil
	}
	certs, err := parseCertificates(der)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.sets == nil || len(c.sets) >= maxCachedCertSets {
		c.sets = make(map[string][]*x509.Certificate)
	}
	c.sets[string(der)] = slices.Clone(certs)
	c.mu.Unlock()
	return certs, nil
}

// certHash is the SHA-256 of a certificate's DER encoding.
type certHash [sha256.Size]byte

// verifiedChain is a chain from a signer to a root that x509 verified for
// timeStamping, with the validity window common to all its certificates.
type verifiedChain struct {
	above     []certHash // the certificates after the signer, up to (not including) the root
	notBefore time.Time  // the latest NotBefore of the chain
	notAfter  time.Time  // the earliest NotAfter of the chain
}

// NewChecker returns a Checker that trusts roots. roots must not lose
// certificates afterwards (a CertPool cannot; adding is harmless).
func NewChecker(roots *x509.CertPool) *Checker {
	return &Checker{roots: roots, chains: make(map[certHash][]*verifiedChain)}
}

// NewCheckerForRoots is NewChecker for a pool of roots, which it also keeps
// as certificates: a token of the sm suite then verifies without its root
// among the token's certificates or the intermediates (checkChainSM).
func NewCheckerForRoots(roots []*x509.Certificate) *Checker {
	pool := x509.NewCertPool()
	for _, r := range roots {
		pool.AddCert(r)
	}
	c := NewChecker(pool)
	c.rootCerts = slices.Clone(roots)
	return c
}

// Check is notary.Check(reply, h, digest, roots, intermediates), with the
// signer's chain verified once: see Checker.
func (c *Checker) Check(reply []byte, h crypto.Hash, digest []byte, intermediates []*x509.Certificate) (*timestamp.Timestamp, error) {
	return checkSteps(reply, h, digest, intermediates, &c.certs, func(signer *x509.Certificate, ts *timestamp.Timestamp) error {
		return c.checkChain(signer, ts, intermediates)
	})
}

// CheckChain is checkChain of check.go, served from the cache when it can.
func (c *Checker) checkChain(signer *x509.Certificate, ts *timestamp.Timestamp, intermediates []*x509.Certificate) error {
	if err := CheckTSACert(signer); err != nil {
		return err
	}
	if c.roots == nil {
		return fmt.Errorf("%w: no trusted roots given", ErrUntrusted)
	}
	// x509 checks validity at CurrentTime, or now when it is zero.
	at := ts.Time
	if at.IsZero() {
		at = time.Now()
	}
	key := c.certs.sum256(signer)
	if c.cached(key, at, ts.Certificates, intermediates) {
		return nil
	}
	if smChain(signer) {
		candidates := slices.Concat(ts.Certificates, intermediates, c.rootCerts)
		chain, err := checkChainSM(signer, at, c.roots, candidates)
		if err != nil {
			return fmt.Errorf("%w: at %v: %w", ErrUntrusted, ts.Time.UTC(), err)
		}
		c.remember(key, [][]*x509.Certificate{chain})
		return nil
	}
	pool := x509.NewCertPool()
	for _, cert := range ts.Certificates {
		pool.AddCert(cert)
	}
	for _, cert := range intermediates {
		pool.AddCert(cert)
	}
	chains, err := signer.Verify(x509.VerifyOptions{
		Roots:         c.roots,
		Intermediates: pool,
		CurrentTime:   ts.Time,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	})
	if err != nil {
		return fmt.Errorf("%w: at %v: %w", ErrUntrusted, ts.Time.UTC(), err)
	}
	c.remember(key, chains)
	return nil
}

// cached reports whether a chain verified earlier for the signer whose
// certificate hashes to key holds at time at, with its certificates all
// among the ones this check may use.
func (c *Checker) cached(key certHash, at time.Time, embedded, intermediates []*x509.Certificate) bool {
	c.mu.RLock()
	chains := c.chains[key]
	c.mu.RUnlock()
	if len(chains) == 0 {
		return false
	}
	var have []certHash // hashed only when a chain is in the window
	for _, vc := range chains {
		if at.Before(vc.notBefore) || at.After(vc.notAfter) {
			continue
		}
		if have == nil {
			have = make([]certHash, 0, len(embedded)+len(intermediates))
			for _, list := range [][]*x509.Certificate{embedded, intermediates} {
				for _, cert := range list {
					have = append(have, c.certs.sum256(cert))
				}
			}
		}
		if containsAll(have, vc.above) {
			return true
		}
	}
	return false
}

func containsAll(have, want []certHash) bool {
outer:
	for _, w := range want {
		for _, h := range have {
			if h == w {
				continue outer
			}
		}
		return false
	}
	return true
}

// remember caches the chains x509 verified, each starting at the signer
// whose certificate hashes to key and ending at a root.
func (c *Checker) remember(key certHash, chains [][]*x509.Certificate) {
	var add []*verifiedChain
	for _, chain := range chains {
		if len(chain) < 2 { // the signer itself a root: not a TSA chain, and no saving
			continue
		}
		vc := &verifiedChain{notBefore: chain[0].NotBefore, notAfter: chain[0].NotAfter}
		for _, cert := range chain[1:] {
			if cert.NotBefore.After(vc.notBefore) {
				vc.notBefore = cert.NotBefore
			}
			if cert.NotAfter.Before(vc.notAfter) {
				vc.notAfter = cert.NotAfter
			}
		}
		for _, cert := range chain[1 : len(chain)-1] {
			vc.above = append(vc.above, sha256.Sum256(cert.Raw))
		}
		add = append(add, vc)
	}
	if len(add) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n+len(add) > maxCachedChains { // simple and bounded; a miss costs one verification
		c.chains, c.n = make(map[certHash][]*verifiedChain), 0
	}
	for _, vc := range add {
		if !hasChain(c.chains[key], vc) {
			c.chains[key] = append(c.chains[key], vc)
			c.n++
		}
	}
}

func hasChain(list []*verifiedChain, vc *verifiedChain) bool {
	for _, o := range list {
		if o.notBefore.Equal(vc.notBefore) && o.notAfter.Equal(vc.notAfter) && len(o.above) == len(vc.above) && containsAll(o.above, vc.above) {
			return true
		}
	}
	return false
}
