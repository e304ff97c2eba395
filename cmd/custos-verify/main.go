// Command custos-verify checks a Custos receipt offline, as `custos verify`
// does and with the same code, words and exit status, in a binary built
// from the receipt verifier alone: no server, no network, no consensus
// node. A court can read what it links (go list -deps) and build it itself:
//
//	go build -trimpath -o custos-verify ./cmd/custos-verify
//	custos-verify --receipt RECEIPT.json --trust TRUST.json [--file EVIDENCE] [--evidence-record ID.ers] [--json]
//
// With --evidence-record it also checks the item's RFC 4998 evidence
// record (package ers) against the file (or the receipt's SHA-256) under
// the trust bundle's TSA roots.
//
// Exit status: 0 the receipt (and the evidence record) is valid; 1 it is
// not (the failing step is printed with the expected and the computed
// values); 2 usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

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
	asJSON := fs.Bool("json", false, "print the outcome as one JSON object")
	chinese := verifycli.ChineseLocale(os.Getenv)
	fs.Usage = func() {
		if chinese {
			fmt.Fprintln(fs.Output(), usageZH)
		} else {
			fmt.Fprintln(fs.Output(), "usage: custos-verify --receipt FILE [--file EVIDENCE] --trust BUNDLE [--transitions FILE] [--evidence-record FILE] [--json]")
			fmt.Fprintln(fs.Output(), "\nChecks a Custos receipt offline. Exit status: 0 valid, 1 not valid, 2 usage error.")
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
	if fs.NArg() > 0 || *receiptPath == "" || *trustPath == "" {
		if chinese {
			fmt.Fprintln(stderr, needsZH)
		} else {
			fmt.Fprintln(stderr, "custos-verify: needs --receipt FILE and --trust BUNDLE (see 'custos-verify --help')")
		}
		return 2
	}
	err := verifycli.Check(context.Background(), stdout, verifycli.Options{Receipt: *receiptPath, File: *filePath, Trust: *trustPath,
		Transitions: *transitionsPath, EvidenceRecord: *ersPath, JSON: *asJSON, Chinese: chinese})
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
