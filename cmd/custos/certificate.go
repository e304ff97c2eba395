package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/internal/atomicfile"
)

// certificateCmd is `custos certificate issue|get|list|pdf`: notarial
// certificates through the API.
func certificateCmd() *cobra.Command {
	cn := &conn{}
	var in wire.CertificateInput
	var ids string
	var app applicantFlags
	issue := &cobra.Command{
		Use:   "issue (--evidence ID[,ID...] | --matter TITLE|ID) [--applicant-org NAME|ID | --applicant-name NAME --applicant-id NUMBER [--applicant-id-type passport]]",
		Short: "Issue a notarial certificate over evidence items (notary or admin key)",
		Long: "Issue asks for a notarial certificate over evidence items, named one by one or as a matter. " +
			"The applicant (申请人) printed on it is, by default, the items' owner (they must then all belong to one organization); " +
			"name another with --applicant-org, or a natural person with --applicant-name and --applicant-id " +
			"(a resident ID number, or a passport number with --applicant-id-type passport). The PDF prints the person's number masked. " +
			"--matter takes a matter's title or ID, --applicant-org an organization's name or ID.",
		Example: "  custos certificate issue --matter \"Zhang v. Li\" --applicant-org \"Hangzhou Xihu Law Firm\"",
		Args:    positional(0, "no arguments"),
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			if (ids == "") == (in.Matter == "") {
				return usageError("usage.cert-one-of", "cmd", cmd.CommandPath())
			}
			if ids != "" {
				in.Evidence = strings.Split(ids, ",")
			}
			var err error
			in.Applicant, err = app.input(cmd)
			return err
		},
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return c.IssueCertificate(ctx, in)
		}),
	}
	issue.Flags().StringVar(&ids, "evidence", "", "evidence IDs, separated by commas (at most 100)")
	issue.Flags().StringVar(&in.Matter, "matter", "", "a matter, by title or ID: every item of it you may see")
	issue.Flags().StringVar(&in.Lang, "lang", "", "the language of the certificate's body: zh (the default) or en")
	app.flags(issue)
	get := &cobra.Command{
		Use: "get ID", Short: "Print a certificate record", Args: positional(1, "one certificate ID"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, a []string) (any, error) {
			return c.Certificate(ctx, a[0])
		}),
	}
	list := &cobra.Command{
		Use: "list", Short: "List the certificates your organization may read, newest first", Args: positional(0, "no arguments"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return c.Certificates(ctx, "", 500)
		}),
	}
	return cmdGroup("certificate", "Issue and fetch notarial certificates", cn, issue, get, list, certificatePDFCmd(cn), certNumberingCmd())
}

// applicantFlags are the flags that name a certificate's applicant.
type applicantFlags struct{ org, name, id, idType string }

func (a *applicantFlags) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&a.org, "applicant-org", "", "the applicant is this organization, by name or ID (e.g. \"Hangzhou Xihu Law Firm\"); default: the items' owner")
	cmd.Flags().StringVar(&a.name, "applicant-name", "", "the applicant is a natural person of this name (with --applicant-id)")
	cmd.Flags().StringVar(&a.id, "applicant-id", "", "the person's identity document number (with --applicant-name)")
	cmd.Flags().StringVar(&a.idType, "applicant-id-type", "", "resident_id (the default: a PRC resident ID number) or passport")
}

// input is the applicant the flags name: nil for none (the items' owner).
func (a *applicantFlags) input(cmd *cobra.Command) (*wire.ApplicantInput, error) {
	person := a.name != "" || a.id != "" || a.idType != ""
	switch {
	case a.org != "" && person:
		return nil, usageError("usage.applicant-both", "cmd", cmd.CommandPath())
	case a.org != "":
		return &wire.ApplicantInput{Org: a.org}, nil
	case !person:
		return nil, nil
	case a.name == "" || a.id == "":
		return nil, usageError("usage.applicant-pair", "cmd", cmd.CommandPath())
	}
	return &wire.ApplicantInput{Person: &wire.Person{Name: a.name, IDType: a.idType, IDNumber: a.id}}, nil
}

// certificatePDFCmd is `custos certificate pdf ID -o FILE`.
func certificatePDFCmd(cn *conn) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "pdf ID [-o FILE]",
		Short: "Download a certificate's signed PDF (check it with 'custos verify --pdf' or pdfsig; extract the receipts with pdfdetach)",
		Args:  positional(1, "one certificate ID"),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := cn.client(cmd)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			rc, err := c.CertificatePDF(ctx, a[0])
			if err != nil {
				return err
			}
			defer rc.Close()
			if out == "" || out == "-" {
				_, err = io.Copy(os.Stdout, rc)
				return err
			}
			n, err := writeFileFrom(out, rc)
			if err != nil {
				return err
			}
			savedNotice(a[0], out, n)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the PDF to FILE instead of standard output")
	return cmd
}

// writeFileFrom writes r to the file name and returns the bytes written.
// The bytes go to a part file beside name (the permissions a new file
// gets), fsynced and then renamed over name, so a copy that fails midway
// leaves whatever name held before untouched and no part file behind.
func writeFileFrom(name string, r io.Reader) (int64, error) {
	f, err := createPart(name)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = atomicfile.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
		return 0, err
	}
	return n, nil
}
