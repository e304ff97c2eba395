package main

import (
	"context"
	"encoding/hex"
	"errors"
	"mime"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence/copyright"
)

// copyrightCmd is `custos copyright ...`: register works, search the
// register, fetch certificates, transfer and revoke registrations.
func copyrightCmd() *cobra.Command {
	cn := &conn{}
	var metaFile string
	var wait time.Duration
	register := &cobra.Command{
		Use:   "register --metadata WORK.json FILE...",
		Short: "Register a work with its files; prints the registration (with its number)",
		Long: "Register reads the work's metadata from WORK.json (title, type, authors, owner, created, first_publication) " +
			"and uploads it with the files in one request; each file becomes an evidence item of your organization. " +
			"On a consortium the chain numbers the registration when it is final (usually within a second): register " +
			"waits up to --wait for the number; past that it prints the registration as pending, and " +
			"`custos copyright get ID` shows the number once it is assigned.",
		Example: `  custos copyright register --metadata work.json photo.png`,
		Args:    cobra.MinimumNArgs(1),
		PreRunE: func(cmd *cobra.Command, _ []string) error { return requireFlags(cmd, "metadata") },
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, paths []string) (any, error) {
			b, err := os.ReadFile(metaFile)
			if err != nil {
				return nil, usageError("usage.metadata-file", "path", metaFile, "err", fileWhy(err))
			}
			w, err := copyright.ParseWork(b, time.Now())
			if err != nil {
				return nil, usageError("usage.metadata-file", "path", metaFile, "err", metadataWhy(err))
			}
			files, closeAll, err := openFiles(paths)
			if err != nil {
				return nil, err
			}
			defer closeAll()
			stop := waitingOn(wait, tr("progress.wait-copyright", "title", w.Title, "wait", wait))
			cr, err := c.RegisterCopyrightWait(ctx, wire.Work{Title: w.Title, Type: w.Type, Authors: w.Authors, Owner: w.Owner,
				Created: w.Created, FirstPublication: (*wire.Publication)(w.FirstPublication)}, files, wait)
			stop()
			if err == nil && cr.Number == "" && cr.Status == "pending" { // registered, not numbered within --wait
				notice("notice.copyright-pending", "id", cr.ID, "wait", wait)
			}
			return cr, err
		}),
	}
	register.Flags().StringVar(&metaFile, "metadata", "", "the work's metadata (JSON)")
	register.Flags().DurationVar(&wait, "wait", 10*time.Second, "how long to wait for the registration number (0: do not wait)")
	var sha, number string
	search := &cobra.Command{
		Use:   "search (--sha256 HEX | --number N | FILE)",
		Short: "List the registrations that hold a file, every member's, first registered first (images: near-duplicates too)",
		Example: `  custos copyright search photo.png
  custos copyright search --number 'CUS-(2026)-作登字-M1-000001'`,
		Args: cobra.MaximumNArgs(1),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			given := 0
			for _, ok := range []bool{sha != "", number != "", len(a) > 0} {
				if ok {
					given++
				}
			}
			if given != 1 {
				return nil, usageError("usage.search-one-of")
			}
			if number != "" {
				return c.SearchCopyrightsNumber(ctx, number)
			}
			if sha != "" {
				if b, err := hex.DecodeString(sha); err != nil || len(b) != 32 {
					return nil, usageError("usage.sha256")
				}
				return c.SearchCopyrights(ctx, sha)
			}
			files, closeAll, err := openFiles(a)
			if err != nil {
				return nil, err
			}
			defer closeAll()
			return c.SearchCopyrightsFile(ctx, files[0])
		}),
	}
	search.Flags().StringVar(&sha, "sha256", "", "the file's SHA-256 (hex)")
	search.Flags().StringVar(&number, "number", "", "a registration number (the consortium's, or a legacy one)")
	get := &cobra.Command{
		Use: "get ID", Short: "Print a registration", Args: positional(1, "one registration ID"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, a []string) (any, error) { return c.Copyright(ctx, a[0]) }),
	}
	list := &cobra.Command{
		Use: "list", Short: "List your organization's registrations", Args: positional(0, "no arguments"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) { return listOf(c.Copyrights(ctx)) }),
	}
	var out, lang string
	pdf := &cobra.Command{
		Use: "pdf ID [--lang zh|en] -o FILE", Short: "Save the signed registration certificate (PDF)", Args: positional(1, "one registration ID"),
		PreRunE: func(cmd *cobra.Command, _ []string) error { return requireFlags(cmd, "output") },
		RunE: cn.run(func(ctx context.Context, c *client.Client, a []string) error {
			b, err := c.CopyrightPDFLang(ctx, a[0], lang)
			if err != nil {
				return err
			}
			return saveOutput(out, a[0], b)
		}),
	}
	pdf.Flags().StringVarP(&out, "output", "o", "", "write the PDF to FILE")
	pdf.Flags().StringVar(&lang, "lang", "", "the language of the certificate's body: zh (the default) or en; each is a certificate of its own")
	var to string
	var days int
	transfer := &cobra.Command{
		Use: "transfer ID --to NAME|ID [--expires-in-days N]", Short: "Offer a registration to another organization (it changes hands when the recipient accepts)",
		Example: "  custos copyright transfer q3zbf6kqkq4u6x7mw2hbd5xy3a --to \"Xihu Media Ltd\" --expires-in-days 30",
		Args:    positional(1, "one registration ID"),
		PreRunE: func(cmd *cobra.Command, _ []string) error { return requireFlags(cmd, "to") },
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			return c.OfferTransfer(ctx, a[0], to, days)
		}),
	}
	transfer.Flags().StringVar(&to, "to", "", "the recipient organization of this node, by name or ID (e.g. \"Xihu Media Ltd\")")
	transfer.Flags().IntVar(&days, "expires-in-days", 0, "days the offer waits for an answer (default 14, 1 to 90)")
	var status string
	offers := &cobra.Command{
		Use: "offers [--status STATUS]", Short: "List the transfer offers your organization made or received", Args: cobra.NoArgs,
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			offers, err := c.TransferOffers(ctx, status)
			if err != nil || jsonOutput() {
				return offers, err
			}
			return withRegistrationTitles(ctx, c, offers), nil
		}),
	}
	offers.Flags().StringVar(&status, "status", "", "only offers that are pending, accepted, declined, withdrawn or expired")
	accept := &cobra.Command{
		Use: "accept OFFER_ID", Short: "Accept a transfer offer addressed to your organization", Args: positional(1, "one offer ID"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			return c.AcceptTransfer(ctx, a[0])
		}),
	}
	decline := &cobra.Command{
		Use: "decline OFFER_ID", Short: "Decline a transfer offer addressed to your organization", Args: positional(1, "one offer ID"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			return c.DeclineTransfer(ctx, a[0])
		}),
	}
	withdraw := &cobra.Command{
		Use: "withdraw OFFER_ID", Short: "Withdraw a transfer offer your organization made", Args: positional(1, "one offer ID"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			return c.WithdrawTransfer(ctx, a[0])
		}),
	}
	var reason string
	revoke := &cobra.Command{
		Use: "revoke ID --reason TEXT", Short: "Revoke a registration", Args: positional(1, "one registration ID"),
		PreRunE: func(cmd *cobra.Command, _ []string) error { return requireFlags(cmd, "reason") },
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			return c.RevokeCopyright(ctx, a[0], reason)
		}),
	}
	revoke.Flags().StringVar(&reason, "reason", "", "why it is revoked")
	return cmdGroup("copyright", "Register works and search the copyright register", cn, register, search, get, list, pdf,
		transfer, offers, accept, decline, withdraw, revoke)
}

