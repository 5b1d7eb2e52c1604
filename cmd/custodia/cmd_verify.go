package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

func init() { register(newVerifyCmd) }

// verifyOptions are the flags of "custodia verify".
type verifyOptions struct {
	readData bool
	subset   string
	repair   bool
}

func newVerifyCmd(env *cliEnv) *cobra.Command {
	var o verifyOptions
	cmd := &cobra.Command{
		Use:   "verify [--read-data | --read-data-subset PCT] [--repair]",
		Short: "check the repository, optionally reading all data",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd.Context(), env, &o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.readData, "read-data", false, "download all packs and authenticate and re-hash every blob")
	f.StringVar(&o.subset, "read-data-subset", "", "like --read-data for a random `PCT` percent of the packs (e.g. 10 or 10%)")
	f.BoolVar(&o.repair, "repair", false, "rewrite missing or corrupt shards from the intact ones")
	return cmd
}

// verifyJSON is the --json form of a check's report.
type verifyJSON struct {
	Snapshots    int           `json:"snapshots"`
	Trees        int           `json:"trees"`
	DataBlobs    int           `json:"data_blobs"`
	Packs        int           `json:"packs"`
	PacksRead    int           `json:"packs_read"`
	BlobsRead    int           `json:"blobs_read"`
	BytesRead    int64         `json:"bytes_read"`
	Unreferenced int           `json:"unreferenced_packs"`
	Incomplete   []string      `json:"incomplete_writes"`
	Findings     []findingJSON `json:"findings"`
	OK           bool          `json:"ok"`
}

// findingJSON is the --json form of one finding of a check.
type findingJSON struct {
	Severity string `json:"severity"`
	Object   string `json:"object"`
	Message  string `json:"message"`
	Repaired bool   `json:"repaired"`
}

func runVerify(ctx context.Context, env *cliEnv, o *verifyOptions, pos []string) error {
	if len(pos) > 0 {
		return usagef("verify takes no arguments")
	}
	opts := repo.CheckOptions{ReadData: o.readData, Repair: o.repair}
	if o.subset != "" {
		if o.readData {
			return usagef("verify: use either --read-data or --read-data-subset")
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(o.subset, "%"), 64)
		if err != nil || pct <= 0 || pct > 100 {
			return usagef("verify: --read-data-subset wants a percentage in (0, 100], got %q", o.subset)
		}
		opts.ReadDataFraction = pct / 100
	}
	env.gc.floorAtUnlock()
	r, err := env.openRepo(ctx, true)
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	cfg := r.Config()
	if err := storage.CheckSiteLoss(cfg.DataShards, cfg.ParityShards, len(r.Store().Sites())); err != nil {
		env.warnf("%v; to survive a site's loss, back up into a new repository initialised with the default coding", err)
	}
	rep, err := env.lib(r).Verify(ctx, opts)
	if err != nil {
		return err
	}
	env.auditRead(ctx, r, "verify", map[string]string{"read_data": fmt.Sprint(opts.ReadData), "fraction": fmt.Sprint(opts.ReadDataFraction), "repair": fmt.Sprint(opts.Repair), "findings": fmt.Sprint(len(rep.Findings))})
	if env.json {
		findings := make([]findingJSON, len(rep.Findings))
		for i, f := range rep.Findings {
			findings[i] = findingJSON{Severity: f.Severity.String(), Object: f.Object, Message: f.Message, Repaired: f.Repaired}
		}
		if err := env.printJSON(verifyJSON{
			Snapshots: rep.Snapshots, Trees: rep.Trees, DataBlobs: rep.DataBlobs, Packs: rep.Packs,
			PacksRead: rep.PacksRead, BlobsRead: rep.BlobsRead, BytesRead: rep.BytesRead,
			Unreferenced: rep.Unreferenced, Incomplete: append([]string{}, rep.Incomplete...), Findings: findings, OK: !rep.Damaged(),
		}); err != nil {
			return err
		}
	} else {
		for _, f := range rep.Findings {
			fmt.Fprintln(env.stdout, f.String())
		}
		if !env.quiet {
			fmt.Fprintf(env.stdout, "checked %d snapshots, %d trees, %d data blobs, %d packs", rep.Snapshots, rep.Trees, rep.DataBlobs, rep.Packs)
			if opts.ReadData || opts.ReadDataFraction > 0 {
				fmt.Fprintf(env.stdout, "; read %d of %d packs (%s), %d blobs authenticated and re-hashed", rep.PacksRead, rep.Packs, fmtBytes(uint64(rep.BytesRead)), rep.BlobsRead)
			}
			fmt.Fprintln(env.stdout)
			if rep.Unreferenced > 0 {
				fmt.Fprintf(env.stdout, "%d packs are not referenced by the index (left by an interrupted backup; harmless)\n", rep.Unreferenced)
			}
			for _, name := range rep.Incomplete {
				fmt.Fprintf(env.stdout, "incomplete write or delete, not referenced: %s (harmless; prune finishes it)\n", name)
			}
		}
	}
	switch {
	case rep.Lost():
		return &exitError{code: exitFailure, msg: fmt.Sprintf("%d problems found; some data can no longer be read", len(rep.Findings))}
	case rep.Damaged():
		return &exitError{code: exitDamage, msg: fmt.Sprintf("%d problems found; all data is still readable%s", len(rep.Findings), repairedNote(rep, o.repair))}
	}
	if !env.quiet && !env.json {
		fmt.Fprintln(env.stdout, "no problems found")
	}
	return nil
}

func repairedNote(rep *repo.CheckReport, asked bool) string {
	if !asked {
		return " (run 'custodia verify --repair' to restore full redundancy)"
	}
	for _, f := range rep.Findings {
		if !f.Repaired {
			return "; some could not be repaired"
		}
	}
	return "; all repaired"
}
