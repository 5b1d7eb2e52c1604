package main

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/source"
)

// tableVerifyOptions are the flags of "custodia verify --table".
type tableVerifyOptions struct {
	name     string
	snapshot string
	sample   int
	against  string
	src      sourceSpec
}

func addTableVerify(env *cliEnv, cmd *cobra.Command) {
	var o tableVerifyOptions
	cmd.Use += " | --table NAME --sample N --against DATA|DSN"
	tableMode(cmd, &o.name, []string{"read-data", "read-data-subset", "repair"}, func(ctx context.Context, args []string) error {
		return runTableVerify(ctx, env, &o, args)
	})
	f := cmd.Flags()
	f.IntVar(&o.sample, "sample", 0, "with --table: compare `N` random records of the source with the backup")
	f.StringVar(&o.against, "against", "", "with --table: the source, a CSV or JSON Lines `FILE` or a database DSN")
	f.StringVar(&o.snapshot, "snapshot", "latest", "with --table: the `SNAPSHOT` to compare with")
	f.StringVar(&o.src.query, "query", "", "with --table --against DSN: the rows of the `SQL` SELECT statement")
	f.StringVar(&o.src.sourceTable, "source-table", "", "with --table --against DSN: the rows of database table `T` (default: the --table name)")
}

// sampleJSON is the --json form of a sampled verification.
type sampleJSON struct {
	Snapshot   string     `json:"snapshot"`
	Table      string     `json:"table"`
	Source     int        `json:"source_records"`
	Sampled    int        `json:"sampled"`
	Mismatched [][]string `json:"mismatched"`
	Missing    [][]string `json:"missing"`
	OK         bool       `json:"ok"`
}

func runTableVerify(ctx context.Context, env *cliEnv, o *tableVerifyOptions, args []string) error {
	switch {
	case len(args) > 0:
		return usagef("verify takes no arguments")
	case o.sample < 1:
		return usagef("verify: --table needs --sample N (N ≥ 1)")
	case o.against == "":
		return usagef("verify: --table needs --against DATA|DSN, the source to compare with")
	}
	r, err := env.openRepo(ctx, true)
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	s, err := findTable(ctx, r, o.name, o.snapshot)
	if err != nil {
		return err
	}
	var recs iter.Seq2[classify.Record, error]
	if isDSN(o.against) {
		q, err := o.src.dbQuery(o.name)
		if err != nil {
			return err
		}
		db, err := source.OpenDB(ctx, o.against)
		if err != nil {
			return err
		}
		defer db.Close()
		recs = db.Records(ctx, q)
	} else {
		seq, done, err := fileRecords(env, o.against)
		if err != nil {
			return err
		}
		defer done()
		recs = seq
	}
	rep, err := env.lib(r).VerifyTableSample(ctx, s, recs, o.sample)
	if err != nil {
		return err
	}
	if env.json {
		j := sampleJSON{Snapshot: s.ID.String(), Table: o.name, Source: rep.Source, Sampled: rep.Sampled, Mismatched: rep.Mismatched, Missing: rep.Missing, OK: rep.OK()}
		if j.Mismatched == nil {
			j.Mismatched = [][]string{}
		}
		if j.Missing == nil {
			j.Missing = [][]string{}
		}
		if err := env.printJSON(j); err != nil {
			return err
		}
	} else if !env.quiet {
		fmt.Fprintf(env.stdout, "compared %d of %d source records with snapshot %s of table %s\n", rep.Sampled, rep.Source, s.ID.String()[:8], o.name)
	}
	if rep.OK() {
		if !env.json && !env.quiet {
			fmt.Fprintln(env.stdout, "all sampled records match the backup")
		}
		return nil
	}
	var parts []string
	if len(rep.Mismatched) > 0 {
		parts = append(parts, fmt.Sprintf("differ: %s", joinKeys(rep.Mismatched)))
	}
	if len(rep.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("missing from the backup: %s", joinKeys(rep.Missing)))
	}
	return &exitError{code: exitDamage, msg: fmt.Sprintf("%d of %d sampled records do not match snapshot %s; %s",
		len(rep.Mismatched)+len(rep.Missing), rep.Sampled, s.ID.String()[:8], strings.Join(parts, "; "))}
}

func joinKeys(keys [][]string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = strings.Join(k, ",")
	}
	return strings.Join(out, " ")
}
