package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/restore"
)

func init() {
	register(func(env *cliEnv) *cobra.Command {
		var name string
		cmd := &cobra.Command{
			Use:   "diff SNAP1 SNAP2 --table NAME [--json]",
			Short: "show the records added, removed and changed between two snapshots of a table",
			Long: `Show the records added, removed and changed between two snapshots of a table,
by key, and for a changed record the names of the fields that differ. Values
are never shown (a level 1 or 2 field's value never leaves the repository this way).`,
			RunE: func(cmd *cobra.Command, args []string) error {
				return runDiff(cmd.Context(), env, name, args)
			},
		}
		cmd.Flags().StringVar(&name, "table", "", "compare snapshots of table `NAME`")
		return cmd
	})
}

// diffJSON is the --json form of a diff.
type diffJSON struct {
	From    string               `json:"from"`
	To      string               `json:"to"`
	Table   string               `json:"table"`
	Added   int                  `json:"added"`
	Removed int                  `json:"removed"`
	Changed int                  `json:"changed"`
	Records []restore.RecordDiff `json:"records"`
}

func runDiff(ctx context.Context, env *cliEnv, name string, args []string) error {
	if len(args) != 2 {
		return usagef("diff: name two snapshots (ID prefixes or 'latest')")
	}
	if name == "" {
		return usagef("diff: --table NAME is required (diff compares the records of a table)")
	}
	r, err := env.openRepo(ctx, true)
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	a, err := findTable(ctx, r, name, args[0])
	if err != nil {
		return err
	}
	b, err := findTable(ctx, r, name, args[1])
	if err != nil {
		return err
	}
	out := diffJSON{From: a.ID.String(), To: b.ID.String(), Table: name, Records: []restore.RecordDiff{}}
	for d, err := range restore.DiffTable(ctx, r, a, b) {
		if err != nil {
			return err
		}
		switch d.Change {
		case restore.RecordAdded:
			out.Added++
		case restore.RecordRemoved:
			out.Removed++
		case restore.RecordChanged:
			out.Changed++
		}
		if env.json {
			out.Records = append(out.Records, d)
			continue
		}
		key := strings.Join(d.Key, ",")
		switch d.Change {
		case restore.RecordAdded:
			fmt.Fprintf(env.stdout, "+ %s\n", key)
		case restore.RecordRemoved:
			fmt.Fprintf(env.stdout, "- %s\n", key)
		default:
			fmt.Fprintf(env.stdout, "M %s: %s\n", key, strings.Join(d.Fields, ", "))
		}
	}
	if env.json {
		return env.printJSON(out)
	}
	if !env.quiet {
		fmt.Fprintf(env.stdout, "%d added, %d removed, %d changed between %s and %s of table %s\n", out.Added, out.Removed, out.Changed, a.ID.String()[:8], b.ID.String()[:8], name)
	}
	return nil
}
