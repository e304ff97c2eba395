package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
)

func submitCmd() *cobra.Command {
	var cn conn
	var title, caseRef, description, matter string
	var quiet, unlisted bool
	cmd := &cobra.Command{
		Use:   "submit [--title T] [--matter M] FILE...",
		Short: "File evidence: stream each file to a Custos server and print the records (piped: JSON lines)",
		RunE: func(cmd *cobra.Command, files []string) error {
			if len(files) == 0 {
				return usageError("usage.submit-file")
			}
			c, err := cn.client(cmd)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			meta := evidence.Meta{Title: title, CaseRef: caseRef, Description: description, Matter: matter}
			if cmd.Flags().Changed("unlisted") { // else the organization's default
				meta.Unlisted = &unlisted
			}
			showBar := progressOn(os.Stderr, quiet)
			failed := 0
			asJSON := jsonOutput()
			enc := json.NewEncoder(os.Stdout)
			enc.SetEscapeHTML(false)
			var filed []wire.EvidenceView
			for _, f := range files {
				res, err := submitFile(ctx, c, f, meta, showBar)
				if errors.Is(err, context.Canceled) { // ^C: show what was filed, and stop
					showFiled(filed)
					return failure(1, "fail.submit-interrupted", "path", f)
				}
				if u := unreachable(err); u != nil {
					showFiled(filed)
					return u // the next files would fail the same way
				}
				if err != nil {
					failed++
					notice("notice.file-failed", "path", f, "err", fileWhy(byFlag(cmd, err)))
					continue
				}
				if !asJSON {
					filed = append(filed, *res)
				} else if err := enc.Encode(res); err != nil {
					return err
				}
			}
			if len(filed) > 0 {
				if err := writeHuman(os.Stdout, withMatterTitles(ctx, c, filed)); err != nil { // as list's table
					return err
				}
			}
			if failed > 0 {
				return failure(1, "fail.not-filed", "failed", failed, "n", len(files))
			}
			return nil
		},
	}
	cn.flags(cmd)
	cmd.Flags().StringVar(&title, "title", "", "title for every file")
	cmd.Flags().StringVar(&caseRef, "case", "", "case reference for every file")
	cmd.Flags().StringVar(&description, "description", "", "description for every file")
	cmd.Flags().StringVar(&matter, "matter", "", "file every file into this matter of your organization, by title or ID (e.g. \"Zhang v. Li\")")
	cmd.Flags().BoolVar(&unlisted, "unlisted", false, "keep these items out of the consortium's digest index and the public lookup (--unlisted=false: list them); without it, as the organization's unlisted_by_default says")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	return cmd
}

// showFiled prints the table of the files filed before a run stopped
// (^C, or the server gone), without their matters' titles: there is no
// asking the server for them. Piped, they were printed as they were filed.
func showFiled(filed []wire.EvidenceView) {
	if len(filed) > 0 {
		_ = writeHuman(os.Stdout, filed)
	}
}

func submitFile(ctx context.Context, c *client.Client, path string, meta evidence.Meta, showBar bool) (*wire.EvidenceView, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New(tr("why.not-regular"))
	}
	var body io.Reader = f
	if showBar && st.Size() >= progressThreshold {
		bar := bytesBar(st.Size(), tr("progress.upload", "file", filepath.Base(path)))
		defer bar.Close()
		r := progressbar.NewReader(f, bar)
		body = &r
	}
	return c.Submit(ctx, client.Upload{
		Body: body, Size: st.Size(), FileName: filepath.Base(path),
		MediaType: mime.TypeByExtension(filepath.Ext(path)), Meta: wire.Meta(meta),
	})
}
