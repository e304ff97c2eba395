package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence/sharing"
)

// The commands in this file manage a server through its API (package
// api/client): organizations, keys, matters, shares, listing, receipts.

// conn holds the flags every API command takes.
type conn struct{ server, token string }

func (cn *conn) flags(cmd *cobra.Command) {
	cn.serverFlag(cmd)
	cmd.PersistentFlags().StringVar(&cn.token, "token", "", "API token (default: $CUSTOS_TOKEN, else the profile's)")
}

// serverFlag is --server alone, for the commands that need no token.
func (cn *conn) serverFlag(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&cn.server, "server", "", "Custos server URL (default: $CUSTOS_SERVER, the profile's, else "+localServer+")")
}

// client returns a client for the flags, the environment and the saved
// profile (target), or a usage error without a token.
func (cn *conn) client(cmd *cobra.Command) (*client.Client, error) {
	r, err := target(cn.server, cn.token)
	if err != nil {
		return nil, err
	}
	if r.Token == "" {
		return nil, usageError("usage.needs-token", "cmd", cmd.CommandPath())
	}
	return newClient(r.Server, r.Token)
}

// publicClient is a client for the public endpoints: the server as for
// client, and no token.
func (cn *conn) publicClient() (*client.Client, error) {
	r, err := target(cn.server, "-") // a token given ("-", unused) is not looked for in a profile
	if err != nil {
		return nil, err
	}
	return newClient(r.Server, "")
}

// apiRun adapts an API call to a cobra RunE: it interrupts on ^C and
// prints what the call returns as JSON.
func (cn *conn) apiRun(call func(ctx context.Context, c *client.Client, args []string) (any, error)) func(*cobra.Command, []string) error {
	return cn.run(func(ctx context.Context, c *client.Client, args []string) error {
		v, err := call(ctx, c, args)
		if err != nil {
			return err
		}
		return printValue(v)
	})
}

// run adapts an API command that prints its own output to a cobra RunE:
// a client for the flags, and a context that ^C interrupts.
func (cn *conn) run(call func(ctx context.Context, c *client.Client, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := cn.client(cmd)
		if err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		return call(ctx, c, args)
	}
}

// positional checks positional arguments, as a usage error: their number,
// and that none is empty (receipt "$ID" with ID unset: a step before it
// failed), which the server would answer 404.
func positional(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError("usage.takes", "cmd", cmd.CommandPath(), "what", tr("args."+what))
		}
		if slices.Contains(args, "") {
			return usageError("usage.empty-arg", "cmd", cmd.CommandPath())
		}
		return nil
	}
}

// cmdGroup is a command that only holds subcommands.
func cmdGroup(use, short string, cn *conn, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use: use, Short: short, Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError("usage.needs-subcommand", "cmd", cmd.CommandPath())
		},
	}
	cn.flags(cmd)
	cmd.AddCommand(subs...)
	return cmd
}

// requireFlags refuses empty flags, as a usage error: a string flag that is
// empty, or a repeatable flag (StringArray, StringSlice) given no value.
func requireFlags(cmd *cobra.Command, names ...string) error {
	for _, n := range names {
		f := cmd.Flags().Lookup(n)
		if f == nil || flagEmpty(f.Value) {
			return usageError("usage.needs-flag", "cmd", cmd.CommandPath(), "flag", n)
		}
	}
	return nil
}

// flagEmpty reports whether a flag's value is empty. A list flag is read as
// a list (pflag.SliceValue): read as a string, it is never a string flag, so
// every list looked empty and the flag could never be given.
func flagEmpty(v interface{ String() string }) bool {
	if sv, ok := v.(interface{ GetSlice() []string }); ok {
		return len(sv.GetSlice()) == 0
	}
	return v.String() == ""
}

// parseExpiry parses an optional RFC 3339 --expires flag.
func parseExpiry(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, usageError("usage.expires")
	}
	return &t, nil
}

