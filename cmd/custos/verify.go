package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/internal/verifycli"
)

// verifyCmd is `custos verify`: an offline check of a receipt against a
// trust bundle, and optionally of the evidence file against the receipt.
// Exit status: 0 valid, 1 invalid (the failing step is named), 2 usage
// error (missing flag, unreadable file, unusable trust bundle).
func verifyCmd() *cobra.Command {
	var receiptPath, filePath, trustPath, pdfPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify --receipt FILE [--file EVIDENCE] --trust BUNDLE [--json]",
		Short: "Verify a receipt offline: digests, custody events, time-stamps, inclusion and the consortium checkpoint",
		Long: `Verify checks a Custos receipt without any server or network: the evidence file's digests (with --file),
the custody events and their hash chain, the RFC 3161 time-stamp tokens, each event's inclusion in the
evidence log, and the checkpoint signed by the consortium's validators named in the trust bundle.

Exit status: 0 the receipt is valid; 1 it is not (the failing step is printed with the expected and the
computed values); 2 usage error (a missing flag, an unreadable file or an unusable trust bundle).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if pdfPath != "" { // verifypdf.go
				return verifyPDF(cmd.OutOrStdout(), pdfPath, receiptPath+filePath, trustPath, asJSON)
			}
			if receiptPath == "" || trustPath == "" {
				return usageError("verify needs --receipt FILE and --trust BUNDLE (see 'custos verify --help')")
			}
			err := verifycli.Run(cmd.OutOrStdout(), receiptPath, filePath, trustPath, asJSON)
			var ee verifycli.ExitError
			if errors.As(err, &ee) {
				return exitError{code: ee.Code, msg: ee.Msg}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&receiptPath, "receipt", "", "receipt JSON file")
	cmd.Flags().StringVar(&filePath, "file", "", "evidence file to check against the receipt (optional)")
	cmd.Flags().StringVar(&trustPath, "trust", "", "trust bundle JSON file (keep your own copy)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the outcome as one JSON object")
	cmd.Flags().StringVar(&pdfPath, "pdf", "", "instead of a receipt, a certificate PDF Custos issued: check its signature, time-stamp and chain (with --trust)")
	return cmd
}
