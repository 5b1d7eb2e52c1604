package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

func init() {
	register(func(env *cliEnv) *cobra.Command {
		return &cobra.Command{
			Use:   "stats [--json]",
			Short: "show repository statistics",
			RunE: func(cmd *cobra.Command, args []string) error {
				return runStats(cmd.Context(), env, args)
			},
		}
	})
}

func runStats(ctx context.Context, env *cliEnv, pos []string) error {
	if len(pos) > 0 {
		return usagef("stats takes no arguments")
	}
	r, err := env.openRepo(ctx, true)
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	st, err := r.RepoStats(ctx)
	if err != nil {
		return err
	}
	usage, err := r.Store().Usage(ctx)
	if err != nil {
		return err
	}
	if env.json {
		return env.printJSON(statsJSON{RepoStats: st, PerSite: usage})
	}
	fmt.Fprintf(env.stdout, "snapshots:          %d\n", st.Snapshots)
	fmt.Fprintf(env.stdout, "latest snapshot:    %s in %d files\n", fmtBytes(st.LatestBytes), st.LatestFiles)
	fmt.Fprintf(env.stdout, "all snapshots:      %s (sum of their sizes)\n", fmtBytes(st.TotalBytes))
	fmt.Fprintf(env.stdout, "unique data:        %s in %d blobs\n", fmtBytes(st.RawBytes), st.Blobs)
	fmt.Fprintf(env.stdout, "stored:             %s in %d packs (compressed, encrypted)\n", fmtBytes(st.PackBytes), st.Packs)
	fmt.Fprintf(env.stdout, "with parity:        %s (%d+%d shards over %d sites)\n", fmtBytes(st.StoredBytes), st.DataShards, st.ParityShards, st.Sites)
	fmt.Fprintf(env.stdout, "site loss:          %s\n", siteTolerance(st.SiteTolerance, st.Sites))
	if st.PackBytes > 0 {
		fmt.Fprintf(env.stdout, "dedup+compression:  %.2fx\n", float64(st.TotalBytes)/float64(st.PackBytes))
	}
	for _, u := range usage {
		if !u.Online {
			fmt.Fprintf(env.stdout, "  %s: cannot be reached\n", u.Site)
			continue
		}
		fmt.Fprintf(env.stdout, "  %s: %s in %d shards\n", u.Site, fmtBytes(uint64(u.Bytes)), u.Objects)
	}
	return nil
}

// siteTolerance says in words how many sites may be lost.
func siteTolerance(n, sites int) string {
	switch {
	case sites == 1:
		return "one site: shard files may be lost, the site may not"
	case n == 0:
		return "the loss of any one site loses data (run 'custodia verify')"
	case n == 1:
		return "any 1 site may be lost"
	}
	return fmt.Sprintf("any %d sites may be lost", n)
}

// statsJSON is stats --json: the repository's figures (site_tolerance:
// how many whole sites may be lost) and what each site holds.
type statsJSON struct {
	*repo.RepoStats
	PerSite []storage.SiteUsage `json:"per_site"`
}
