package verifycli

import (
	"crypto/x509"
	"io"
	"os"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/receipt"
)

// MaxPDFSize bounds the certificate PDF a verifier reads into memory; the
// certificates Custos issues are well under a megabyte.
const MaxPDFSize = 256 << 20

// PDFOptions name the files of a certificate PDF's check: the PDF, and
// the trust bundle, the PEM file of further roots, or both.
type PDFOptions struct {
	PDF string
	// Trust is the trust bundle: its consortium root is trusted, and the
	// receipts the PDF embeds are checked under it. Optional with Roots.
	Trust string
	// Roots is a PEM file of further trusted roots (CA certificates), such
	// as an outside CA's that issued the notary's certificates (custos pki
	// install). Optional with Trust.
	Roots string
	JSON  bool
}

// CheckPDFFiles reads the files o names and checks the PDF with CheckPDF
// under the trust bundle's root and the roots of the PEM file: what
// `custos verify --pdf` does, for custos-verify. A file that cannot be
// read or used is a usage error (ExitError with Code 2).
func CheckPDFFiles(out io.Writer, o PDFOptions) error {
	pool := x509.NewCertPool()
	var trust *receipt.Trust
	if o.Trust != "" {
		tb, err := os.ReadFile(o.Trust)
		if err != nil {
			return fileError(err)
		}
		var root *x509.Certificate
		if trust, root, err = trustRoot(tb, o.Trust); err != nil {
			return err
		}
		pool.AddCert(root)
	}
	if o.Roots != "" {
		b, err := os.ReadFile(o.Roots)
		if err != nil {
			return fileError(err)
		}
		roots, err := certs.ParsePEM(b)
		if err != nil || len(roots) == 0 {
			return badPDFInput("bad-roots", o.Roots, err)
		}
		for _, c := range roots {
			if !c.IsCA {
				return badPDFInput("roots-not-ca", o.Roots, c.Subject)
			}
			pool.AddCert(c)
		}
	}
	b, err := readPDF(o.PDF)
	if err != nil {
		return err
	}
	return CheckPDF(out, o.PDF, b, pool, trust, o.JSON)
}

// CheckPDFTrust checks the certificate PDF b, named name, under the trust
// bundle tb (its bytes): what CheckPDFFiles does with Trust and no Roots,
// for a caller that holds the files' bytes rather than their paths, the
// browser's certificate verifier (web/wasmpdf). trustName names the bundle
// in a usage error. A PDF over MaxPDFSize and a bundle that cannot be used
// are usage errors (ExitError with Code 2), as they are for CheckPDFFiles.
func CheckPDFTrust(out io.Writer, name string, b []byte, trustName string, tb []byte, asJSON bool) error {
	if len(b) > MaxPDFSize {
		return badPDFInput("pdf-too-large", name, MaxPDFSize>>20)
	}
	trust, root, err := trustRoot(tb, trustName)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AddCert(root)
	return CheckPDF(out, name, b, pool, trust, asJSON)
}

// trustRoot parses the trust bundle tb, read from path, and returns it
// with its consortium root, to which a certificate PDF's signer and the
// built-in TSA that stamps its signature chain.
func trustRoot(tb []byte, path string) (*receipt.Trust, *x509.Certificate, error) {
	trust, err := receipt.ParseTrust(tb)
	if err != nil {
		return nil, nil, badFileError("bad-trust", path, err)
	}
	root, err := certs.ParsePEM([]byte(trust.RootPEM))
	if err != nil || len(root) != 1 {
		return nil, nil, badPDFInput("bad-root-pem", path, err)
	}
	return trust, root[0], nil
}

// readPDF reads the PDF at path, at most MaxPDFSize bytes of it.
func readPDF(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxPDFSize+1))
	if err != nil {
		return nil, fileError(err)
	}
	if len(b) > MaxPDFSize {
		return nil, badPDFInput("pdf-too-large", path, MaxPDFSize>>20)
	}
	return b, nil
}

// badPDFInput is the usage error of a file of a PDF's check that was read
// but cannot be used: the words id with the path and arg, in English and
// in Chinese.
func badPDFInput(id, path string, arg any) error {
	en, zh := printer{}, printer{chinese: true}
	return ExitError{Code: 2, Msg: en.say(id, path, arg), MsgZH: zh.say(id, path, arg)}
}
