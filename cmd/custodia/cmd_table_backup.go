package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/source"
	"github.com/custodia-backup/custodia/table"
)

// tableBackupOptions are the flags of "custodia backup --table".
type tableBackupOptions struct {
	name         string
	key          string
	policy       string
	full         bool
	differential bool
	fullEvery    int
	sortMemory   int
	tempDir      string
	src          sourceSpec
	changedSince string
}

func addTableBackup(env *cliEnv, cmd *cobra.Command) {
	var o tableBackupOptions
	cmd.Use += " | --table NAME --key F[,F] [--policy FILE] [--full|--differential] DATA.csv|DATA.jsonl|- | --table NAME --key F --from DSN [--query SQL|--source-table T] [--changed-since-column C]"
	tableMode(cmd, &o.name, []string{"stdin", "stdin-name", "force"}, func(ctx context.Context, args []string) error {
		return runTableBackup(ctx, env, cmd, &o, args)
	})
	f := cmd.Flags()
	f.StringVar(&o.key, "key", "", "with --table: the key `FIELD[,FIELD]` that identifies a record")
	f.StringVar(&o.policy, "policy", "", "with --table: protect the fields by the policy in `FILE` (default: the table's stored decisions, or for a first backup the default policy on a profile)")
	f.BoolVar(&o.full, "full", false, "with --table: make a full snapshot")
	f.BoolVar(&o.differential, "differential", false, "with --table: store the changes since the last full snapshot")
	f.IntVar(&o.fullEvery, "full-every", backup.DefaultFullEvery, "with --table: make a full snapshot after `N` incremental ones in a row (0: never on its own)")
	f.IntVar(&o.sortMemory, "sort-memory", 64, "with --table: `MiB` of memory for sorting records before spilling to temporary files (an incremental's delta entries share it)")
	f.StringVar(&o.tempDir, "temp-dir", "", "with --table: `DIR` for the sort's temporary files (they hold protected records only)")
	f.StringVar(&o.src.from, "from", "", "with --table: read the rows of the database `DSN` (postgres://… or sqlite://FILE)")
	f.StringVar(&o.src.query, "query", "", "with --from: the rows of the `SQL` SELECT statement")
	f.StringVar(&o.src.sourceTable, "source-table", "", "with --from: the rows of database table `T` (default: the --table name)")
	f.StringVar(&o.changedSince, "changed-since-column", "", "with --from: read only the rows whose `COLUMN` is greater than at the previous backup")
}

// tableBackupJSON is the --json form of a table backup's summary.
type tableBackupJSON struct {
	Snapshot string             `json:"snapshot"`
	Table    string             `json:"table"`
	Kind     string             `json:"kind"`
	Parent   *repo.ID           `json:"parent"`
	Records  uint64             `json:"records"`
	Read     uint64             `json:"records_read"`
	Changes  repo.TableChanges  `json:"changes"`
	Stats    repo.SnapshotStats `json:"stats"`
}