func orgCmd() *cobra.Command {
	cn := &conn{}
	var in wire.OrgInput
	create := &cobra.Command{
		Use: "create --kind KIND --name NAME", Short: "Create an organization (admin)", Args: positional(0, "no arguments"),
		PreRunE: func(cmd *cobra.Command, _ []string) error { return requireFlags(cmd, "kind", "name") },
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return c.CreateOrg(ctx, in)
		}),
	}
	create.Flags().StringVar(&in.Kind, "kind", "", "court, notary, arbitration, lawfirm, ipowner or operator")
	create.Flags().StringVar(&in.Name, "name", "", "the organization's name")
	create.Flags().BoolVar(&in.UnlistedByDefault, "unlisted-by-default", false, "keep the organization's uploads out of the consortium's digest index and the public lookup, unless an upload says otherwise")
	var name string
	var unlisted bool
	var patch wire.OrgPatch // the flags given
	update := &cobra.Command{
		Use: "update ORG [--name NAME] [--unlisted-by-default=true|false]", Short: "Rename an organization or change its settings (admin)",
		Args: positional(1, "one organization, by name or ID"),
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("name") {
				patch.Name = &name
			}
			if cmd.Flags().Changed("unlisted-by-default") {
				patch.UnlistedByDefault = &unlisted
			}
			if patch == (wire.OrgPatch{}) {
				return usageError("usage.org-update", "cmd", cmd.CommandPath())
			}
			return nil
		},
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			return c.UpdateOrg(ctx, a[0], patch)
		}),
	}
	update.Flags().StringVar(&name, "name", "", "a new name (free in the consortium's directory)")
	update.Flags().BoolVar(&unlisted, "unlisted-by-default", false, "keep the organization's uploads out of the consortium's digest index and the public lookup, unless an upload says otherwise")
	list := &cobra.Command{
		Use: "list", Short: "List every organization (admin)", Args: positional(0, "no arguments"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return listOf(c.Orgs(ctx))
		}),
	}
	audit := &cobra.Command{
		Use: "audit ORG", Short: "Print an organization's audit chain", Args: positional(1, "one organization, by name or ID"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			return c.Audit(ctx, a[0])
		}),
	}
	return cmdGroup("org", "Manage organizations", cn, create, update, list, audit)
}

// listOf wraps a complete list as {"items": [...]}, never null.
func listOf[T any](items []T, err error) (any, error) {
	if items == nil {
		items = []T{}
	}
	return wire.ListView[T]{Items: items}, err
}

func keyCmd() *cobra.Command {
	cn := &conn{}
	var org, role, name, expires string
	create := &cobra.Command{
		Use: "create --org ORG --role ROLE --name NAME [--expires RFC3339]", Short: "Create an API key (admin); prints its token once",
		Args:    positional(0, "no arguments"),
		PreRunE: func(cmd *cobra.Command, _ []string) error { return requireFlags(cmd, "org", "role", "name") },
		RunE: func(cmd *cobra.Command, a []string) error {
			exp, err := parseExpiry(expires)
			if err != nil {
				return err
			}
			run := cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
				nk, err := c.CreateKey(ctx, org, wire.KeyInput{Role: wire.Role(role), Name: name, ExpiresAt: exp})
				if err == nil {
					notice("notice.key-created", "id", nk.Key.ID, "role", nk.Key.Role, "org", nk.Key.OrgID)
					notice("notice.key-token")
				}
				return nk, err
			})
			return run(cmd, a)
		},
	}
	create.Flags().StringVar(&org, "org", "", "the organization, by name or ID (e.g. \"Zhong Lun Law Firm\")")
	create.Flags().StringVar(&role, "role", "", "admin, submitter, viewer, examiner or notary")
	create.Flags().StringVar(&name, "name", "", "what the key is for")
	create.Flags().StringVar(&expires, "expires", "", "when the key stops working (RFC 3339); default never")
	var listOrg string
	list := &cobra.Command{
		Use: "list --org ORG", Short: "List an organization's keys (admin)", Args: positional(0, "no arguments"),
		PreRunE: func(cmd *cobra.Command, _ []string) error { return requireFlags(cmd, "org") },
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return listOf(c.Keys(ctx, listOrg))
		}),
	}
	list.Flags().StringVar(&listOrg, "org", "", "the organization, by name or ID")
	revoke := &cobra.Command{
		Use: "revoke KEY", Short: "Revoke an API key at once (admin)", Args: positional(1, "one key ID"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			return c.RevokeKey(ctx, a[0])
		}),
	}
	return cmdGroup("key", "Manage API keys", cn, create, list, revoke)
}

