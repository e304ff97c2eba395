package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
)

// evidenceRecordCmd is `custos evidence-record ID`: the item's RFC 4998
// evidence record (DER), for `custos verify --evidence-record`.
func evidenceRecordCmd() *cobra.Command {
	cn := &conn{}
	var out string
	cmd := &cobra.Command{
		Use:   "evidence-record ID [-o FILE]",
		Short: "Fetch an evidence item's RFC 4998 evidence record (DER) for 'custos verify --evidence-record'",
		Args:  positional(1, "one evidence ID"),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := cn.client(cmd)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			b, err := c.EvidenceRecord(ctx, a[0])
			if err != nil {
				return err
			}
			return writeOutput(out, b)
		},
	}
	cn.flags(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the record to FILE (e.g. ID.ers) instead of standard output")
	return cmd
}

// writeOutput writes b to the file out, or to standard output when out is
// "" or "-".
func writeOutput(out string, b []byte) error {
	if out == "" || out == "-" {
		_, err := os.Stdout.Write(b)
		return err
	}
	return os.WriteFile(out, b, 0o644)
}
