package main

import (
	"context"
	"os"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/api/client"
)

// peerCmd is the operator's view of the share notices this node sends
// the other members' nodes: those refused for good (GET, POST, DELETE
// /api/v1/admin/peer/refused; docs/operations.md, "A share notice
// refused").
func peerCmd() *cobra.Command {
	cn := &conn{}
	var limit int
	refused := &cobra.Command{
		Use:   "refused [--limit N]",
		Short: "List the share notices other members' nodes refused for good, the latest first; 'refused resend SHARE', 'refused drop SHARE' (admin)",
		Long: "A share notice the grantee's home member refused for good (its node answered a 4xx about the notice other than 408 or 429, such as 409, 403, 422, 400, 413, or 404 from a node too old to take notices) " +
			"leaves the outbox, and the later notices of its share wait behind it, unsent (PARKED). " +
			"Fix the cause the DETAIL gives, then 'refused resend SHARE' queues them again in their order; " +
			"'refused drop SHARE' gives them up for good, recorded on the grantor's audit chain.",
		Example: `  custos peer refused
  custos peer refused --json | jq -r '.notices[] | select(.status == 409) | .share'`,
		Args: positional(0, "no arguments (or the subcommand resend or drop)"),
		RunE: cn.run(func(ctx context.Context, c *client.Client, _ []string) error {
			if limit < 0 || limit > 1000 {
				return usageError("usage.refused-limit")
			}
			v, err := c.RefusedNotices(ctx, limit)
			if err != nil {
				return err
			}
			if jsonOutput() {
				return writeJSON(os.Stdout, v)
			}
			if v.Total == 0 {
				noticeTo(os.Stderr, "notice.no-refused")
				return nil
			}
			if err := writeHuman(os.Stdout, v.Notices); err != nil {
				return err
			}
			if v.Total > len(v.Notices) {
				noticeTo(os.Stderr, "notice.refused-more", "shown", len(v.Notices), "total", v.Total)
			}
			return nil
		}),
	}
	refused.Flags().IntVar(&limit, "limit", 0, "list at most N shares, 1 to 1000 (default: the server's, 100)")
	resend := &cobra.Command{
		Use: "resend SHARE", Short: "Queue a share's refused notices again, in their order, once the cause is fixed (admin)",
		Example: `  custos peer refused resend z3ffdcs5bjwspulhi5aliodpqi`,
		Args:    positional(1, "one share ID"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			return c.ResendRefused(ctx, a[0])
		}),
	}
	drop := &cobra.Command{
		Use: "drop SHARE", Short: "Drop a share's refused notices: never sent, recorded on the grantor's audit chain (admin)",
		Example: `  custos peer refused drop z3ffdcs5bjwspulhi5aliodpqi`,
		Args:    positional(1, "one share ID"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			return c.DropRefused(ctx, a[0])
		}),
	}
	refused.AddCommand(resend, drop)
	cmd := cmdGroup("peer", "The share notices this node sends other consortium members (admin)", cn, refused)
	cmd.Example = `  custos peer refused`
	return cmd
}
