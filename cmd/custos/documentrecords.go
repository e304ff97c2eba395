package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
)

// documentRecordsCmd is `custos evidence-record copyright ID` or
// `custos evidence-record certificate ID`: the evidence records of a
// registration's files or a certificate's items, each written to
// DIR/<id>.ers, and a summary of them (the JSON list with --json).
func documentRecordsCmd(cn *conn, kind string) *cobra.Command {
	var dir string
	fetch := map[string]func(*client.Client, context.Context, string) (*wire.DocumentRecords, error){
		"copyright":   (*client.Client).CopyrightRecords,
		"certificate": (*client.Client).CertificateRecords,
	}[kind]
	cmd := &cobra.Command{
		Use:   kind + " ID [-d DIR]",
		Short: documentRecordsHelp[kind][0],
		Long:  documentRecordsHelp[kind][1],
		Args:  positional(1, "one "+kind+" ID"),
		RunE: cn.run(func(ctx context.Context, c *client.Client, a []string) error {
			recs, err := fetch(c, ctx, a[0])
			if err != nil {
				return err
			}
			return writeDocumentRecords(recs, dir)
		}),
	}
	cmd.Flags().StringVarP(&dir, "dir", "d", ".", "write each record to DIR/<id>.ers (DIR is made if need be)")
	return cmd
}

// documentRecordsHelp is each document command's Short and Long.
var documentRecordsHelp = map[string][2]string{
	"copyright": {"Fetch the RFC 4998 evidence records of a copyright registration's files, each written to DIR/<id>.ers",
		`Fetch the RFC 4998 evidence records of a copyright registration's files (its registrant and
owner organizations only), each written to DIR/<evidence ID>.ers in the registration's order, and
list them: evidence ID, SHA-256, status and file. Each verifies offline against its file with
'custos verify --receipt R --file F --trust T --evidence-record E'. A record not built yet (pending:
the file is not anchored yet, or its batch is not built) is not written; then the exit status is 1:
run it again later.`},
	"certificate": {"Fetch the RFC 4998 evidence records of a certificate's items and signed PDF, each written to DIR/<id>.ers",
		`Fetch the RFC 4998 evidence records of a notarial certificate's items (whoever may read the
certificate), and the record over its signed PDF's SHA-256, each written to DIR/<evidence ID>.ers,
the PDF's to DIR/<certificate ID>.pdf.ers, and list them: kind, ID, SHA-256, status and file. The
PDF's record keeps the signed PDF provable after its signature's TSA certificate expires: it
verifies against the PDF's bytes with any RFC 4998 implementation (Bouncy Castle's
ERSEvidenceRecord) and the trust bundle's TSA roots. A record not built yet (pending: the node
builds the PDF's shortly after issuing it) is not written; then the exit status is 1: run it again
later.`},
}

// recordLine is what writeDocumentRecords prints of one record: the
// record itself stays in its file.
type recordLine struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	SHA256 string `json:"sha256,omitempty"`
	Status string `json:"status"`
	File   string `json:"file,omitempty"`
}

// writeDocumentRecords writes each ready record of recs to dir as
// <id>.ers (the PDF's as <certificate id>.pdf.ers) and prints a line per
// record, or the list as JSON (records included) with --json. It fails
// (exit 1) when a record is pending, after writing the others. A file is
// named after the ID the server gave, so an ID that is not one (a path)
// fails before anything is written.
func writeDocumentRecords(recs *wire.DocumentRecords, dir string) error {
	for _, r := range recs.Records {
		if r.Status == wire.RecordReady && !custody.ValidEvidenceID(r.ID) {
			return failure(1, "fail.record-id", "id", cleanCell(r.ID))
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	lines := make([]recordLine, len(recs.Records))
	pending := 0
	for i, r := range recs.Records {
		lines[i] = recordLine{Kind: r.Kind, ID: r.ID, SHA256: r.SHA256, Status: r.Status}
		if r.Status != wire.RecordReady {
			pending++
			continue
		}
		name := r.ID + ".ers"
		if r.Kind == wire.RecordKindPDF {
			name = r.ID + ".pdf.ers"
		}
		path := filepath.Join(dir, name)
		if _, err := writeFileFrom(path, bytes.NewReader(r.Record)); err != nil {
			return err
		}
		lines[i].File = path
	}
	if err := printValue(lines); err != nil {
		return err
	}
	if pending > 0 {
		return failure(1, "fail.records-pending", "n", pending, "total", len(recs.Records))
	}
	return nil
}
