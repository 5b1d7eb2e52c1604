package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/table"
)

func addTableSnapshots(env *cliEnv, cmd *cobra.Command) {
	var name string
	cmd.Use += " | --table NAME [--json]"
	tableMode(cmd, &name, nil, func(ctx context.Context, args []string) error {
		return runTableSnapshots(ctx, env, name, args)
	})
}

// tableSnapshotJSON is the --json form of a table snapshot.
type tableSnapshotJSON struct {
	ID        string            `json:"id"`
	ShortID   string            `json:"short_id"`
	Time      time.Time         `json:"time"`
	Host      string            `json:"host"`
	Tags      []string          `json:"tags"`
	Table     string            `json:"table"`
	Kind      string            `json:"kind"`
	Parent    string            `json:"parent,omitempty"`
	Base      string            `json:"base,omitempty"`
	Key       []string          `json:"key"`
	Records   uint64            `json:"records"`
	Changes   repo.TableChanges `json:"changes"`
	Decisions []decisionJSON    `json:"decisions"`
	Policy    bool              `json:"policy_file"`
	Watermark *repo.Watermark   `json:"watermark,omitempty"`
	BytesAdd  uint64            `json:"bytes_added"`
}

// decisionJSON is one stored decision: a field's type, level and action.
type decisionJSON struct {
	Field  string `json:"field"`
	Type   string `json:"type"`
	Level  int    `json:"level"`
	Action string `json:"action"`
	Mask   string `json:"mask,omitempty"`
}

func tableSnapshotOf(s *repo.Snapshot) (tableSnapshotJSON, error) {
	t := s.Table
	j := tableSnapshotJSON{
		ID: s.ID.String(), ShortID: s.ID.String()[:8], Time: s.Time, Host: s.Host, Tags: s.Tags,
		Table: t.Name, Kind: t.Kind, Key: t.Key, Records: t.Records, Changes: t.Changes,
		Policy: t.Policy != "", Watermark: t.Watermark, BytesAdd: s.Stats.BytesAdded,
		Decisions: []decisionJSON{},
	}
	if j.Tags == nil {
		j.Tags = []string{}
	}
	if s.Parent != nil {
		j.Parent = s.Parent.String()
	}
	if t.Base != nil {
		j.Base = t.Base.String()
	}
	plan, err := table.StoredPlan(t)
	if err != nil {
		return j, err
	}
	for _, d := range plan.Fields {
		dj := decisionJSON{Field: d.Field, Type: string(d.Type), Level: int(d.Level), Action: string(d.Action.Kind)}
		if d.Action.Mask != nil {
			dj.Mask = d.Action.Mask.String()
		}
		j.Decisions = append(j.Decisions, dj)
	}
	return j, nil
}

func runTableSnapshots(ctx context.Context, env *cliEnv, name string, args []string) error {
	if len(args) > 0 {
		return usagef("snapshots takes no arguments")
	}
	r, err := env.openRepo(ctx, true)
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	snaps, err := table.Snapshots(ctx, r, name)
	if err != nil {
		return err
	}
	if len(snaps) == 0 {
		return fmt.Errorf("no snapshot of table %q in this repository", name)
	}
	list := make([]tableSnapshotJSON, 0, len(snaps))
	for _, s := range snaps {
		j, err := tableSnapshotOf(s)
		if err != nil {
			return fmt.Errorf("snapshot %s: %w", s.ID.String()[:8], err)
		}
		list = append(list, j)
	}
	if env.json {
		return env.printJSON(list)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTime\tKind\tParent\tRecords\tAdded\tChanged\tDeleted\tStored")
	for _, s := range list {
		c := s.Changes
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.8s\t%d\t%d\t%d\t%d\t%s\n", s.ShortID, s.Time.Local().Format("2006-01-02 15:04:05"), s.Kind, s.Parent,
			s.Records, c.Added, c.Changed, c.Deleted, fmtBytes(s.BytesAdd))
	}
	tw.Flush()
	last := list[len(list)-1]
	fmt.Fprintf(env.stdout, "%d snapshots of table %s, keyed by %v; decisions of the latest:\n", len(list), name, last.Key)
	tw = tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  Field\tType\tLevel\tAction")
	for _, d := range last.Decisions {
		action := d.Action
		if d.Mask != "" {
			action += " " + d.Mask
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\n", d.Field, d.Type, d.Level, action)
	}
	return tw.Flush()
}
