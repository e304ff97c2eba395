package main

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/atomicfile"
)

func (c Config) pkiDir() string {
	if c.PKI != "" {
		return c.PKI
	}
	return filepath.Join(c.Data, "pki")
}

// loadPKI loads the node's certificates and keys. A development node (no
// trust bundle configured) creates its own PKI on first start; a consortium
// member's comes from `custos consortium init` and holds no root key. On
// either, a TSA or notary certificate installed from an outside CA
// (`custos pki install`) takes the place of the one under the consortium
// root, with its key in a file or a PKCS#11 token.
func loadPKI(cfg Config) (*nodePKI, error) {
	dir := cfg.pkiDir()
	if cfg.Chain.Trust == "" {
		dev, err := certs.LoadOrCreateDev(dir, cfg.Org, time.Now())
		if err != nil {
			return nil, fmt.Errorf("development PKI: %w", err)
		}
		notaryLeaf, err := devNotary(dir, dev.Org, cfg.notaryName())
		if err != nil {
			return nil, fmt.Errorf("development PKI: %w", err)
		}
		p := &nodePKI{Root: dev.Root.Cert, Org: dev.Org, TSA: dev.TSA, Notary: notaryLeaf, dir: dir}
		return p, p.useIssued(cfg)
	}
	// A reissue (consortium reissue) interrupted after its files were
	// staged: finish moving them.
	if err := applyReissue(dir); err != nil {
		return nil, fmt.Errorf("PKI: %w", err)
	}
	root, err := readCert(filepath.Join(dir, "root.pem"))
	if err != nil {
		return nil, err
	}
	orgCert, err := readCert(filepath.Join(dir, "org-ca.pem")) // its key stays offline
	if err != nil {
		return nil, err
	}
	tsaCert, tsaKey, err := readPair(dir, "tsa")
	if err != nil {
		return nil, err
	}
	node, err := readCert(filepath.Join(dir, "node.pem"))
	if err != nil {
		return nil, err
	}
	for name, c := range map[string]*x509.Certificate{"node.pem": node, "tsa.pem": tsaCert} {
		if err := issuedBy(dir, orgCert, name, c); err != nil {
			return nil, err
		}
	}
	org := &certs.Authority{Cert: orgCert, Chain: []*x509.Certificate{root}}
	p := &nodePKI{
		Root: root, Org: org, Node: node, dir: dir,
		TSA: &certs.Leaf{Cert: tsaCert, Signer: tsaKey, Chain: []*x509.Certificate{orgCert, root}},
	}
	// Only a notary member holds a document-signing certificate.
	switch _, err := os.Stat(filepath.Join(dir, "notary.pem")); {
	case err == nil:
		cert, key, err := readPair(dir, "notary")
		if err != nil {
			return nil, err
		}
		if err := issuedBy(dir, orgCert, "notary.pem", cert); err != nil {
			return nil, err
		}
		p.Notary = &certs.Leaf{Cert: cert, Signer: key, Chain: []*x509.Certificate{orgCert, root}}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("PKI: %w", err)
	}
	return p, p.useIssued(cfg)
}

// issuedBy checks that the certificate c, DIR/NAME, is signed by the
// organization CA org: a PKI folder mixing one organization CA's
// certificates with another's (a reissue's files put back in part) would
// sign tokens whose chain does not verify.
func issuedBy(dir string, org *x509.Certificate, name string, c *x509.Certificate) error {
	if err := certs.CheckSignatureFrom(c, org); err != nil {
		return fmt.Errorf("PKI: %s is not issued by the organization CA %s (%q): %w", filepath.Join(dir, name), filepath.Join(dir, "org-ca.pem"), org.Subject, err)
	}
	return nil
}

// devNotary loads DIR/notary.{pem,key}, the development notary's
// document-signing certificate, issuing it from the development
// organization CA when it is missing (a PKI made before notary
// certificates existed gets one on its next start).
//
// Each file is written whole and renamed into place, the key first, so the
// certificate's presence means both are complete; a key left alone by a
// crash is replaced.
func devNotary(dir string, org *certs.Authority, name string) (*certs.Leaf, error) {
	switch _, err := os.Stat(filepath.Join(dir, "notary.pem")); {
	case err == nil:
		cert, key, err := readPair(dir, "notary")
		if err != nil {
			return nil, err
		}
		return &certs.Leaf{Cert: cert, Signer: key, Chain: append([]*x509.Certificate{org.Cert}, org.Chain...)}, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	leaf, err := org.IssueNotary(name, time.Now())
	if err != nil {
		return nil, err
	}
	key, err := certs.EncodeKeyPEM(leaf.Signer)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "notary.key"), key, 0o600); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "notary.pem"), certs.EncodePEM(leaf.Cert), 0o644); err != nil {
		return nil, err
	}
	return leaf, nil
}

func readCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("PKI: %w", err)
	}
	cs, err := certs.ParsePEM(b)
	if err != nil || len(cs) != 1 {
		return nil, fmt.Errorf("PKI: %s must hold exactly one certificate (%v)", path, err)
	}
	return cs[0], nil
}

// pkiSuite is the signature suite of the node's PKI: that of the root in
// PKI/root.pem (a consortium member's, or a development node's), or
// certs.SuiteECDSA when there is none yet.
func pkiSuite(cfg Config) (certs.Suite, error) {
	path := filepath.Join(cfg.pkiDir(), "root.pem")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return certs.SuiteECDSA, nil
	}
	root, err := readCert(path)
	if err != nil {
		return "", err
	}
	return certs.KeySuite(root.PublicKey), nil
}

// readPair reads DIR/NAME.pem and DIR/NAME.key and checks they match.
func readPair(dir, name string) (*x509.Certificate, crypto.Signer, error) {
	cert, err := readCert(filepath.Join(dir, name+".pem"))
	if err != nil {
		return nil, nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, name+".key"))
	if err != nil {
		return nil, nil, fmt.Errorf("PKI: %w", err)
	}
	key, err := certs.ParseKeyPEM(b)
	if err != nil {
		return nil, nil, fmt.Errorf("PKI: %s.key: %w", name, err)
	}
	if !certs.SameKey(cert, key) {
		return nil, nil, fmt.Errorf("PKI: %s.key is not the key of %s.pem", name, name)
	}
	return cert, key, nil
}