func matterCmd() *cobra.Command {
	cn := &conn{}
	var in sharing.MatterInput
	create := &cobra.Command{
		Use: "create --title TITLE [--party P]... [--case-number C]", Short: "Open a matter of your organization",
		Args:    positional(0, "no arguments"),
		PreRunE: func(cmd *cobra.Command, _ []string) error { return requireFlags(cmd, "title") },
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return c.CreateMatter(ctx, wire.MatterInput(in))
		}),
	}
	create.Flags().StringVar(&in.Title, "title", "", "the matter's title")
	create.Flags().StringArrayVar(&in.Parties, "party", nil, "a party (repeat for each)")
	create.Flags().StringVar(&in.CaseNumber, "case-number", "", "the court's case number")
	list := &cobra.Command{
		Use: "list", Short: "List your organization's matters", Args: positional(0, "no arguments"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return listOf(c.Matters(ctx))
		}),
	}
	return cmdGroup("matter", "Manage matters", cn, create, list)
}

func shareCmd() *cobra.Command {
	cn := &conn{}
	var in wire.ShareInput
	var expires string
	cmd := &cobra.Command{
		Use:   "share (--evidence ID | --matter TITLE|ID) --org NAME|ID [--expires RFC3339]",
		Short: "Share evidence or a matter with another organization; 'share list', 'share revoke ID'",
		Long: "Share grants another organization read access to an evidence item or a whole matter. " +
			"--org takes the organization's name or ID: one of this node, or one the consortium's directory homes on another member. " +
			"--matter takes the matter's title or ID. Names compare after Unicode NFKC and case folding; " +
			"a name that names several, or reads like another organization's name, is refused with the candidates' IDs to choose from.",
		Example: "  custos share --matter \"Zhang v. Li\" --org 杭州互联网法院\n" +
			"  custos share --evidence q3zbf6kqkq4u6x7mw2hbd5xy3a --org w7pxn3c2yhq4gk6v5rj2tdl4me --expires 2027-06-30T00:00:00Z",
		Args: positional(0, "no arguments (or the subcommand list or revoke)"),
		RunE: func(cmd *cobra.Command, a []string) error {
			if (in.Evidence == "") == (in.Matter == "") {
				return usageError("usage.share-one-of")
			}
			if err := requireFlags(cmd, "org"); err != nil {
				return err
			}
			exp, err := parseExpiry(expires)
			if err != nil {
				return err
			}
			in.ExpiresAt = exp
			return cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
				return c.Share(ctx, in)
			})(cmd, a)
		},
	}
	cn.flags(cmd)
	cmd.Flags().StringVar(&in.Evidence, "evidence", "", "the evidence ID to share")
	cmd.Flags().StringVar(&in.Matter, "matter", "", "the matter to share, by title or ID (all its evidence, now and later), e.g. \"Zhang v. Li\"")
	cmd.Flags().StringVar(&in.Org, "org", "", "the organization to share with, by name or ID, e.g. 杭州互联网法院")
	cmd.Flags().StringVar(&expires, "expires", "", "when access ends (RFC 3339); default until revoked")
	var received bool
	list := &cobra.Command{
		Use: "list [--received]", Short: "List the shares your organization made (or received)", Args: positional(0, "no arguments"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return listOf(c.Shares(ctx, received))
		}),
	}
	list.Flags().BoolVar(&received, "received", false, "list the shares made with your organization")
	revoke := &cobra.Command{
		Use: "revoke SHARE", Short: "Revoke a share at once", Args: positional(1, "one share ID"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			return c.RevokeShare(ctx, a[0])
		}),
	}
	cmd.AddCommand(list, revoke)
	return cmd
}

