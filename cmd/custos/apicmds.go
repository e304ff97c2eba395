package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/api/client"
)

// The commands in this file reach the API operations the older commands
// did not: an evidence record and its time-stamp tokens, the log's
// checkpoints and consistency proofs, the consortium's directory, the
// trust material, the integrity audit, a document's public check, and
// single records of the groups in admin.go. cmdcoverage_test.go maps
// every operation of api/openapi.json to its command.

func evidenceCmd() *cobra.Command {
	cn := &conn{}
	get := &cobra.Command{
		Use: "get ID", Short: "Print an evidence record: its file, size, digests, time-stamps and anchoring",
		Example: `  custos evidence get nqihfudftxfyqo6okr4h7myh4i
  custos evidence get nqihfudftxfyqo6okr4h7myh4i --json | jq -r .sha256`,
		Args: positional(1, "one evidence ID"),
		RunE: cn.run(func(ctx context.Context, c *client.Client, a []string) error {
			v, err := c.Get(ctx, a[0])
			if err != nil {
				return err
			}
			if jsonOutput() {
				return writeJSON(os.Stdout, v)
			}
			return writeHuman(os.Stdout, withMatterTitle(ctx, c, v))
		}),
	}
	var tsa int
	var out string
	stamp := &cobra.Command{
		Use:   "timestamp ID [--tsa N] [-o FILE]",
		Short: "Save an item's RFC 3161 time-stamp reply (DER), to check with 'openssl ts -reply'",
		Example: `  custos evidence timestamp nqihfudftxfyqo6okr4h7myh4i -o item.tsr
  openssl ts -reply -in item.tsr -text`,
		Args: positional(1, "one evidence ID"),
		RunE: cn.run(func(ctx context.Context, c *client.Client, a []string) error {
			b, err := c.Timestamp(ctx, a[0], tsa)
			if err != nil {
				return err
			}
			return saveOutput(out, a[0], b)
		}),
	}
	stamp.Flags().IntVar(&tsa, "tsa", 0, "which token: 0 the node's own TSA, 1… the outside TSAs in the record's order")
	stamp.Flags().StringVarP(&out, "output", "o", "", "write the reply to FILE instead of standard output")
	return cmdGroup("evidence", "Read an evidence record and its time-stamp tokens", cn, get, stamp)
}

// saveOutput writes b to standard output (out "" or "-"), or to the file
// out and then says so on standard error (savedNotice): id is what was
// saved (an evidence ID), or "".
func saveOutput(out, id string, b []byte) error {
	if out == "" || out == "-" {
		_, err := os.Stdout.Write(b)
		return err
	}
	if _, err := writeFileFrom(out, bytes.NewReader(b)); err != nil {
		return err
	}
	savedNotice(id, out, int64(len(b)))
	return nil
}

// savedNotice is the one line every command that writes a file with -o
// FILE says on standard error, in the CLI's language: what it saved, the
// file's name and its size. Standard output stays as it was (empty), so
// scripts that pipe it keep working.
func savedNotice(id, path string, size int64) {
	savedNoticeTo(os.Stderr, id, path, size)
}

// savedNoticeTo is savedNotice to w (a command's standard error).
func savedNoticeTo(w io.Writer, id, path string, size int64) {
	if id == "" {
		noticeTo(w, "notice.saved-anon", "path", path, "size", humanSize(size))
		return
	}
	noticeTo(w, "notice.saved-file", "id", id, "path", path, "size", humanSize(size))
}

