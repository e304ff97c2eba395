package main

import (
	"context"
	"errors"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func run(args []string) error {
	setLanguage()
	root := newRoot()
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	err = byFlag(cmd, err)
	if err != nil && strings.HasPrefix(err.Error(), "unknown command ") { // cobra's, for the root
		return usageErrorOf(cobraError(err))
	}
	var ee exitError
	if err != nil && !errors.As(err, &ee) { // cobra's (arguments, required flags) or a library's
		if u := unreachable(err); u != nil { // no server answered: say so in the CLI's language
			return u
		}
		if errors.Is(err, context.Canceled) { // ^C between requests (receipt --wait, a poll)
			return failure(1, "why.interrupted")
		}
		return cobraError(err)
	}
	return err
}

// newRoot builds the command tree.
func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "custos",
		Short: "Custos: judicial evidence and notarization",
		Long: `Custos keeps electronic evidence so that any party can check what it was, when it existed and everything that happened to it since.

The commands that talk to a server take --server and --token, else $CUSTOS_SERVER and $CUSTOS_TOKEN,
else the profile 'custos login' saved. On a terminal they print tables; piped or with --json, JSON.
docs/cli.md is the reference, with the exit statuses.`,
		Example: `  custos login --server https://custos.firm.example
  custos submit contract.pdf --title "Supply contract"
  custos list --json | jq -r '.id'`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetFlagErrorFunc(flagError)
	root.PersistentFlags().BoolVar(&forceJSON, "json", false, "print JSON even on a terminal (piped output is JSON anyway)")
	root.PersistentFlags().StringVar(&profileFlag, "profile", "", "use this saved profile (default: $CUSTOS_PROFILE, else the current one)")
	root.RegisterFlagCompletionFunc("profile", completeProfiles)
	root.AddCommand(serveCmd(), submitCmd(), verifyCmd(), consistencyCmd(), fsckCmd(), consortiumCmd(),
		withSubs(orgCmd(), orgGetCmd()), keyCmd(), withSubs(matterCmd(), matterGetCmd()), shareCmd(), webhookCmd(),
		listCmd(), receiptCmd(), evidenceRecordCmd(), lookupCmd(), downloadCmd(), custodyCmd(), withSubs(copyrightCmd(), copyrightOfferCmd()),
		certificateCmd(), pkiCmd(), loginCmd(), logoutCmd(), profileCmd(), meCmd(), evidenceCmd(), logCmd(),
		directoryCmd(), trustCmd(), integrityCmd(), documentCmd(), peerCmd())
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	setExamples(root)
	if inChinese() {
		speakChinese(root)
	}
	walk(root, func(c *cobra.Command) {
		if c.HasParent() && c.HasSubCommands() && !c.Runnable() { // consortium, pki, completion…: like cmdGroup
			c.Args = cobra.ArbitraryArgs
			c.RunE = func(cmd *cobra.Command, _ []string) error {
				return usageError("usage.needs-subcommand", "cmd", cmd.CommandPath())
			}
		}
	})
	return root
}

// flagError is a usage error for a flag cobra or pflag could not parse, in
// the CLI's language. A duration without its unit (--wait 5) says what a
// duration looks like rather than Go's "time: missing unit in duration":
// every duration flag is pflag's, so one check covers them all.
func flagError(c *cobra.Command, err error) error {
	var bad *pflag.InvalidValueError
	if errors.As(err, &bad) && bad.GetFlag().Value.Type() == "duration" {
		return usageError("usage.duration", "flag", "--"+bad.GetFlag().Name, "value", bad.GetValue(), "cmd", c.CommandPath())
	}
	return usageError("usage.flag", "err", cobraWords(err.Error()), "cmd", c.CommandPath())
}

// withSubs adds subcommands to a group.
func withSubs(group *cobra.Command, subs ...*cobra.Command) *cobra.Command {
	group.AddCommand(subs...)
	return group
}
