package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/repo"
)

func init() { register(newPruneCmd) }

// pruneFlags are prune's options, shared with forget --prune.
type pruneFlags struct {
	margin    time.Duration
	maxUnused float64
	memoryMiB int
	tempDir   string
}

func (f *pruneFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.DurationVar(&f.margin, "margin", repo.DefaultPruneMargin, "wait `DURATION` between marking data unused and deleting it; longer than twice any backup plus clock skew")
	fl.Float64Var(&f.maxUnused, "max-unused", 50, "rewrite packs with more than `PCT` percent unused bytes (100: never)")
	fl.IntVar(&f.memoryMiB, "max-memory", repo.DefaultPruneMemory>>20, "memory for blob IDs in `MiB`; beyond it they spill to temporary files")
	fl.StringVar(&f.tempDir, "temp-dir", "", "folder for the spilled blob IDs (default: the system's)")
}

func (f *pruneFlags) options(cmdName string) (repo.PruneOptions, error) {
	if f.margin <= 0 {
		return repo.PruneOptions{}, usagef("%s: --margin must be positive", cmdName)
	}
	if f.maxUnused <= 0 || f.maxUnused > 100 {
		return repo.PruneOptions{}, usagef("%s: --max-unused wants a percentage in (0, 100], got %g", cmdName, f.maxUnused)
	}
	if f.memoryMiB < 1 {
		return repo.PruneOptions{}, usagef("%s: --max-memory wants at least 1 MiB", cmdName)
	}
	return repo.PruneOptions{Margin: f.margin, MaxUnused: f.maxUnused / 100, Memory: f.memoryMiB << 20, TempDir: f.tempDir}, nil
}

func newPruneCmd(env *cliEnv) *cobra.Command {
	var (
		f      pruneFlags
		dryRun bool
	)
	cmd := &cobra.Command{
		Use:   "prune [--margin DURATION] [--max-unused PCT] [--max-memory MiB] [--dry-run]",
		Short: "delete data no snapshot uses, safely beside running backups",
		Long: `prune works in two phases: each run deletes what an earlier run marked at
least --margin ago and that is still unused, then marks what is unused now.
Backups may run meanwhile, without any lock. Run it regularly (e.g. daily
after forget); data is freed one margin after it became unused. See
docs/FORMAT.md section 19.6.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.options("prune")
			if err != nil {
				return err
			}
			opts.DryRun = dryRun
			r, err := env.openRepo(cmd.Context(), false, repo.WithoutIndex())
			if err != nil {
				return err
			}
			defer env.closeRepo(r)
			return runPrune(cmd.Context(), env, r, opts)
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "delete and mark nothing; print what would be done")
	return cmd
}

func runPrune(ctx context.Context, env *cliEnv, r *repo.Repository, opts repo.PruneOptions) error {
	rep, err := r.Prune(ctx, opts)
	if err != nil {
		return err
	}
	if env.json {
		return env.printJSON(rep)
	}
	if env.quiet {
		return nil
	}
	would := ""
	if rep.DryRun {
		would = "would "
	}
	w := env.stdout
	fmt.Fprintf(w, "%d snapshots use %d blobs of %d index entries\n", rep.Snapshots, rep.UsedBlobs, rep.IndexEntries)
	if rep.MarkersSwept > 0 {
		fmt.Fprintf(w, "%sdelete %d packs (%s) marked at least one margin ago; %d kept because snapshots use them again; %d index files rewritten, %d interrupted writes removed\n",
			would, rep.PacksDeleted, fmtBytes(uint64(rep.BytesFreed)), rep.PacksRescued, rep.IndexRewritten, rep.IncompleteDeleted)
	}
	fmt.Fprintf(w, "%smark %d unused packs, %d mostly unused packs rewritten (%d blobs, %s copied), %d unindexed packs, %d interrupted writes: %s to free\n",
		would, rep.PacksMarkedUnused, rep.PacksRepacked, rep.BlobsCopied, fmtBytes(uint64(rep.BytesCopied)), rep.UnindexedMarked, rep.IncompleteMarked, fmtBytes(uint64(rep.BytesMarked)))
	if rep.PacksLocked > 0 || rep.LocksExtended > 0 {
		fmt.Fprintf(w, "object lock: %d packs left in place while locked (a later prune deletes them once unlocked), %d objects' locks extended\n", rep.PacksLocked, rep.LocksExtended)
	}
	if rep.TemporariesRemoved > 0 {
		fmt.Fprintf(w, "removed %d temporary files of interrupted writes older than the margin\n", rep.TemporariesRemoved)
	}
	if !rep.NextSweep.IsZero() {
		fmt.Fprintf(w, "marked data is deleted by a prune run after %s\n", rep.NextSweep.Local().Format("2006-01-02 15:04:05"))
	}
	return nil
}
