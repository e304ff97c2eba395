package main

import (
	"crypto/x509"
	"errors"
	"io"
	"os"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/verifycli"
	"github.com/custos-project/custos/receipt"
)

// verifyPDF checks the flags of `custos verify --pdf`: a trust bundle or
// roots (or both), and neither --receipt nor --file (others, non-empty when
// either is given).
func verifyPDF(out io.Writer, pdfPath, others, trustPath, rootsPath string, asJSON bool) error {
	switch {
	case others != "":
		return usageError("usage.verify-pdf-alone")
	case trustPath == "" && rootsPath == "":
		return usageError("usage.verify-pdf-roots")
	}
	roots, err := pdfRoots(trustPath, rootsPath)
	if err != nil {
		return err
	}
	var trust *receipt.Trust
	if trustPath != "" {
		if trust, err = readTrust(trustPath); err != nil {
			return err
		}
	}
	return runVerifyPDF(out, pdfPath, roots, trust, asJSON)
}

// pdfRoots is the pool a certificate PDF's signer and its time-stamp must
// chain to: the trust bundle's consortium root (when trustPath is set) and
// every certificate of the PEM file rootsPath (when set), such as the
// outside CA that issued a notary office's certificates (`custos pki
// install`).
func pdfRoots(trustPath, rootsPath string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if trustPath != "" {
		root, err := trustRoot(trustPath)
		if err != nil {
			return nil, err
		}
		pool.AddCert(root)
	}
	if rootsPath != "" {
		b, err := os.ReadFile(rootsPath)
		if err != nil {
			return nil, usageError("usage.file-unread", "path", rootsPath, "err", fileWhy(err))
		}
		roots, err := certs.ParsePEM(b)
		if err != nil || len(roots) == 0 {
			return nil, usageError("usage.roots-pem", "path", rootsPath, "err", err)
		}
		for _, c := range roots {
			if !c.IsCA {
				return nil, usageError("usage.roots-not-ca", "path", rootsPath, "subject", c.Subject)
			}
			pool.AddCert(c)
		}
	}
	return pool, nil
}

// runVerifyPDF is `custos verify --pdf FILE --trust BUNDLE [--roots PEM]`:
// an offline check of a certificate PDF that Custos issued (a notarial
// certificate or a copyright registration certificate): its PAdES
// signature over the whole file, the signature's RFC 3161 time-stamp, and
// the signer's chain to roots (pdfRoots) at the time-stamp's time. Exit
// status as for receipts: 0 valid, 1 not valid (the failing step is
// named), 2 usage error. With trust, the receipts the PDF embeds are
// checked too, and each must be valid: verifycli.CheckPDF, which prints
// the report.
func runVerifyPDF(out io.Writer, pdfPath string, roots *x509.CertPool, trust *receipt.Trust, asJSON bool) error {
	b, err := readPDF(pdfPath)
	if err != nil {
		return err
	}
	err = verifycli.CheckPDF(out, pdfPath, b, roots, trust, asJSON)
	var ee verifycli.ExitError
	switch {
	case errors.As(err, &ee) && ee.Step != "":
		return failure(ee.Code, "fail.pdf-invalid", "step", ee.Step)
	case errors.As(err, &ee):
		return exitError{code: ee.Code}
	}
	return err
}

// trustRoot reads the trust bundle and returns its consortium root, to
// which both the certificate's signer and the built-in TSA that stamps the
// signature chain.
func trustRoot(trustPath string) (*x509.Certificate, error) {
	trust, err := readTrust(trustPath)
	if err != nil {
		return nil, err
	}
	root, err := certs.ParsePEM([]byte(trust.RootPEM))
	if err != nil || len(root) != 1 {
		return nil, usageError("usage.root-pem", "path", trustPath, "err", err)
	}
	return root[0], nil
}

// readTrust reads and parses the trust bundle at trustPath.
func readTrust(trustPath string) (*receipt.Trust, error) {
	tb, err := os.ReadFile(trustPath)
	if err != nil {
		return nil, usageError("usage.file-unread", "path", trustPath, "err", fileWhy(err))
	}
	trust, err := receipt.ParseTrust(tb)
	if err != nil {
		return nil, usageError("usage.file-err", "path", trustPath, "err", err)
	}
	return trust, nil
}

func readPDF(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError("usage.file-unread", "path", path, "err", fileWhy(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, verifycli.MaxPDFSize+1))
	if err != nil {
		return nil, usageErrorOf(err)
	}
	if len(b) > verifycli.MaxPDFSize {
		return nil, usageError("usage.pdf-too-large", "path", path, "mib", verifycli.MaxPDFSize>>20)
	}
	return b, nil
}