func listCmd() *cobra.Command {
	cn := &conn{}
	var q client.Query
	var all bool
	cmd := &cobra.Command{
		Use:   "list [--matter M] [--sha256 H] [--title T] [--all]",
		Short: "List the evidence your organization may see, newest first (piped: one JSON line per item)",
		Long: "List prints the evidence your organization may see (its own and what is shared with it), newest first: on a terminal as a table, piped (or with --json) as one JSON line per item. " +
			"Without --all it prints one page and, if there are more, the cursor for the next one on standard error. Each listed item gets a \"listed\" custody event.",
		Args: positional(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if q.Limit < 0 || q.Limit > 500 {
				return usageError("usage.limit")
			}
			c, err := cn.client(cmd)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			return listEvidence(ctx, c, q, all)
		},
	}
	cn.flags(cmd)
	cmd.Flags().StringVar(&q.Matter, "matter", "", "only evidence filed into this matter, by title or ID")
	cmd.Flags().StringVar(&q.SHA256, "sha256", "", "only evidence with this SHA-256 (hex)")
	cmd.Flags().StringVar(&q.Title, "title", "", "only evidence whose title contains this text")
	cmd.Flags().StringVar(&q.Cursor, "cursor", "", "continue from this cursor")
	cmd.Flags().IntVar(&q.Limit, "limit", 0, "items per page, 1 to 500 (default: the server's, 50)")
	cmd.Flags().BoolVar(&all, "all", false, "follow the cursor through every page")
	return cmd
}

// listEvidence prints the evidence a query finds: one JSON line per item,
// or on a terminal a table of the pages read.
func listEvidence(ctx context.Context, c *client.Client, q client.Query, all bool) error {
	asJSON := jsonOutput()
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	rows := []wire.EvidenceView{}
	for {
		page, err := c.List(ctx, q)
		if err != nil {
			return err
		}
		for _, v := range page.Items {
			if !asJSON {
				rows = append(rows, v)
			} else if err := enc.Encode(v); err != nil {
				return err
			}
		}
		if page.Next != "" && !all {
			notice("notice.more", "cursor", page.Next)
		}
		if page.Next == "" || !all {
			break
		}
		q.Cursor = page.Next
	}
	if asJSON {
		return nil
	}
	if err := writeHuman(os.Stdout, withMatterTitles(ctx, c, rows)); err != nil {
		return err
	}
	// A court's list is empty when another member's node holds what was
	// shared with it: said for an unfiltered list in a consortium (a node
	// outside one has no directory) only.
	if len(rows) == 0 && q.Matter == "" && q.SHA256 == "" && q.Title == "" && q.Cursor == "" {
		if _, err := c.Directory(ctx, ""); err == nil {
			notice("notice.list-empty")
		}
	}
	return nil
}

// evidenceRow is a row of list's table: an item and its matter's title.
type evidenceRow struct {
	wire.EvidenceView
	MatterTitle string `json:"matter_title,omitempty"`
}

// withMatterTitles gives each row its matter's title where the caller
// can read the matter, for list's table: its organization's matters in
// one request, and each other matter of the rows (one shared with it) in
// one request of its own. A matter it cannot read shows its ID.
func withMatterTitles(ctx context.Context, c *client.Client, items []wire.EvidenceView) []evidenceRow {
	rows := make([]evidenceRow, len(items))
	var titles map[string]string
	for i, v := range items {
		rows[i].EvidenceView = v
		if v.Matter == "" {
			continue
		}
		if titles == nil {
			titles = map[string]string{}
			own, _ := c.Matters(ctx) // none on failure: each is then asked for alone
			for _, m := range own {
				titles[m.ID] = m.Title
			}
		}
		t, ok := titles[v.Matter]
		if !ok {
			t = matterTitle(ctx, c, v.Matter)
			titles[v.Matter] = t // "" if unreadable: asked once
		}
		rows[i].MatterTitle = t
	}
	return rows
}

// matterTitle is the title of the matter id, in one request, or "" where
// the caller cannot read it (refused, gone, or a failed request).
func matterTitle(ctx context.Context, c *client.Client, id string) string {
	m, err := c.Matter(ctx, id)
	if err != nil {
		return ""
	}
	return m.Title
}

// withMatterTitle is an item as evidence get's record view shows it: its
// matter by title and ID ("matter: 张三诉李四 (ID m4k2…)", in Chinese
// "案件：张三诉李四（编号 m4k2…）") where the caller can read the matter,
// in one request, else by ID as the API has it. The ID stays, as it is
// what 'custos matter get' takes.
func withMatterTitle(ctx context.Context, c *client.Client, v *wire.EvidenceView) *wire.EvidenceView {
	if v.Matter == "" {
		return v
	}
	t := matterTitle(ctx, c, v.Matter)
	if t == "" {
		return v
	}
	shown := *v
	shown.Matter = tr("out.matter-titled", "id", v.Matter, "title", t) // the ID first: a title may hold "{id}"
	return &shown
}

