package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/monitor"
	"github.com/custodia-backup/custodia/repo"
)

func init() { register(newStatusCmd) }

// statusOptions are the flags of "custodia status".
type statusOptions struct {
	maxAge string
	tags   []string
	tables []string
}

func newStatusCmd(env *cliEnv) *cobra.Command {
	var o statusOptions
	cmd := &cobra.Command{
		Use:   "status [--max-age 26h] [--tag T|--table NAME]... [--json]",
		Short: "check that backups are recent and sites reachable (exit 3 if not)",
		Long: `Report, for every group of snapshots (one table, or one host and set of
paths) or for each named tag and table, the newest snapshot and its age,
and whether every site can be reached. A group whose newest snapshot is
older than --max-age, a named tag or table with no snapshot at all, or an
unreachable site makes the exit status 3: run it from cron or a
Nagios-style check as the monitor of the recovery point objective.

--max-age takes a Go duration (26h, 90m) or days and weeks (2d, 1w).`,
		Example: `  custodia status --max-age 26h --table invoices --table invoice_lines
  custodia status --tag daily --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStatus(cmd.Context(), env, &o, args)
		},
	}
	cmd.Flags().StringVar(&o.maxAge, "max-age", "26h", "age after which the newest snapshot of a group is overdue")
	cmd.Flags().StringArrayVar(&o.tags, "tag", nil, "check the snapshots with this tag (repeatable)")
	cmd.Flags().StringArrayVar(&o.tables, "table", nil, "check the snapshots of this table (repeatable)")
	return cmd
}

// parseAge parses a maximum age: a Go duration, or days/weeks as repo's
// spans take them.
func parseAge(s string, now time.Time) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	sp, err := repo.ParseSpan(s)
	if err != nil || sp.IsZero() {
		return 0, usagef("--max-age %q: want a positive duration such as 26h, 90m, 2d or 1w", s)
	}
	return sp.AddTo(now).Sub(now), nil
}

func runStatus(ctx context.Context, env *cliEnv, o *statusOptions, pos []string) error {
	if len(pos) > 0 {
		return usagef("status takes no arguments")
	}
	now := time.Now()
	age, err := parseAge(o.maxAge, now)
	if err != nil {
		return err
	}
	opts := []monitor.Option{monitor.WithMaxAge(age), monitor.WithClock(func() time.Time { return now })}
	for _, t := range o.tags {
		opts = append(opts, monitor.WithTag(t))
	}
	for _, t := range o.tables {
		opts = append(opts, monitor.WithTable(t))
	}
	r, err := env.openRepo(ctx, true)
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	rep, err := monitor.Check(ctx, r, opts...)
	if err != nil {
		return err
	}
	if env.json {
		if err := env.printJSON(rep); err != nil {
			return err
		}
	} else {
		printStatus(env, rep)
	}
	if rep.Healthy() {
		return nil
	}
	var why []string
	if g := rep.OverdueGroups(); len(g) > 0 {
		why = append(why, fmt.Sprintf("overdue: %s", strings.Join(g, "; ")))
	}
	if s := rep.UnreachableSites(); len(s) > 0 {
		why = append(why, fmt.Sprintf("unreachable: %s", strings.Join(s, ", ")))
	}
	return &exitError{code: exitDamage, msg: strings.Join(why, "; ")}
}

func printStatus(env *cliEnv, rep *monitor.Report) {
	if len(rep.Groups) == 0 {
		fmt.Fprintln(env.stdout, "no snapshots")
	}
	for _, g := range rep.Groups {
		state := "ok     "
		if g.Overdue {
			state = "OVERDUE"
		}
		if g.Latest == nil {
			fmt.Fprintf(env.stdout, "%s  %s: no snapshot\n", state, g.Group)
			continue
		}
		fmt.Fprintf(env.stdout, "%s  %s: newest %s (%s, %s ago), %d snapshots\n",
			state, g.Group, g.Latest.ID[:8], g.Latest.Time.Local().Format("2006-01-02 15:04:05"),
			g.Age.Round(time.Minute), g.Snapshots)
	}
	for _, s := range rep.Sites {
		state := "reachable"
		if !s.Reachable {
			state = "UNREACHABLE"
		}
		fmt.Fprintf(env.stdout, "site %s: %s\n", s.Site, state)
	}
	if rep.Unreadable > 0 {
		fmt.Fprintf(env.stdout, "%d snapshots could not be read (run verify)\n", rep.Unreadable)
	}
}
