package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/storage"
)

// certNumberingCmd shows, and sets, a stopped node's certificate
// numbering: the last number it gave each year, and whether numbering is
// held after a restore (evidence/certificates, numbering.go).
func certNumberingCmd() *cobra.Command {
	var configPath, data string
	var year int
	var next uint64
	cmd := &cobra.Command{
		Use:   "numbering [--data DIR | --config FILE] [--year YEAR --next N]",
		Short: "Show a stopped node's certificate numbering, or set the next number of a year and lift a hold",
		Long: `Numbering reads a stopped node's store (like fsck) and prints the last notarial certificate number
it gave each year, and whether numbering is held. A node holds it when it finds its stores older than the
consortium's chain, as after a restore from a backup: it may have issued certificates after the backup
under numbers it would now give again, so it issues none until an operator has compared the office's
register with these numbers. With --year and --next it sets the next number the node gives that year
(after every number it already gave: a number is never given twice) and lifts the hold. See
docs/operations.md, "Recovering a member".`,
		Example: `  custos certificate numbering --config /var/lib/custos/custos.toml
  custos certificate numbering --config /var/lib/custos/custos.toml --year 2026 --next 58`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (year == 0) != (next == 0) {
				return usageError("usage.numbering")
			}
			cfg, err := loadConfig(configPath)
			if err != nil {
				return usageErrorOf(err)
			}
			if cmd.Flags().Changed("data") || configPath == "" {
				cfg.Data = data
			}
			path := filepath.Join(cfg.Data, "custos.db")
			if _, err := os.Stat(path); err != nil {
				return failure(1, "fail.no-store", "dir", cfg.Data, "file", "custos.db", "why", fileWhy(err))
			}
			db, err := storage.OpenDB(path)
			if errors.Is(err, bolt.ErrTimeout) {
				return failure(1, "fail.numbering-locked", "dir", cfg.Data)
			}
			if err != nil {
				return err
			}
			defer db.Close()
			if year != 0 {
				if err := certificates.SetNext(db, year, next); err != nil {
					return failureOf(1, err)
				}
			}
			hold, last, err := certificates.Numbering(db)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if hold != nil {
				fmt.Fprintln(out, tr("numbering.held", "since", hold.Since.Format(time.RFC3339), "reason", hold.Reason))
			} else {
				fmt.Fprintln(out, tr("numbering.free"))
			}
			years := make([]int, 0, len(last))
			for y := range last {
				years = append(years, y)
			}
			slices.Sort(years)
			for _, y := range years {
				fmt.Fprintln(out, tr("numbering.year", "year", y, "last", last[y], "next", last[y]+1))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file (TOML)")
	cmd.Flags().StringVar(&data, "data", "./custos-data", "data folder")
	cmd.Flags().IntVar(&year, "year", 0, "the year whose next number to set (with --next)")
	cmd.Flags().Uint64Var(&next, "next", 0, "the number the node gives its next certificate of --year: after the last in the office's register")
	return cmd
}
