package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/receipt"
)

func consistencyCmd() *cobra.Command {
	var older, newer, trustPath, server, proofPath string
	cmd := &cobra.Command{
		Use:   "consistency --old FILE --new FILE --trust BUNDLE (--server URL | --proof FILE)",
		Short: "Prove that the log at an older checkpoint is a prefix of the log at a newer one (the history was not rewritten)",
		Long: `FILE is a receipt or a checkpoint (GET /api/v1/log/checkpoint). Both checkpoints are verified against the
trust bundle, then the RFC 6962 consistency proof between their tree sizes, fetched from --server or read from
--proof (the JSON of GET /api/v1/log/consistency); without either, from $CUSTOS_SERVER or the profile's server.
Exit 0 consistent, 1 not, 2 usage error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if server == "" && proofPath == "" { // $CUSTOS_SERVER or the profile's, if any
				if r, err := target("", "-"); err == nil && r.ServerFrom != "default" {
					server = r.Server
				}
			}
			if older == "" || newer == "" || trustPath == "" || (server == "") == (proofPath == "") {
				return usageError("usage.consistency")
			}
			cp1, err := readCheckpoint(older)
			if err != nil {
				return usageErrorOf(err)
			}
			cp2, err := readCheckpoint(newer)
			if err != nil {
				return usageErrorOf(err)
			}
			tb, err := os.ReadFile(trustPath)
			if err != nil {
				return usageError("usage.file-unread", "path", trustPath, "err", fileWhy(err))
			}
			trust, err := receipt.ParseTrust(tb)
			if err != nil {
				return usageError("usage.trust-bundle", "path", trustPath, "err", err)
			}
			v, err := receipt.NewVerifier(trust)
			if err != nil {
				return usageError("usage.trust-bundle", "path", trustPath, "err", err)
			}
			var p wire.ConsistencyView
			if proofPath != "" {
				err = readJSON(proofPath, &p)
			} else {
				err = fetchConsistency(cmd.Context(), server, cp1.TreeSize, cp2.TreeSize, &p)
			}
			if err != nil {
				return usageError("usage.consistency-proof", "err", err)
			}
			if p.First != cp1.TreeSize || p.Second != cp2.TreeSize {
				return failure(1, "fail.proof-sizes", "first", p.First, "second", p.Second, "old", cp1.TreeSize, "new", cp2.TreeSize)
			}
			if err := v.VerifyConsistency(cp1, cp2, p.Proof); err != nil {
				var ve *receipt.VerifyError
				if errors.As(err, &ve) {
					return failure(1, "fail.not-consistent", "step", ve.Step, "want", ve.Want, "got", ve.Got)
				}
				return failureOf(1, err)
			}
			out := cmd.OutOrStdout()
			for _, cp := range []*receipt.Checkpoint{cp1, cp2} {
				fmt.Fprintln(out, tr("out.consistency-checkpoint", "chain", cp.ChainID, "height", cp.Height, "size", cp.TreeSize, "root", cp.Root))
			}
			fmt.Fprintln(out, tr("out.consistency-prefix", "size", cp1.TreeSize))
			fmt.Fprintln(out, tr("out.consistent"))
			return nil
		},
	}
	cmd.Flags().StringVar(&older, "old", "", "the older receipt or checkpoint")
	cmd.Flags().StringVar(&newer, "new", "", "the newer receipt or checkpoint")
	cmd.Flags().StringVar(&trustPath, "trust", "", "the consortium trust bundle")
	cmd.Flags().StringVar(&server, "server", "", "a Custos node to ask for the proof (default: $CUSTOS_SERVER, else the profile's)")
	cmd.Flags().StringVar(&proofPath, "proof", "", "the proof, saved from GET /api/v1/log/consistency")
	return cmd
}

// readCheckpoint reads a checkpoint, or the checkpoint of a receipt.
func readCheckpoint(path string) (*receipt.Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError("usage.file-unread", "path", path, "err", fileWhy(err))
	}
	if r, err := receipt.Parse(b); err == nil {
		return &r.Checkpoint, nil
	}
	var cp receipt.Checkpoint
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cp); err != nil || cp.ChainID == "" {
		return nil, fmt.Errorf("%s is neither a receipt nor a checkpoint", path)
	}
	return &cp, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func fetchConsistency(ctx context.Context, server string, first, second uint64, out *wire.ConsistencyView) error {
	if ctx == nil {
		ctx = context.Background()
	}
	t, err := cliTimeouts(os.Getenv) // $CUSTOS_TIMEOUT bounds the call
	if err != nil {
		return err
	}
	u := fmt.Sprintf("%s/api/v1/log/consistency?first=%d&second=%d", strings.TrimRight(server, "/"), first, second)
	if _, err := url.Parse(u); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := t.HTTPClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", server, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
