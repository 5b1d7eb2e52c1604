package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/source"
	"github.com/custodia-backup/custodia/table"
)

// The table modes of backup, snapshots, restore and verify: each adds its
// flags to the command and runs instead of it when --table is given.
func init() { extend(addTableModes) }

func addTableModes(env *cliEnv, root *cobra.Command) {
	for _, c := range root.Commands() {
		switch c.Name() {
		case "backup":
			addTableBackup(env, c)
		case "snapshots":
			addTableSnapshots(env, c)
		case "restore":
			addTableRestore(env, c)
		case "verify":
			addTableVerify(env, c)
		}
	}
}

// tableMode makes cmd run fn instead of its own RunE when --table is set,
// refusing the flags of the file mode listed in fileFlags.
func tableMode(cmd *cobra.Command, name *string, fileFlags []string, fn func(ctx context.Context, args []string) error) {
	own := cmd.RunE
	cmd.Flags().Var(&tableFlag{last: name}, "table", "work on the records of table `NAME` (see 'custodia help "+cmd.Name()+"')")
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if *name == "" {
			return own(c, args)
		}
		for _, f := range fileFlags {
			if c.Flags().Changed(f) {
				return usagef("%s: --%s does not apply to a table", cmd.Name(), f)
			}
		}
		return fn(c.Context(), args)
	}
}

// isDSN reports whether s names a database rather than a file.
func isDSN(s string) bool {
	for _, p := range []string{"postgres://", "postgresql://", "sqlite://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// sourceSpec says where records come from: a file, standard input ("-")
// or a database with a table or query.
type sourceSpec struct {
	from        string
	query       string
	sourceTable string
}

// fileRecords yields the records of a CSV or JSON Lines file, or of
// standard input (format told by its first byte: '{' is JSON Lines).
func fileRecords(env *cliEnv, path string) (iter.Seq2[classify.Record, error], func(), error) {
	if path == "-" {
		br := bufio.NewReaderSize(env.stdin, 64<<10)
		f := classify.CSV
		if b, _ := peekNonSpace(br); b == '{' {
			f = classify.JSONLines
		}
		return source.Reader(br, "standard input", f), func() {}, nil
	}
	f, err := classify.FormatOf(path)
	if err != nil {
		return nil, nil, usagef("%s: not a .csv or .jsonl file", path)
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return source.Reader(fh, path, f), func() { fh.Close() }, nil
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	for n := 1; n <= 4096; n++ {
		b, err := br.Peek(n)
		if len(b) < n {
			return 0, err
		}
		c := b[n-1]
		if c == 0xEF || c == 0xBB || c == 0xBF || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			continue
		}
		return c, nil
	}
	return 0, io.EOF
}

// query returns the database query of a source spec; the table defaults to
// the backed-up table's name.
func (s *sourceSpec) dbQuery(tableName string) (source.Query, error) {
	if s.query != "" && s.sourceTable != "" {
		return source.Query{}, usagef("give either --query or --source-table, not both")
	}
	q := source.Query{SQL: s.query, Table: s.sourceTable}
	if q.SQL == "" && q.Table == "" {
		q.Table = tableName
	}
	return q, nil
}

// findTable resolves a snapshot reference of a table, with a clear error.
func findTable(ctx context.Context, r *repo.Repository, name, ref string) (*repo.Snapshot, error) {
	s, err := table.Find(ctx, r, name, ref)
	if errors.Is(err, table.ErrNoTable) {
		return nil, fmt.Errorf("no snapshot of table %q in this repository (see 'custodia snapshots --table NAME')", name)
	}
	return s, err
}

func shortID(id *repo.ID) string {
	if id == nil {
		return ""
	}
	return id.String()[:8]
}