func receiptCmd() *cobra.Command {
	cn := &conn{}
	var wait time.Duration
	var out string
	cmd := &cobra.Command{
		Use:   "receipt ID [--wait 20s] [-o FILE]",
		Short: "Fetch an evidence item's receipt (its canonical bytes) for 'custos verify'",
		Args:  positional(1, "one evidence ID"),
		RunE: func(cmd *cobra.Command, a []string) error {
			if wait < 0 || wait > wire.MaxReceiptWait {
				return usageError("usage.wait", "max", wire.MaxReceiptWait)
			}
			c, err := cn.client(cmd)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			shown := waitingOn(wait, tr("progress.wait-receipt", "id", a[0], "wait", wait))
			b, err := c.Receipt(ctx, a[0], wait)
			shown()
			var pe *client.PendingError
			if errors.As(err, &pe) {
				return failure(1, "fail.pending", "id", pe.View.ID, "status", cellValue(pe.View.Status), "max", fmt.Sprintf("%gs", wire.MaxReceiptWait.Seconds()))
			}
			if errors.Is(err, client.ErrPending) {
				return failure(1, "fail.wait", "err", err)
			}
			if err != nil {
				return err
			}
			return saveOutput(out, a[0], b)
		},
	}
	cn.flags(cmd)
	cmd.Flags().DurationVar(&wait, "wait", 0, "wait up to this long for the item to be anchored (at most 60s)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the receipt to FILE instead of standard output")
	return cmd
}

func webhookCmd() *cobra.Command {
	cn := &conn{}
	var in wire.WebhookInput
	create := &cobra.Command{
		Use: "create --url URL --event E...", Short: "Register a webhook (its signing secret is shown once)",
		Args:    positional(0, "no arguments"),
		PreRunE: func(cmd *cobra.Command, _ []string) error { return requireFlags(cmd, "url", "event") },
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			nw, err := c.CreateWebhook(ctx, in)
			if err == nil {
				notice("notice.webhook-secret")
			}
			return nw, err
		}),
	}
	create.Flags().StringVar(&in.URL, "url", "", "the receiver's https URL")
	create.Flags().StringArrayVar(&in.Events, "event", nil, "evidence.timestamped, evidence.anchored, evidence.shared or copyright.transfer (repeat for each)")
	list := &cobra.Command{
		Use: "list", Short: "List your organization's webhooks", Args: positional(0, "no arguments"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return listOf(c.Webhooks(ctx))
		}),
	}
	del := &cobra.Command{
		Use: "delete ID", Short: "Remove a webhook and its pending deliveries", Args: positional(1, "a webhook ID"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			return c.DeleteWebhook(ctx, args[0])
		}),
	}
	adopt := &cobra.Command{
		Use: "adopt ID", Short: "Make your key a webhook's creator, resuming it, with a new secret (shown once)", Args: positional(1, "a webhook ID"),
		Long: `adopt makes your key the webhook's creator (created_by). A webhook is paused while the key
that registered it is revoked, expired or gone: its events are queued but not sent. Adopting it
resumes it, and the events queued meanwhile are sent at once. The webhook gets a new signing
secret, printed this once: the holder of the old key knows the old one, which no longer signs.
Put the new secret in the receiver. Needs a key with the webhooks permission.`,
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			nw, err := c.AdoptWebhook(ctx, args[0])
			if err == nil {
				notice("notice.webhook-secret")
			}
			return nw, err
		}),
	}
	var limit int
	deliveries := &cobra.Command{
		Use: "deliveries ID [--limit N]", Short: "Show a webhook's delivery log, newest first", Args: positional(1, "a webhook ID"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			return listOf(c.Deliveries(ctx, args[0], limit))
		}),
	}
	deliveries.Flags().IntVar(&limit, "limit", 0, "at most this many deliveries")
	return cmdGroup("webhook", "Manage your organization's webhooks", cn, create, list, del, adopt, deliveries)
}
