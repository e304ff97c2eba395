package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/api/wire"
)

// lookupCmd is `custos lookup`: the public lookup by digest, from the
// command line, with no token.
func lookupCmd() *cobra.Command {
	var cn conn
	var sha, sm3 string
	cmd := &cobra.Command{
		Use:   "lookup (FILE | --sha256 HEX | --sm3 HEX) [--server URL]",
		Short: "Ask a node whether a file was deposited and anchored, at it or at any member of its consortium",
		Long: `Lookup asks a node, without a token, whether evidence with a file's digest was deposited and anchored,
and when: at that node, or, once the consortium's chain runs state version 4, at any member (the
consortium's digest index), with the member whose node filed it first. Give a FILE (its SHA-256 is
computed here; the file is not sent), or a digest with --sha256 or --sm3. It prints the answer (a table
on a terminal; piped, or with --json, JSON); nothing about the evidence's owner or metadata is revealed.

Exit status: 0 anchored; 1 not anchored (unknown, or not anchored yet); 2 usage error.

Example:
  custos lookup contract.pdf --server https://custos.court.example`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			given := 0
			for _, ok := range []bool{len(args) == 1, sha != "", sm3 != ""} {
				if ok {
					given++
				}
			}
			if given != 1 {
				return usageError("usage.lookup-one-of")
			}
			if len(args) == 1 {
				sum, err := fileSHA256(args[0])
				if err != nil {
					return usageError("usage.file-unread", "path", args[0], "err", fileWhy(err))
				}
				sha = sum
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			c, err := cn.publicClient()
			if err != nil {
				return err
			}
			var l *wire.Lookup
			if sm3 != "" {
				l, err = c.LookupSM3(ctx, sm3)
			} else {
				l, err = c.Lookup(ctx, sha)
			}
			if err != nil {
				return err
			}
			if err := printValue(l); err != nil {
				return err
			}
			if !l.Anchored {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cn.serverFlag(cmd)
	cmd.Flags().StringVar(&sha, "sha256", "", "the SHA-256 digest, 64 lowercase hex digits")
	cmd.Flags().StringVar(&sm3, "sm3", "", "the SM3 digest, 64 lowercase hex digits")
	return cmd
}

// fileSHA256 is the hex SHA-256 of a file's bytes.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