func logCmd() *cobra.Command {
	cn := &conn{}
	var height int64
	checkpoint := &cobra.Command{
		Use: "checkpoint [--height H]", Short: "Print the evidence log's latest signed checkpoint (or the one at a block height)",
		Example: `  custos log checkpoint > old.json
  custos consistency --old old.json --new new.json --trust trust.json --server https://custos.court.example`,
		Args: positional(0, "no arguments"),
		RunE: cn.publicRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return c.Checkpoint(ctx, height)
		}),
	}
	checkpoint.Flags().Int64Var(&height, "height", 0, "the checkpoint at this block height")
	consistency := &cobra.Command{
		Use: "consistency FIRST SECOND", Short: "Print the RFC 6962 consistency proof between two tree sizes (check it with 'custos consistency')",
		Example: `  custos log consistency 120 180`,
		Args:    positional(2, "two tree sizes"),
		RunE: cn.publicRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			first, err1 := strconv.ParseUint(a[0], 10, 64)
			second, err2 := strconv.ParseUint(a[1], 10, 64)
			if err1 != nil || err2 != nil {
				return nil, usageError("usage.tree-sizes")
			}
			return c.Consistency(ctx, first, second)
		}),
	}
	cmd := &cobra.Command{
		Use: "log", Short: "Read the evidence log's checkpoints and consistency proofs (public)",
		Example: `  custos log checkpoint --server https://custos.court.example`,
	}
	cn.serverFlag(cmd)
	cmd.AddCommand(checkpoint, consistency)
	return cmd
}

// publicRun is apiRun for the public endpoints: no token needed or sent.
func (cn *conn) publicRun(call func(ctx context.Context, c *client.Client, args []string) (any, error)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := cn.publicClient()
		if err != nil {
			return err
		}
		ctx, stop := interruptible()
		defer stop()
		v, err := call(ctx, c, args)
		if err != nil {
			return err
		}
		return printValue(v)
	}
}

func directoryCmd() *cobra.Command {
	cn := &conn{}
	var name string
	list := &cobra.Command{
		Use: "list [--name NAME]", Short: "List the consortium's organizations (or find one by name)",
		Example: `  custos directory list
  custos directory list --name 杭州互联网法院`,
		Args: positional(0, "no arguments"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return listOf(c.Directory(ctx, name))
		}),
	}
	list.Flags().StringVar(&name, "name", "", "only the organization that holds this name")
	get := &cobra.Command{
		Use: "get ID", Short: "Print one organization of the consortium's directory",
		Example: `  custos directory get nqihfudftxfyqo6okr4h7myh4i`,
		Args:    positional(1, "one organization ID"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			return c.DirectoryEntry(ctx, a[0])
		}),
	}
	cmd := cmdGroup("directory", "Look up the organizations of every member of the consortium", cn, list, get)
	cmd.Example = `  custos directory list --name 杭州互联网法院`
	return cmd
}

func trustCmd() *cobra.Command {
	var cn conn
	var pem, out string
	cmd := &cobra.Command{
		Use:   "trust [--pem root|tsa-chain] [-o FILE]",
		Short: "Save a node's trust bundle (for 'custos verify --trust') or its certificates as PEM",
		Long: `Trust fetches a node's trust bundle (GET /api/v1/trust), the JSON 'custos verify --trust' and
'custos consistency --trust' read, or with --pem one of its certificates: root (the consortium root CA)
or tsa-chain (the time-stamping authority's chain, for 'openssl ts -verify'). Fetch it once, over a
channel you trust, and keep it: verification is only as good as this file. No token is needed.`,
		Example: `  custos trust -o trust.json --server https://custos.court.example
  custos trust --pem tsa-chain -o tsa-chain.pem`,
		Args: positional(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if pem != "" && pem != "root" && pem != "tsa-chain" {
				return usageError("usage.pem")
			}
			c, err := cn.publicClient()
			if err != nil {
				return err
			}
			ctx, stop := interruptible()
			defer stop()
			if pem == "" {
				t, err := c.Trust(ctx)
				if err != nil {
					return err
				}
				if out == "" || out == "-" {
					return writeJSON(os.Stdout, t)
				}
				var b bytes.Buffer
				if err := writeJSON(&b, t); err != nil {
					return err
				}
				return saveOutput(out, "", b.Bytes())
			}
			rc, err := c.TrustPEM(ctx, pem)
			if err != nil {
				return err
			}
			defer rc.Close()
			b, err := io.ReadAll(io.LimitReader(rc, 4<<20))
			if err != nil {
				return err
			}
			return saveOutput(out, "", b)
		},
	}
	cn.serverFlag(cmd)
	cmd.Flags().StringVar(&pem, "pem", "", "a certificate as PEM instead of the bundle: root or tsa-chain")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of standard output")
	return cmd
}

