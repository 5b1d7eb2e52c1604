package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/repo"
)

func init() {
	register(func(env *cliEnv) *cobra.Command {
		var f filterFlags
		cmd := &cobra.Command{
			Use:   "snapshots [--host H] [--tag T] [--path P] [--json]",
			Short: "list snapshots",
			RunE: func(cmd *cobra.Command, args []string) error {
				return runSnapshots(cmd.Context(), env, &f, args)
			},
		}
		f.register(cmd.Flags(), "only snapshots")
		return cmd
	})
}

// snapshotJSON is the --json form of a snapshot.
type snapshotJSON struct {
	ID       string             `json:"id"`
	ShortID  string             `json:"short_id"`
	Time     time.Time          `json:"time"`
	Host     string             `json:"host"`
	Username string             `json:"username,omitempty"`
	Tags     []string           `json:"tags"`
	Paths    []string           `json:"paths"`
	Kind     string             `json:"kind"`
	Parent   string             `json:"parent,omitempty"`
	Tree     string             `json:"tree"`
	Stats    repo.SnapshotStats `json:"stats"`
	// Priority is the recovery priority, 1 (most critical) to 5.
	Priority int `json:"priority"`
}

func toJSON(s *repo.Snapshot) snapshotJSON {
	j := snapshotJSON{
		ID: s.ID.String(), ShortID: s.ID.String()[:8], Time: s.Time, Host: s.Host, Username: s.Username,
		Tags: s.Tags, Paths: s.Paths, Kind: s.Kind, Tree: s.Tree.String(), Stats: s.Stats,
		Priority: s.RecoveryPriority(),
	}
	if j.Tags == nil {
		j.Tags = []string{}
	}
	if s.Parent != nil {
		j.Parent = s.Parent.String()
	}
	return j
}

func runSnapshots(ctx context.Context, env *cliEnv, f *filterFlags, pos []string) error {
	if len(pos) > 0 {
		return usagef("snapshots takes no arguments")
	}
	filter, err := f.filter()
	if err != nil {
		return err
	}
	r, err := env.openRepo(ctx, true)
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	if r.WriteOnly() {
		return repo.ErrWriteOnly
	}
	var list []snapshotJSON
	var bad int
	for s, err := range r.Snapshots(ctx) {
		if err != nil {
			fmt.Fprintln(env.stderr, "custodia: "+oneLine(err.Error()))
			bad++
			continue
		}
		if filter.Match(s) {
			list = append(list, toJSON(s))
		}
	}
	if env.json {
		if list == nil {
			list = []snapshotJSON{}
		}
		if err := env.printJSON(list); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTime\tHost\tTags\tPrio\tSize\tPaths")
		for _, s := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", s.ShortID, s.Time.Local().Format("2006-01-02 15:04:05"), s.Host,
				strings.Join(s.Tags, ","), s.Priority, fmtBytes(s.Stats.Bytes), strings.Join(s.Paths, " "))
		}
		tw.Flush()
		fmt.Fprintf(env.stdout, "%d snapshots\n", len(list))
	}
	if bad > 0 {
		return &exitError{code: exitDamage, msg: fmt.Sprintf("%d snapshots could not be read (run 'custodia verify')", bad)}
	}
	return nil
}
