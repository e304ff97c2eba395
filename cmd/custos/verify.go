package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/api/client"
	prob "github.com/custos-project/custos/internal/problem"
	"github.com/custos-project/custos/internal/verifycli"
	"github.com/custos-project/custos/receipt"
)

// verifyCmd is `custos verify`: an offline check of a receipt against a
// trust bundle, and optionally of the evidence file against the receipt.
// Exit status: 0 valid, 1 invalid (the failing step is named), 2 usage
// error (missing flag, unreadable file, unusable trust bundle), 3 valid
// offline but not confirmed by the --node (unreachable, or behind).
func verifyCmd() *cobra.Command {
	var receiptPath, filePath, trustPath, transitionsPath, pdfPath, rootsPath, nodeURL, ersPath string
	var asJSON bool
	var nodeWait time.Duration
	cmd := &cobra.Command{
		Use:   "verify (--receipt FILE [--file EVIDENCE] --trust BUNDLE [--evidence-record FILE] [--transitions FILE] [--node URL] | --pdf FILE [--trust BUNDLE] [--roots FILE]) [--json]",
		Short: "Verify a receipt (digests, custody events, time-stamps, inclusion, the consortium checkpoint) or a certificate PDF, offline",
		Long: `Verify checks a Custos receipt without any server or network: the evidence file's digests (with --file),
the custody events and their hash chain, the RFC 3161 time-stamp tokens, each event's inclusion in the
evidence log, and the checkpoint signed by the consortium's validators named in the trust bundle.

With --node URL it then asks that member node (a court's own node, say) to confirm the receipt against
its own chain: the node's latest checkpoint must verify under the same trust bundle, and the node's RFC 6962
consistency proof must show the receipt's log to be a prefix of the node's. The node is not trusted for
anything it cannot prove; a node still behind the receipt's block is asked again for up to --node-wait.

After the consortium changes its validators, a receipt is signed by a set the trust bundle does not
list: it carries the transitions from the bundle's (genesis) set (receipt version 4), or --transitions
FILE gives them: a JSON list of transitions, or a version-2 trust bundle (GET /api/v1/trust?transitions=1).
They are followed from the bundle's own validators, each signed by more than 2/3 of the set before it.

With --evidence-record FILE it also checks the item's RFC 4998 evidence record ('custos evidence-record'):
its reduced hash tree must lead from the file's SHA-256 (without --file, the receipt's) to the root that
its time-stamps cover, and each time-stamp must verify and chain to the trust bundle's TSA roots at its own
time. A record that does not verify makes the verdict INVALID. A version-5 receipt carries its record,
which is checked with the receipt.

With --pdf FILE it checks a certificate PDF instead: its PAdES signature, the signature's time-stamp and
the signer's chain to the trust bundle's root, or to the roots of --roots PEM (an outside CA's, for
certificates installed with 'custos pki install'). With --trust it also checks the receipts the PDF
embeds and their evidence records. A valid PDF with warnings (lines marked !, such as what a later
revision draws over a certified page) exits 0, its verdict "VALID 有效, with warnings".

Exit status: 0 the receipt is valid (and, with --node, confirmed); 1 it is not, or the node's chain
contradicts it (the failing step is printed with the expected and the computed values); 2 usage error (a
missing flag, an unreadable file or an unusable trust bundle); 3 valid offline, but the node could not
confirm it (unreachable, or still behind the receipt).

Example:
  custos verify --receipt receipt.json --file contract.pdf --trust trust.json --node https://node.court.example
  custos verify --receipt receipt.json --file contract.pdf --trust trust.json --evidence-record contract.ers
  custos verify --receipt receipt.json --trust trust.json --transitions trust-v2.json
  custos verify --pdf certificate.pdf --trust trust.json --roots outside-ca-root.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if pdfPath != "" { // verifypdf.go
				return verifyPDF(cmd.OutOrStdout(), pdfPath, receiptPath+filePath, trustPath, rootsPath, asJSON)
			}
			if receiptPath == "" || trustPath == "" {
				return usageError("usage.verify")
			}
			opts := verifycli.Options{Receipt: receiptPath, File: filePath, Trust: trustPath, Transitions: transitionsPath, EvidenceRecord: ersPath, JSON: asJSON, NodeWait: nodeWait,
				Chinese: lang == prob.Chinese, Progress: hashProgress(filepath.Base(filePath))}
			if nodeURL != "" {
				c, err := newClient(nodeURL, "") // $CUSTOS_TIMEOUT bounds each call
				if err != nil {
					return err
				}
				opts.Node = nodeClient{c}
			}
			err := verifycli.Check(cmd.Context(), cmd.OutOrStdout(), opts)
			var ee verifycli.ExitError
			if errors.As(err, &ee) {
				switch {
				case ee.Step == "evidence-record":
					return failure(ee.Code, "fail.evidence-record-invalid")
				case ee.Step != "":
					return failure(ee.Code, "fail.receipt-invalid", "step", verifycli.StepName(ee.Step, lang == prob.Chinese))
				case ee.Unconfirmed != "":
					return failure(ee.Code, "fail.unconfirmed", "node", ee.Unconfirmed)
				}
				return exitError{code: ee.Code, msg: ee.Message(lang == prob.Chinese)} // a usage error: a file's or the bundle's own words
			}
			return err
		},
	}
	cmd.Flags().StringVar(&receiptPath, "receipt", "", "receipt JSON file")
	cmd.Flags().StringVar(&filePath, "file", "", "evidence file to check against the receipt (optional)")
	cmd.Flags().StringVar(&trustPath, "trust", "", "trust bundle JSON file (keep your own copy)")
	cmd.Flags().StringVar(&ersPath, "evidence-record", "", "the item's RFC 4998 evidence record (DER, from 'custos evidence-record') to check against the file, or the receipt's SHA-256 (optional)")
	cmd.Flags().StringVar(&transitionsPath, "transitions", "", "validator-set transitions for receipts made after a validator change: a JSON list, or a version-2 trust bundle")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the outcome as one JSON object")
	cmd.Flags().StringVar(&nodeURL, "node", "", "a member node (your own) to confirm the receipt against its chain")
	cmd.Flags().DurationVar(&nodeWait, "node-wait", 10*time.Second, "how long to wait for a --node that has not reached the receipt's block")
	cmd.Flags().StringVar(&pdfPath, "pdf", "", "instead of a receipt, a certificate PDF Custos issued: check its signature, time-stamp and chain (with --trust, --roots or both)")
	cmd.Flags().StringVar(&rootsPath, "roots", "", "with --pdf: PEM file of further trusted roots, such as the outside CA that issued the notary's and the TSA's certificates (custos pki install)")
	return cmd
}

// nodeClient is a member node as verifycli asks it: over its public log
// endpoints, without a token.
type nodeClient struct{ c *client.Client }

func (n nodeClient) String() string { return n.c.BaseURL }

func (n nodeClient) Checkpoint(ctx context.Context) (*receipt.Checkpoint, error) {
	cp, err := n.c.Checkpoint(ctx, 0)
	if ce := (*client.Error)(nil); errors.As(err, &ce) && ce.Status == http.StatusServiceUnavailable {
		return nil, fmt.Errorf("%w: %v", verifycli.ErrNodeNotReady, err) // no checkpoint yet: asked again
	}
	return cp, err
}

func (n nodeClient) Consistency(ctx context.Context, first, second uint64) ([]string, error) {
	p, err := n.c.Consistency(ctx, first, second)
	if err != nil {
		return nil, err
	}
	if p.First != first || p.Second != second {
		return nil, fmt.Errorf("asked for the proof between sizes %d and %d, the node gave %d and %d", first, second, p.First, p.Second)
	}
	return p.Proof, nil
}