func integrityCmd() *cobra.Command {
	cn := &conn{}
	status := &cobra.Command{
		Use: "status", Short: "Show the integrity audit's schedule and its latest report (admin)",
		Example: `  custos integrity status`,
		Args:    positional(0, "no arguments"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return c.Integrity(ctx)
		}),
	}
	var wait bool
	run := &cobra.Command{
		Use:     "run [--wait]",
		Short:   "Start the integrity audit now (admin); with --wait, wait for its report and exit 1 if it found faults",
		Example: `  custos integrity run --wait`,
		Args:    positional(0, "no arguments"),
		RunE: cn.run(func(ctx context.Context, c *client.Client, _ []string) error {
			if !wait {
				st, err := c.StartIntegrity(ctx)
				if err != nil {
					return err
				}
				return printValue(st)
			}
			stop := waiting(progressOn(os.Stderr, false), tr("progress.wait-audit"))
			r, err := c.RunIntegrity(ctx, time.Second)
			stop()
			if err != nil {
				return err
			}
			if err := printValue(r); err != nil {
				return err
			}
			if !r.OK {
				return failure(1, "fail.audit", "n", r.Findings)
			}
			return nil
		}),
	}
	run.Flags().BoolVar(&wait, "wait", false, "wait until the audit finishes and print its report")
	cmd := cmdGroup("integrity", "Audit the node's stored evidence against its records and the log (admin)", cn, status, run)
	cmd.Example = `  custos integrity run --wait && custos integrity status`
	return cmd
}

func documentCmd() *cobra.Command {
	cn := &conn{}
	check := &cobra.Command{
		Use:     "check TOKEN",
		Short:   "Check a signed certificate by the verification token its QR code carries (public)",
		Example: `  custos document check 3q2-7d1f0c9b4a6e5d8c --server https://custos.notary.example`,
		Args:    positional(1, "one verification token"),
		RunE: cn.publicRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			return c.DocumentCheck(ctx, a[0])
		}),
	}
	cmd := &cobra.Command{
		Use: "document", Short: "Check a notarial or registration certificate on paper against its node",
		Example: `  custos document check TOKEN`,
	}
	cn.serverFlag(cmd)
	cmd.AddCommand(check)
	return cmd
}

// getCmd is a "get ID" subcommand added to a group of admin.go or
// copyright.go: it prints one record.
func getCmd(use, short, example, what string, get func(ctx context.Context, c *client.Client, id string) (any, error)) *cobra.Command {
	cn := &conn{}
	cmd := &cobra.Command{
		Use: use, Short: short, Example: example, Args: positional(1, what),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			return get(ctx, c, a[0])
		}),
	}
	cn.flags(cmd)
	return cmd
}

func orgGetCmd() *cobra.Command {
	return getCmd("get ORG", "Print an organization and where it stands in the consortium's directory (admin)",
		`  custos org get nqihfudftxfyqo6okr4h7myh4i`, "one organization ID",
		func(ctx context.Context, c *client.Client, id string) (any, error) { return c.Org(ctx, id) })
}

func matterGetCmd() *cobra.Command {
	return getCmd("get MATTER", "Print a matter your organization owns or was shared",
		`  custos matter get nqihfudftxfyqo6okr4h7myh4i`, "one matter ID",
		func(ctx context.Context, c *client.Client, id string) (any, error) { return c.Matter(ctx, id) })
}

func copyrightOfferCmd() *cobra.Command {
	return getCmd("offer OFFER_ID", "Print a transfer offer your organization made or received",
		`  custos copyright offer nqihfudftxfyqo6okr4h7myh4i`, "one offer ID",
		func(ctx context.Context, c *client.Client, id string) (any, error) { return c.TransferOffer(ctx, id) })
}

// interruptible is a context that ^C cancels.
func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}
