package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/repo"
)

func init() { register(newRetentionCmd) }

func newRetentionCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "retention set|list|remove|append-only",
		Short: "legal minimum retention of snapshots by tag or table",
		Long: `A retention floor keeps every snapshot with a tag (or of a table) for at
least a minimum time after it was taken, whatever forget's keep rules say.
Floors are kept, sealed, in the repository. Removing or shortening a floor
is refused in append-only mode.`,
	}
	var tag, table, min string
	subject := func(c *cobra.Command) {
		c.Flags().StringVar(&tag, "tag", "", "the floor of snapshots with tag `T`")
		c.Flags().StringVar(&table, "table", "", "the floor of snapshots of table `NAME`")
	}
	check := func(name string) error {
		if (tag == "") == (table == "") {
			return usagef("retention %s: give exactly one of --tag and --table", name)
		}
		return nil
	}
	set := &cobra.Command{
		Use:   "set --tag T|--table NAME --min SPAN",
		Short: "set the minimum retention of a tag or table (e.g. --min 30y)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := check("set"); err != nil {
				return err
			}
			if min == "" {
				return usagef("retention set: give --min, e.g. --min 10y")
			}
			sp, err := repo.ParseSpan(min)
			if err != nil || sp.IsZero() {
				return usagef("retention set: --min %q: want a positive span such as 30y, 1y6m or 90d", min)
			}
			return runRetentionChange(cmd.Context(), env, func(r *repo.Repository) (*repo.FloorChange, error) {
				return r.SetRetentionFloor(cmd.Context(), tag, table, sp)
			})
		},
	}
	subject(set)
	set.Flags().StringVar(&min, "min", "", "minimum retention `SPAN` (30y, 1y6m, 90d)")
	remove := &cobra.Command{
		Use:   "remove --tag T|--table NAME",
		Short: "remove the retention floor of a tag or table",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := check("remove"); err != nil {
				return err
			}
			return runRetentionChange(cmd.Context(), env, func(r *repo.Repository) (*repo.FloorChange, error) {
				return r.RemoveRetentionFloor(cmd.Context(), tag, table)
			})
		},
	}
	subject(remove)
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "list the retention floors",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRetentionList(cmd.Context(), env)
		},
	}
	appendOnly := &cobra.Command{
		Use:   "append-only",
		Short: "make the repository append-only for good: forget, prune and weakening a floor refuse",
		Long: `append-only puts the repository in append-only mode: from then on forget,
prune, and removing or shortening a retention floor refuse; backups and
reads work as before. custodia has no command to leave the mode (that takes
deleting the object "appendonly" with the storage's own credentials). It
protects against mistakes and against anyone using custodia with a
password; it cannot stop someone holding the storage's write credentials
from deleting objects directly (docs/FORMAT.md section 19.8).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := env.openRepo(cmd.Context(), false, repo.WithoutIndex())
			if err != nil {
				return err
			}
			defer env.closeRepo(r)
			if err := r.SetAppendOnly(cmd.Context()); err != nil {
				return err
			}
			if env.json {
				return env.printJSON(map[string]bool{"append_only": true})
			}
			if !env.quiet {
				fmt.Fprintln(env.stdout, "the repository is append-only: forget, prune and weakening a retention floor now refuse")
			}
			return nil
		},
	}
	cmd.AddCommand(set, list, remove, appendOnly)
	return cmd
}

type floorJSON struct {
	ID      string    `json:"id"`
	Tag     string    `json:"tag,omitempty"`
	Table   string    `json:"table,omitempty"`
	Min     string    `json:"min"`
	Created time.Time `json:"created"`
}

func toFloorJSON(f repo.RetentionFloor) floorJSON {
	return floorJSON{ID: f.ID.String(), Tag: f.Tag, Table: f.Table, Min: f.Min.String(), Created: f.Created}
}

func runRetentionList(ctx context.Context, env *cliEnv) error {
	r, err := env.openRepo(ctx, true)
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	floors, err := r.RetentionFloors(ctx)
	if err != nil {
		return err
	}
	if env.json {
		out := make([]floorJSON, 0, len(floors))
		for _, f := range floors {
			out = append(out, toFloorJSON(f))
		}
		return env.printJSON(out)
	}
	for _, f := range floors {
		fmt.Fprintf(env.stdout, "%-30s kept %-8s set %s\n", f.Subject(), f.Min, f.Created.Local().Format("2006-01-02 15:04"))
	}
	if len(floors) == 0 && !env.quiet {
		fmt.Fprintln(env.stdout, "no retention floors")
	}
	return nil
}

func runRetentionChange(ctx context.Context, env *cliEnv, change func(*repo.Repository) (*repo.FloorChange, error)) error {
	r, err := env.openRepo(ctx, false)
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	ch, err := change(r)
	if err != nil {
		return err
	}
	if env.json {
		out := map[string]any{"weakened": ch.Weakened}
		old := []floorJSON{}
		for _, f := range ch.Old {
			old = append(old, toFloorJSON(f))
		}
		out["replaced"] = old
		if ch.New != nil {
			out["floor"] = toFloorJSON(*ch.New)
		}
		return env.printJSON(out)
	}
	if env.quiet {
		return nil
	}
	switch {
	case ch.New != nil && len(ch.Old) > 0:
		fmt.Fprintf(env.stdout, "%s: kept %s (was %s)\n", ch.New.Subject(), ch.New.Min, ch.Old[0].Min)
	case ch.New != nil:
		fmt.Fprintf(env.stdout, "%s: kept %s\n", ch.New.Subject(), ch.New.Min)
	default:
		fmt.Fprintf(env.stdout, "%s: floor removed\n", ch.Old[0].Subject())
	}
	return nil
}
