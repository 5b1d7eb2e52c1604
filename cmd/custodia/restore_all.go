package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
)

// restoreItemJSON is the --json form of one snapshot of a restore of
// several, in the order they became available.
type restoreItemJSON struct {
	Snapshot string   `json:"snapshot"`
	Kind     string   `json:"kind"`
	Paths    []string `json:"paths"`
	Priority int      `json:"priority"`
	// Target is the folder (files) or file (table) it was restored to.
	Target         string        `json:"target"`
	Files          uint64        `json:"files"`
	Bytes          uint64        `json:"bytes"`
	Records        uint64        `json:"records"`
	Duration       time.Duration `json:"duration_ns"`
	AvailableAfter time.Duration `json:"available_after_ns"`
	Error          string        `json:"error,omitempty"`
}

// runRestoreSeveral restores several snapshots, the most critical first,
// printing each as it becomes available; targets[i] is where items[i]
// goes. It fails when any could not be restored, after trying them all.
func runRestoreSeveral(ctx context.Context, env *cliEnv, r *repo.Repository, items []restore.Item, targets []string, opts []restore.Option) error {
	list := []restoreItemJSON{}
	failed := 0
	for a, err := range env.lib(r).RestoreAll(ctx, items, opts...) {
		if a == nil {
			return err // interrupted
		}
		s := a.Snapshot
		j := restoreItemJSON{
			Snapshot: s.ID.String(), Kind: s.Kind, Paths: s.Paths, Priority: a.Priority, Target: targets[a.Index],
			Files: a.Files, Bytes: a.Bytes, Records: a.Records, Duration: a.Duration, AvailableAfter: a.After,
		}
		if err != nil {
			failed++
			j.Error = oneLine(err.Error())
			fmt.Fprintln(env.stderr, "custodia: "+j.Error)
		} else if !env.json && !env.quiet {
			what := fmt.Sprintf("%d files, %s", a.Files, fmtBytes(a.Bytes))
			if s.Kind == repo.KindTable {
				what = fmt.Sprintf("%d records", a.Records)
			}
			fmt.Fprintf(env.stdout, "available after %s: priority %d, snapshot %s (%s) restored to %s: %s in %s\n",
				fmtDuration(a.After), a.Priority, s.ID.String()[:8], strings.Join(s.Paths, " "), j.Target, what, fmtDuration(a.Duration))
		}
		list = append(list, j)
	}
	if env.json {
		if err := env.printJSON(list); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d snapshots could not be restored", failed, len(items))
	}
	return nil
}

// restoreFilesSeveral restores the snapshots refs into a folder of its
// own each, target/<short ID>.
func restoreFilesSeveral(ctx context.Context, env *cliEnv, o *restoreOptions, refs []string, opts []restore.Option) error {
	r, err := env.openRepo(ctx, true)
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	var rollback *repo.RollbackError
	items := make([]restore.Item, len(refs))
	targets := make([]string, len(refs))
	seen := map[repo.ID]bool{}
	for i, ref := range refs {
		s, err := findSnapshot(ctx, r, ref, &o.filterFlags)
		if errors.As(err, &rollback) && s != nil {
			env.warnf("%v", err)
			err = nil
		}
		if err != nil {
			return err
		}
		if seen[s.ID] {
			return usagef("restore: snapshot %s is named twice", s.ID.String()[:8])
		}
		seen[s.ID] = true
		targets[i] = filepath.Join(o.target, s.ID.String()[:8])
		items[i] = restore.Item{Snapshot: s, Target: targets[i]}
	}
	if err := runRestoreSeveral(ctx, env, r, items, targets, opts); err != nil {
		return err
	}
	if rollback != nil {
		return &exitError{code: exitDamage, msg: fmt.Sprintf("restored %d snapshots, but the repository may have been rolled back: %v", len(refs), rollback)}
	}
	return nil
}

// restoreTablesSeveral writes the snapshot ref of each table into
// dir/<table>.<format>, the most critical table first.
func restoreTablesSeveral(ctx context.Context, env *cliEnv, o *tableRestoreOptions, names []string, ref string) error {
	switch {
	case len(o.keys) > 0:
		return usagef("restore: --key restores records of one table; give --table once")
	case o.output == "":
		return usagef("restore: several tables need --output DIR (each is written to DIR/NAME.%s)", o.format)
	}
	r, err := env.openRepo(ctx, true)
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	items := make([]restore.Item, len(names))
	targets := make([]string, len(names))
	seen := map[string]bool{}
	for i, name := range names {
		if seen[name] {
			return usagef("restore: table %s is named twice", name)
		}
		seen[name] = true
		s, err := findTable(ctx, r, name, ref)
		if err != nil {
			return err
		}
		targets[i] = filepath.Join(o.output, name+"."+o.format)
		items[i] = restore.Item{Snapshot: s, Records: recordsToFile(targets[i], o.format)}
	}
	if err := os.MkdirAll(o.output, 0o700); err != nil {
		return err
	}
	return runRestoreSeveral(ctx, env, r, items, targets, nil)
}

// recordsToFile writes records to a new file at path (never replacing
// one), removed again when the records could not all be written.
func recordsToFile(path, format string) func(iter.Seq2[classify.Record, error]) error {
	return func(recs iter.Seq2[classify.Record, error]) error {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(f, 256<<10)
		_, err = writeRecords(bw, format, func(yield func(classify.Record, error) bool) { recs(yield) })
		err = errors.Join(err, bw.Flush(), f.Close())
		if err != nil {
			os.Remove(path)
		}
		return err
	}
}

// tableFlag is --table: the last one given is the table worked on (as
// any string flag); restore takes all of them (tableNames).
type tableFlag struct {
	last *string
	all  []string
}

func (f *tableFlag) String() string {
	if f.last == nil {
		return ""
	}
	return *f.last
}

func (f *tableFlag) Set(v string) error {
	*f.last = v
	f.all = append(f.all, v)
	return nil
}

func (f *tableFlag) Type() string { return "string" }

// tableNames returns every --table given to cmd, in order.
func tableNames(cmd *cobra.Command) []string {
	if fl := cmd.Flags().Lookup("table"); fl != nil {
		if t, ok := fl.Value.(*tableFlag); ok {
			return t.all
		}
	}
	return nil
}
