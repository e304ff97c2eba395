package main

import (
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func run(args []string) error {
	root := &cobra.Command{
		Use:           "custos",
		Short:         "Custos: judicial evidence and notarization",
		Long:          "Custos keeps electronic evidence so that any party can check what it was, when it existed and everything that happened to it since.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError("%v (see '%s --help')", err, c.CommandPath())
	})
	root.AddCommand(serveCmd(), submitCmd(), verifyCmd(), consistencyCmd(), fsckCmd(), consortiumCmd(), orgCmd(), keyCmd(), matterCmd(), shareCmd(), webhookCmd(), listCmd(), receiptCmd(), lookupCmd(), downloadCmd(), custodyCmd(), copyrightCmd(), certificateCmd(), pkiCmd())
	root.SetArgs(args)
	return root.Execute()
}