func runTableBackup(ctx context.Context, env *cliEnv, cmd *cobra.Command, o *tableBackupOptions, args []string) error {
	var key []string
	for _, k := range strings.Split(o.key, ",") {
		if k = strings.TrimSpace(k); k != "" {
			key = append(key, k)
		}
	}
	switch {
	case len(key) == 0:
		return usagef("backup: --table needs --key FIELD[,FIELD]")
	case o.full && o.differential:
		return usagef("backup: use either --full or --differential")
	case o.src.from == "" && len(args) != 1:
		return usagef("backup: --table needs one DATA.csv, DATA.jsonl or - (standard input), or --from DSN")
	case o.src.from != "" && len(args) > 0:
		return usagef("backup: --from reads a database; give no file")
	case o.src.from == "" && (o.src.query != "" || o.src.sourceTable != "" || o.changedSince != ""):
		return usagef("backup: --query, --source-table and --changed-since-column need --from DSN")
	case o.src.from != "" && !isDSN(o.src.from):
		return usagef("backup: --from wants postgres://… or sqlite://FILE")
	case o.sortMemory < 1:
		return usagef("backup: --sort-memory wants at least 1 MiB")
	}
	prio, err := backupPriority(cmd.Flags(), o.name, nil)
	if err != nil {
		return err
	}
	env.gc.setFloor(tableHeapFloor(o.sortMemory))
	opts := []backup.TableOption{backup.WithFullEvery(o.fullEvery), backup.WithSortMemory(o.sortMemory << 20), backup.WithTempDir(o.tempDir), backup.WithTablePriority(prio)}
	if tags, _ := cmd.Flags().GetStringArray("tag"); len(tags) > 0 {
		opts = append(opts, backup.WithTableTags(tags...))
	}
	if host, _ := cmd.Flags().GetString("host"); host != "" {
		opts = append(opts, backup.WithTableHost(host))
	}
	if o.full {
		opts = append(opts, backup.WithFull())
	}
	if o.differential {
		opts = append(opts, backup.WithDifferential())
	}
	if o.policy != "" {
		b, err := os.ReadFile(o.policy)
		if err != nil {
			return err
		}
		if _, err := table.ParsePolicy(string(b)); err != nil {
			return fmt.Errorf("%s: %w", o.policy, err)
		}
		opts = append(opts, backup.WithPolicy(string(b)))
	}
	r, err := env.openRepo(ctx, false)
	if err != nil {
		return err
	}
	defer env.closeRepo(r)

	var s *repo.Snapshot
	if o.src.from != "" {
		s, err = backupFromDB(ctx, env, r, o, key, opts)
	} else {
		recs, done, ferr := fileRecords(env, args[0])
		if ferr != nil {
			return ferr
		}
		defer done()
		s, err = env.lib(r).BackupTable(ctx, o.name, key, recs, opts...)
	}
	if err != nil {
		return err
	}
	t := s.Table
	if env.json {
		return env.printJSON(tableBackupJSON{Snapshot: s.ID.String(), Table: t.Name, Kind: t.Kind, Parent: s.Parent, Records: t.Records, Read: recordsRead(t), Changes: t.Changes, Stats: s.Stats})
	}
	if !env.quiet {
		c := t.Changes
		fmt.Fprintf(env.stdout, "Records: %d read, %d added, %d changed, %d deleted, %d unchanged\n", recordsRead(t), c.Added, c.Changed, c.Deleted, c.Unchanged)
		fmt.Fprintf(env.stdout, "Added: %s of new data, %s stored (compressed, encrypted, before parity)\n", fmtBytes(s.Stats.BytesAdded), fmtBytes(s.Stats.StoredAdded))
		fmt.Fprintf(env.stdout, "%s snapshot %s of table %s saved: %d records in %s\n", t.Kind, s.ID.String()[:8], t.Name, t.Records, fmtDuration(s.Stats.Duration))
	}
	return nil
}

// backupFromDB reads the rows in one consistent snapshot of the database.
func backupFromDB(ctx context.Context, env *cliEnv, r *repo.Repository, o *tableBackupOptions, key []string, opts []backup.TableOption) (*repo.Snapshot, error) {
	q, err := o.src.dbQuery(o.name)
	if err != nil {
		return nil, err
	}
	db, err := source.OpenDB(ctx, o.src.from)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if o.changedSince != "" {
		high, err := db.Max(ctx, q, o.changedSince)
		if err != nil {
			return nil, err
		}
		w := &repo.Watermark{Column: o.changedSince, Value: high}
		prev, err := table.Find(ctx, r, o.name, "latest")
		if err == nil && !o.full && !o.differential && prev.Table.Watermark != nil && prev.Table.Watermark.Column == o.changedSince {
			if high == "" {
				w.Value = prev.Table.Watermark.Value
			}
			q.Since = &source.Since{Column: o.changedSince, Value: prev.Table.Watermark.Value}
			opts = append(opts, backup.WithChangedRows(w))
		} else {
			opts = append(opts, backup.WithWatermark(w))
		}
	}
	return env.lib(r).BackupTable(ctx, o.name, key, db.Records(ctx, q), opts...)
}

// recordsRead is how many records of the source a table backup read.
func recordsRead(t *repo.TableInfo) uint64 {
	return t.Changes.Added + t.Changes.Changed + t.Changes.Unchanged
}
