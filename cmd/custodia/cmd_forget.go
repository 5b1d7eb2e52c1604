package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/repo"
)

func init() { register(newForgetCmd) }

type forgetOptions struct {
	last, hourly, daily, weekly, monthly, yearly int
	within                                       string
	keepTags, hosts, tags, tables                []string
	dryRun, prune                                bool
	pruneFlags
}

func newForgetCmd(env *cliEnv) *cobra.Command {
	var o forgetOptions
	cmd := &cobra.Command{
		Use:   "forget [--keep-last N] [--keep-hourly|daily|weekly|monthly|yearly N] [--keep-within SPAN] [--keep-tag T] [--host H] [--tag T] [--table NAME] [--dry-run] [--prune]",
		Short: "remove snapshots by keep rules, never inside a retention floor",
		Long: `forget applies restic's keep rules to each group of snapshots (one table,
or one host and set of paths) and removes the snapshots no rule keeps,
unless a retention floor holds them. It removes snapshot records only; the
data they alone used stays until 'custodia prune'. -1 means unlimited.
SPAN is like 30d, 1y6m, 2w or 36h. See docs/FORMAT.md section 19.5.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runForget(cmd.Context(), env, &o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.last, "keep-last", 0, "keep the `N` newest snapshots")
	f.IntVar(&o.hourly, "keep-hourly", 0, "keep the newest snapshot of each of the last `N` hours that have one")
	f.IntVar(&o.daily, "keep-daily", 0, "keep the newest snapshot of each of the last `N` days that have one")
	f.IntVar(&o.weekly, "keep-weekly", 0, "keep the newest snapshot of each of the last `N` ISO weeks that have one")
	f.IntVar(&o.monthly, "keep-monthly", 0, "keep the newest snapshot of each of the last `N` months that have one")
	f.IntVar(&o.yearly, "keep-yearly", 0, "keep the newest snapshot of each of the last `N` years that have one")
	f.StringVar(&o.within, "keep-within", "", "keep snapshots taken within `SPAN` (e.g. 30d, 1y6m) of the group's newest")
	f.StringArrayVar(&o.keepTags, "keep-tag", nil, "keep snapshots with tag `T` (a,b: both tags; repeatable)")
	f.StringArrayVar(&o.hosts, "host", nil, "only consider snapshots of host `H` (repeatable)")
	f.StringArrayVar(&o.tags, "tag", nil, "only consider snapshots with tag `T` (a,b: both tags; repeatable)")
	f.StringArrayVar(&o.tables, "table", nil, "only consider snapshots of table `NAME` (repeatable)")
	f.BoolVar(&o.dryRun, "dry-run", false, "remove nothing; print what would go and why the rest is kept")
	f.BoolVar(&o.prune, "prune", false, "run 'custodia prune' afterwards (with its --margin, --max-unused, --max-memory, --temp-dir)")
	o.pruneFlags.register(cmd)
	return cmd
}

func (o *forgetOptions) forgetOptions() (repo.ForgetOptions, error) {
	p := repo.KeepPolicy{Last: o.last, Hourly: o.hourly, Daily: o.daily, Weekly: o.weekly, Monthly: o.monthly, Yearly: o.yearly, Tags: o.keepTags}
	if o.within != "" {
		sp, err := repo.ParseSpan(o.within)
		if err != nil {
			return repo.ForgetOptions{}, usagef("forget: --keep-within: %v", err)
		}
		p.Within = sp
	}
	if p.Empty() {
		return repo.ForgetOptions{}, usagef("forget: give at least one --keep-* rule (without one every snapshot would go)")
	}
	for _, n := range []int{o.last, o.hourly, o.daily, o.weekly, o.monthly, o.yearly} {
		if n < -1 {
			return repo.ForgetOptions{}, usagef("forget: a --keep-* count is -1 (all), 0 (off) or positive, not %d", n)
		}
	}
	return repo.ForgetOptions{Policy: p, Hosts: o.hosts, Tags: o.tags, Tables: o.tables}, nil
}

// forgetDecisionJSON is the --json form of one snapshot's decision.
type forgetDecisionJSON struct {
	ID      string    `json:"id"`
	ShortID string    `json:"short_id"`
	Time    time.Time `json:"time"`
	Reasons []string  `json:"reasons"`
	// Floor names the retention floor that held a snapshot the rules
	// would have removed.
	Floor string `json:"floor,omitempty"`
}

type forgetGroupJSON struct {
	Group  repo.GroupKey        `json:"group"`
	Keep   []forgetDecisionJSON `json:"keep"`
	Remove []forgetDecisionJSON `json:"remove"`
}

type forgetJSON struct {
	DryRun  bool              `json:"dry_run"`
	Groups  []forgetGroupJSON `json:"groups"`
	Removed []string          `json:"removed"`
}

func decisionsJSON(ds []repo.ForgetDecision) []forgetDecisionJSON {
	out := make([]forgetDecisionJSON, 0, len(ds))
	for _, d := range ds {
		j := forgetDecisionJSON{ID: d.Snapshot.ID.String(), ShortID: d.Snapshot.ID.String()[:8], Time: d.Snapshot.Time, Reasons: d.Reasons}
		if j.Reasons == nil {
			j.Reasons = []string{}
		}
		if d.Floor != nil {
			j.Floor = d.Floor.Subject() + " " + d.Floor.Min.String()
		}
		out = append(out, j)
	}
	return out
}

func runForget(ctx context.Context, env *cliEnv, o *forgetOptions) error {
	opts, err := o.forgetOptions()
	if err != nil {
		return err
	}
	var popts repo.PruneOptions
	if o.prune {
		if env.json {
			return usagef("forget: --prune and --json cannot be combined; run 'custodia prune --json' afterwards")
		}
		if popts, err = o.pruneFlags.options("forget"); err != nil {
			return err
		}
		popts.DryRun = o.dryRun
	}
	r, err := env.openRepo(ctx, o.dryRun, repo.WithoutIndex())
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	plan, warnings, err := r.PlanForget(ctx, opts)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		env.warnf("%s (left alone)", w)
	}
	var removed []*repo.Snapshot
	var forgetErr error
	if !o.dryRun {
		removed, forgetErr = r.Forget(ctx, plan)
		if forgetErr != nil && len(removed) == 0 {
			return forgetErr
		}
	}
	if env.json {
		out := forgetJSON{DryRun: o.dryRun, Groups: []forgetGroupJSON{}, Removed: []string{}}
		for _, g := range plan.Groups {
			out.Groups = append(out.Groups, forgetGroupJSON{Group: g.Key, Keep: decisionsJSON(g.Keep), Remove: decisionsJSON(g.Remove)})
		}
		for _, s := range removed {
			out.Removed = append(out.Removed, s.ID.String())
		}
		if err := env.printJSON(out); err != nil {
			return err
		}
		return forgetErr
	}
	if !env.quiet {
		verb := "remove"
		if o.dryRun {
			verb = "would remove"
		}
		for _, g := range plan.Groups {
			fmt.Fprintf(env.stdout, "%s: keep %d, %s %d\n", g.Key, len(g.Keep), verb, len(g.Remove))
			for _, d := range g.Keep {
				note := strings.Join(d.Reasons, ", ")
				if d.Floor != nil {
					note += " (held by the floor; the keep rules would remove it)"
				}
				fmt.Fprintf(env.stdout, "  keep          %s  %s  %s\n", d.Snapshot.ID.String()[:8], d.Snapshot.Time.Local().Format("2006-01-02 15:04:05"), note)
			}
			for _, d := range g.Remove {
				fmt.Fprintf(env.stdout, "  %-13s %s  %s\n", verb, d.Snapshot.ID.String()[:8], d.Snapshot.Time.Local().Format("2006-01-02 15:04:05"))
			}
		}
		if !o.dryRun && !o.prune {
			fmt.Fprintf(env.stdout, "removed %d snapshots; run 'custodia prune' to free their data\n", len(removed))
		} else if !o.dryRun {
			fmt.Fprintf(env.stdout, "removed %d snapshots\n", len(removed))
		}
	}
	if forgetErr != nil {
		return forgetErr
	}
	if o.prune {
		return runPrune(ctx, env, r, popts)
	}
	return nil
}
