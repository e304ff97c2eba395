package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
)

// custodyCmd is `custos custody`: an item's custody chain, as a table on a
// terminal and as JSON otherwise.
func custodyCmd() *cobra.Command {
	var cn conn
	cmd := &cobra.Command{
		Use:   "custody ID",
		Short: "Show an item's custody chain: who did what to it, and when",
		Long: `Custody prints an item's custody chain (GET /api/v1/evidence/{id}/custody): every event, from its
creation on, with its time, type, actor and subject, and the reads counted but not yet folded into the
chain. On a terminal it prints a table; when standard output is a pipe or a file it prints the API's
JSON (so '| jq' works), and --json forces JSON on a terminal too. docs/custody-events.md describes the
events.

Exit status: 0 printed; 1 the server refused (for example 404: no such item, or not visible to your
token) or could not be reached; 2 usage error.

Example:
  custos custody 01JD4M3Q8YV6ZK2N5T7R9XWB0C --server https://custos.firm.example
  custos custody 01JD4M3Q8YV6ZK2N5T7R9XWB0C | jq -r '.events[].type'`,
		Args: positional(1, "one ID"),
		RunE: cn.run(func(ctx context.Context, c *client.Client, args []string) error {
			v, err := c.Custody(ctx, args[0])
			if err != nil {
				return err
			}
			if jsonOutput() {
				return printValue(v)
			}
			return custodyTable(os.Stdout, v)
		}),
	}
	cn.flags(cmd)
	return cmd
}

// custodyTable writes a custody chain as aligned columns.
func custodyTable(w io.Writer, v *wire.CustodyView) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Custody of %s: %d events\n", v.Evidence, len(v.Events))
	fmt.Fprintln(tw, "SEQ\tTIME\tTYPE\tACTOR\tSUBJECT")
	for _, e := range v.Events {
		subject := e.Subject
		if e.Reads > 0 { // a folded read
			subject = fmt.Sprintf("%s (%d reads since %s)", subject, e.Reads, e.Since)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Seq, e.Time, e.Type, e.Actor, subject)
	}
	if len(v.PendingReads) > 0 {
		fmt.Fprintln(tw, "\nReads counted, not yet in the chain:")
		fmt.Fprintln(tw, "SINCE\tLAST\tTYPE\tACTOR\tSUBJECT\tREADS")
		for _, p := range v.PendingReads {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", p.Since.UTC().Format("2006-01-02T15:04:05Z"),
				p.Last.UTC().Format("2006-01-02T15:04:05Z"), p.Type, p.Actor, p.Subject, p.Reads)
		}
	}
	return tw.Flush()
}
