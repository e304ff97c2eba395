package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

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
  custos custody nqihfudftxfyqo6okr4h7myh4i --server https://custos.firm.example
  custos custody nqihfudftxfyqo6okr4h7myh4i | jq -r '.events[].type'`,
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

// custodyTable writes a custody chain as aligned columns, times in the
// local time zone.
func custodyTable(w io.Writer, v *wire.CustodyView) error {
	fmt.Fprintln(w, tr("custody.title", "id", cleanCell(v.Evidence), "n", len(v.Events)))
	t := &table{}
	t.add(header("SEQ"), header("TIME"), header("TYPE"), header("ACTOR"), header("SUBJECT"))
	for _, e := range v.Events {
		subject := e.Subject
		if e.Reads > 0 { // a folded read
			subject = tr("custody.folded", "subject", subject, "n", e.Reads, "since", eventTime(e.Since))
		}
		t.add(strconv.FormatUint(uint64(e.Seq), 10), eventTime(e.Time), cellValue(e.Type), actorName(e.Actor, e.ActorOrgName), subject)
	}
	if err := t.write(w); err != nil {
		return err
	}
	if len(v.PendingReads) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\n"+tr("custody.reads"))
	names := map[string]string{} // organization ID → name, as the events give them
	for _, e := range v.Events {
		if org, _, ok := strings.Cut(e.Actor, ":"); ok && e.ActorOrgName != "" {
			names[org] = e.ActorOrgName
		}
	}
	t = &table{}
	t.add(header("SINCE"), header("LAST"), header("TYPE"), header("ACTOR"), header("SUBJECT"), header("READS"))
	for _, p := range v.PendingReads {
		org, _, _ := strings.Cut(p.Actor, ":")
		t.add(localTime(p.Since), localTime(p.Last), cellValue(p.Type), actorName(p.Actor, names[org]), p.Subject, strconv.FormatUint(p.Reads, 10))
	}
	return t.write(w)
}

// actorName is an event's actor as a person reads it: the organization's
// name with the key ID after it ("杭州互联网法院 (euepqwbnf4bol5zs4yhwuctwfi)"), or the raw
// "<org>:<key>" when the node does not know the organization's name.
func actorName(actor, orgName string) string {
	_, key, ok := strings.Cut(actor, ":")
	if orgName == "" || !ok {
		return actor
	}
	return orgName + " (" + key + ")"
}

// eventTime is a custody event's RFC 3339 time in the local time zone, or
// the text as it is if it is not one.
func eventTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return localTime(t)
}
