// Command custos-verify checks a Custos receipt, or a certificate PDF
// that a notary signed, offline, as `custos verify` and `custos verify
// --pdf` do and with the same code, words and exit status, in a binary
// built from the verifiers alone: no server, no network, no consensus
// node, no PDF writer. A court can read what it links (go list -deps) and
// build it itself:
//
//	go build -trimpath -o custos-verify ./cmd/custos-verify
//	custos-verify --receipt RECEIPT.json --trust TRUST.json [--file EVIDENCE] [--evidence-record ID.ers] [--json]
//	custos-verify --pdf CERTIFICATE.pdf --trust TRUST.json [--roots ROOTS.pem] [--json]
//
// With --evidence-record it also checks the item's RFC 4998 evidence
// record (package ers) against the file (or the receipt's SHA-256) under
// the trust bundle's TSA roots.
//
// With --pdf it checks a certificate PDF (a notarial certificate, 公证书,
// or a copyright registration certificate, 作品登记证书) with package
// pdfcheck: its PAdES signature, the signature's time-stamp and the
// signer's chain to the trust bundle's root or to the roots of --roots,
// its DocMDP certification and later revisions, and, with --trust, the
// receipts it embeds and their evidence records.
//
// Exit status: 0 the receipt (and the evidence record), or the PDF, is
// valid; 1 it is not (the failing step is printed with the expected and
// the computed values); 2 usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/custos-project/custos/internal/verifycli"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the command on args, and returns its exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("custos-verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	receiptPath := fs.String("receipt", "", "receipt JSON file")
	filePath := fs.String("file", "", "evidence file to check against the receipt (optional)")
	trustPath := fs.String("trust", "", "trust bundle JSON file (keep your own copy)")
	transitionsPath := fs.String("transitions", "", "validator-set transitions (a JSON list, or a version-2 trust bundle) for receipts made after a validator change")
	ersPath := fs.String("evidence-record", "", "the item's RFC 4998 evidence record (DER) to check against the file, or the receipt's SHA-256 (optional)")
	pdfPath := fs.String("pdf", "", "instead of a receipt, a certificate PDF Custos issued: check its signature, time-stamp and chain (with --trust, --roots or both)")
	rootsPath := fs.String("roots", "", "with --pdf: PEM file of further trusted roots, such as the outside CA that issued the notary's and the TSA's certificates")
	asJSON := fs.Bool("json", false, "print the outcome as one JSON object")
	chinese := verifycli.ChineseLocale(os.Getenv)
	fs.Usage = func() {
		if chinese {
			fmt.Fprintln(fs.Output(), usageZH)
		} else {
			fmt.Fprintln(fs.Output(), "usage: custos-verify --receipt FILE [--file EVIDENCE] --trust BUNDLE [--transitions FILE] [--evidence-record FILE] [--json]")
			fmt.Fprintln(fs.Output(), "       custos-verify --pdf FILE [--trust BUNDLE] [--roots PEM] [--json]")
			fmt.Fprintln(fs.Output(), "\nChecks a Custos receipt, or a certificate PDF, offline. Exit status: 0 valid, 1 not valid, 2 usage error.")
		}
		fs.PrintDefaults()
	}
	if chinese {
		speakChinese(fs)
		fs.SetOutput(io.Discard) // the parse error in Chinese below, then the usage
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			if chinese {
				fs.SetOutput(stderr)
				fs.Usage()
			}
			return 0
		}
		if chinese {
			fmt.Fprintln(stderr, flagErrorZH(err))
			fs.SetOutput(stderr)
			fs.Usage()
		}
		return 2
	}
	if *pdfPath != "" {
		return verifyPDF(stdout, stderr, chinese, verifycli.PDFOptions{PDF: *pdfPath, Trust: *trustPath, Roots: *rootsPath, JSON: *asJSON},
			*receiptPath+*filePath+*transitionsPath+*ersPath+strings.Join(fs.Args(), ""))
	}
	if fs.NArg() > 0 || *receiptPath == "" || *trustPath == "" {
		if chinese {
			fmt.Fprintln(stderr, needsZH)
		} else {
			fmt.Fprintln(stderr, "custos-verify: needs --receipt FILE and --trust BUNDLE (see 'custos-verify --help')")
		}
		return 2
	}
	err := verifycli.Check(context.Background(), stdout, verifycli.Options{Receipt: *receiptPath, File: *filePath, Trust: *trustPath,
		Transitions: *transitionsPath, EvidenceRecord: *ersPath, JSON: *asJSON, Chinese: chinese,
		Progress: hashProgress(stderr, filepath.Base(*filePath), chinese)})
	return exitStatus(err, stderr, chinese)
}

// verifyPDF is custos-verify --pdf: the check of `custos verify --pdf`,
// which takes a trust bundle, roots or both, and no receipt's flags nor
// arguments (others, non-empty when one is given).
func verifyPDF(stdout, stderr io.Writer, chinese bool, o verifycli.PDFOptions, others string) int {
	var usage string
	switch {
	case others != "" && chinese:
		usage = pdfAloneZH
	case others != "":
		usage = "custos-verify: --pdf checks a certificate PDF alone: it takes no --receipt, --file, --transitions, --evidence-record or argument"
	case o.Trust == "" && o.Roots == "" && chinese:
		usage = pdfRootsZH
	case o.Trust == "" && o.Roots == "":
		usage = "custos-verify: --pdf needs --trust BUNDLE, --roots PEM or both (see 'custos-verify --help')"
	}
	if usage != "" {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	return exitStatus(verifycli.CheckPDFFiles(stdout, o), stderr, chinese)
}

// exitStatus says err, the end of a check, on stderr and returns the exit
// status it asks for.
func exitStatus(err error, stderr io.Writer, chinese bool) int {
	var ee verifycli.ExitError
	switch {
	case errors.As(err, &ee):
		if msg := ee.Message(chinese); msg != "" {
			fmt.Fprintln(stderr, "custos-verify:", msg)
		}
		return ee.Code
	case err != nil:
		fmt.Fprintln(stderr, "custos-verify:", err)
		return 1
	}
	return 0
}