// offerRow is a row of copyright offers' table: an offer and its
// registration's title.
type offerRow struct {
	wire.TransferOffer
	CopyrightTitle string `json:"copyright_title,omitempty"`
}

// withRegistrationTitles gives each offer its registration's title, for
// the offers' table: the organization's registrations in one request, and
// each other registration (one offered to it) in one request of its own.
// A registration it cannot read shows its ID.
func withRegistrationTitles(ctx context.Context, c *client.Client, offers []wire.TransferOffer) []offerRow {
	rows := make([]offerRow, len(offers))
	var titles map[string]string
	for i, o := range offers {
		rows[i].TransferOffer = o
		if titles == nil {
			titles = map[string]string{}
			own, _ := c.Copyrights(ctx) // none on failure: each is then asked for alone
			for _, r := range own {
				titles[r.ID] = r.Title
			}
		}
		t, ok := titles[o.Copyright]
		if !ok {
			if r, err := c.Copyright(ctx, o.Copyright); err == nil {
				t = r.Title
			}
			titles[o.Copyright] = t // "" if unreadable: asked once
		}
		rows[i].CopyrightTitle = t
	}
	return rows
}

// openFiles opens regular files for upload; closeAll closes them.
func openFiles(paths []string) (files []client.File, closeAll func(), err error) {
	var opened []*os.File
	closeAll = func() {
		for _, f := range opened {
			f.Close()
		}
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			closeAll()
			return nil, nil, errors.New(tr("usage.file-unread", "path", p, "err", fileWhy(err)))
		}
		opened = append(opened, f)
		if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
			closeAll()
			return nil, nil, errors.New(tr("usage.file-unread", "path", p, "err", tr("why.not-regular")))
		}
		files = append(files, client.File{Name: filepath.Base(p), MediaType: mime.TypeByExtension(filepath.Ext(p)), Body: f})
	}
	return files, closeAll, nil
}
