package certs

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Dev is the embedded default's development PKI: root → one organization CA
// → TSA certificate.
type Dev struct {
	Root *Authority
	Org  *Authority
	TSA  *Leaf
}

// The files of a development PKI, in the order they are written.
var devFiles = []string{"root.pem", "root.key", "org-ca.pem", "org-ca.key", "tsa.pem", "tsa.key"}

const (
	// stagingDir holds a creation in progress. If it survives a crash it is
	// incomplete, and it is deleted on the next start.
	stagingDir = ".staging"
	// readyDir is stagingDir once every file in it is written and synced.
	// It is renamed into place atomically, so its presence means the new PKI
	// is complete: the next start finishes moving its files into dir.
	readyDir = ".ready"
)

// LoadOrCreateDev loads dir/{root,org-ca,tsa}.{pem,key} or creates them:
// directory mode 0700, keys 0600 as PKCS#8 PEM, certificates 0644 as PEM.
// orgName names the organization only on creation; the organization CA is of
// kind KindNotary, since the development organization runs the TSA.
//
// Creation is crash-safe. The files are written and fsynced in dir/.staging,
// which is then renamed to dir/.ready in one atomic step, and its files are
// moved into dir. A crash before that rename leaves only .staging, which the
// next call deletes; a crash after it leaves .ready, whose files the next
// call finishes moving. A half-created PKI is therefore never loaded. A
// directory holding only some of the six files, with no .ready to complete
// them, is reported as ErrIncomplete and left untouched.
func LoadOrCreateDev(dir, orgName string, now time.Time) (*Dev, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	if err := recoverDev(dir); err != nil {
		return nil, err
	}
	present := 0
	for _, name := range devFiles {
		switch _, err := os.Stat(filepath.Join(dir, name)); {
		case err == nil:
			present++
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("certs: %w", err)
		}
	}
	switch present {
	case len(devFiles):
		return loadDev(dir)
	case 0:
		if err := createDev(dir, orgName, now); err != nil {
			return nil, err
		}
		return loadDev(dir)
	default:
		return nil, fmt.Errorf("%w: %s holds %d of the files %v", ErrIncomplete, dir, present, devFiles)
	}
}

// recoverDev finishes or discards a creation interrupted by a crash.
func recoverDev(dir string) error {
	if err := os.RemoveAll(filepath.Join(dir, stagingDir)); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	switch _, err := os.Stat(filepath.Join(dir, readyDir)); {
	case err == nil:
		return moveReady(dir)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	default:
		return fmt.Errorf("certs: %w", err)
	}
}

// moveReady moves the files of dir/.ready into dir, then removes .ready.
// It may run again after a crash: files already moved are skipped.
func moveReady(dir string) error {
	ready := filepath.Join(dir, readyDir)
	for _, name := range devFiles {
		err := os.Rename(filepath.Join(ready, name), filepath.Join(dir, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("certs: %w", err)
		}
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	if err := os.RemoveAll(ready); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	return syncDir(dir)
}

func createDev(dir, orgName string, now time.Time) error {
	dev, err := newDev(orgName, now)
	if err != nil {
		return err
	}
	contents, err := dev.encode()
	if err != nil {
		return err
	}
	staging := filepath.Join(dir, stagingDir)
	if err := os.Mkdir(staging, 0o700); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	for i, name := range devFiles {
		mode := os.FileMode(0o644)
		if filepath.Ext(name) == ".key" {
			mode = 0o600
		}
		if err := writeSynced(filepath.Join(staging, name), contents[i], mode); err != nil {
			return err
		}
	}
	if err := syncDir(staging); err != nil {
		return err
	}
	if err := os.Rename(staging, filepath.Join(dir, readyDir)); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return moveReady(dir)
}

func newDev(orgName string, now time.Time) (*Dev, error) {
	if orgName == "" {
		return nil, fmt.Errorf("certs: dev PKI: empty organization name")
	}
	root, err := NewRoot("Custos Development Root CA", now)
	if err != nil {
		return nil, err
	}
	org, err := root.NewOrgCA(KindNotary, orgName, now)
	if err != nil {
		return nil, err
	}
	tsa, err := org.IssueTSA(orgName+" TSA", now)
	if err != nil {
		return nil, err
	}
	return &Dev{Root: root, Org: org, TSA: tsa}, nil
}

// encode returns the file contents in devFiles order.
func (d *Dev) encode() ([][]byte, error) {
	var out [][]byte
	pairs := []struct {
		cert *x509.Certificate
		key  crypto.Signer
	}{{d.Root.Cert, d.Root.Signer}, {d.Org.Cert, d.Org.Signer}, {d.TSA.Cert, d.TSA.Signer}}
	for _, p := range pairs {
		key, err := EncodeKeyPEM(p.key)
		if err != nil {
			return nil, err
		}
		out = append(out, EncodePEM(p.cert), key)
	}
	return out, nil
}

func loadDev(dir string) (*Dev, error) {
	var certs [3]*x509.Certificate
	var keys [3]crypto.Signer
	for i := range certs {
		var err error
		certs[i], keys[i], err = loadPair(filepath.Join(dir, devFiles[2*i]), filepath.Join(dir, devFiles[2*i+1]))
		if err != nil {
			return nil, err
		}
	}
	root, org, tsa := certs[0], certs[1], certs[2]
	for _, link := range []struct{ child, parent *x509.Certificate }{{root, root}, {org, root}, {tsa, org}} {
		if err := CheckSignatureFrom(link.child, link.parent); err != nil {
			return nil, fmt.Errorf("%w: %q not signed by %q: %w", ErrChain, link.child.Subject, link.parent.Subject, err)
		}
	}
	if err := CheckTSA(tsa); err != nil {
		return nil, err
	}
	return &Dev{
		Root: &Authority{Cert: root, Signer: keys[0]},
		Org:  &Authority{Cert: org, Signer: keys[1], Chain: []*x509.Certificate{root}},
		TSA:  &Leaf{Cert: tsa, Signer: keys[2], Chain: []*x509.Certificate{org, root}},
	}, nil
}

// loadPair reads one certificate and its matching key.
func loadPair(certPath, keyPath string) (*x509.Certificate, crypto.Signer, error) {
	b, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: %w", err)
	}
	certs, err := ParsePEM(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", certPath, err)
	}
	if len(certs) != 1 {
		return nil, nil, fmt.Errorf("%w: %s holds %d certificates, want 1", ErrPEM, certPath, len(certs))
	}
	b, err = os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: %w", err)
	}
	key, err := ParseKeyPEM(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	if !SameKey(certs[0], key) {
		return nil, nil, fmt.Errorf("%w: %s does not match %s", ErrKey, keyPath, certPath)
	}
	return certs[0], key, nil
}

// writeSynced creates path (which must not exist), writes b and fsyncs it.
func writeSynced(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("certs: write %s: %w", path, err)
	}
	return nil
}

// syncDir fsyncs a directory, making the renames and creations in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("certs: sync %s: %w", dir, err)
	}
	return nil
}
