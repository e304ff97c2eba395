package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/api/client"
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
			return saveOutput(out, a[0], b)
		},
	}
	cn.flags(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the record to FILE (e.g. ID.ers) instead of standard output")
	cmd.AddCommand(renewCmd(cn), renewalStatusCmd(cn), documentRecordsCmd(cn, "copyright"), documentRecordsCmd(cn, "certificate"))
	return cmd
}

// renewCmd is `custos evidence-record renew [--dry-run]`: the node's
// renewal job, run now (admin).
func renewCmd(cn *conn) *cobra.Command {
	var dry bool
	cmd := &cobra.Command{
		Use:   "renew [--dry-run]",
		Short: "Renew the node's evidence records that are due now (admin); with --dry-run, only say what would be renewed",
		Long: `Renew the node's RFC 4998 evidence records that are due now, as the scheduled job does
([evidence_records] in custos.toml): hash-tree renewals (RFC 4998 §5.3) of the items whose chain's
hash is retired, from their stored bytes, then time-stamp renewals (§5.2) of the chains whose last
time-stamp's certificate expires within renew_before or whose signature algorithm is retired.
Each renewed item gets a custody event. With --dry-run it asks no TSA and changes nothing.
It exits 1 when something due could not be renewed (the errors say why: a TSA certificate to
rotate, stored bytes that no longer match).`,
		Example: `  custos evidence-record renew --dry-run
  custos evidence-record renew && custos evidence-record status`,
		Args: positional(0, "no arguments"),
		RunE: cn.run(func(ctx context.Context, c *client.Client, _ []string) error {
			run, err := c.RenewEvidenceRecords(ctx, dry)
			if err != nil {
				return err
			}
			if err := printValue(run); err != nil {
				return err
			}
			if n := run.Blocked.Items + run.Documents.Blocked.Items; n > 0 || len(run.Errors) > 0 {
				return failure(1, "fail.renewal-blocked", "n", n)
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&dry, "dry-run", false, "report what would be renewed and the tokens it would cost; ask no TSA, change nothing")
	return cmd
}

// renewalStatusCmd is `custos evidence-record status` (admin).
func renewalStatusCmd(cn *conn) *cobra.Command {
	return &cobra.Command{
		Use:     "status",
		Short:   "Show the node's evidence records by state: current, due soon, due, renewed; the last renewal run (admin)",
		Example: `  custos evidence-record status`,
		Args:    positional(0, "no arguments"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return c.EvidenceRecordStatus(ctx)
		}),
	}
}
