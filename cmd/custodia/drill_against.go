package main

import (
	"context"
	"os"
	"slices"
	"strings"

	"github.com/custodia-backup/custodia/drill"
	"github.com/custodia-backup/custodia/source"
)

// againstOptions turns the --against values of a drill into drill
// options: a folder for the files (which are then drilled beside any
// --table), a database DSN for every --table (its
// table of the same name), or TABLE=DSN|FILE for one table. done closes
// the databases and files opened. Messages never repeat a DSN: it may
// hold a password.
func (env *cliEnv) againstOptions(ctx context.Context, o *drillOptions) (opts []drill.Option, done func(), err error) {
	var closers []func()
	done = func() {
		for _, c := range closers {
			c()
		}
	}
	dbs := map[string]*source.DB{}
	openDB := func(dsn string) (*source.DB, error) {
		if db, ok := dbs[dsn]; ok {
			return db, nil
		}
		db, err := source.OpenDB(ctx, dsn)
		if err != nil {
			return nil, err
		}
		dbs[dsn] = db
		closers = append(closers, func() { db.Close() })
		return db, nil
	}
	files := false
	for _, a := range o.against {
		name, src, named := strings.Cut(a, "=")
		switch {
		case isDSN(a):
			if len(o.tables) == 0 {
				return nil, done, usagef("drill: --against a database compares the --table items with it: name at least one")
			}
			db, err := openDB(a)
			if err != nil {
				return nil, done, err
			}
			for _, t := range o.tables {
				opts = append(opts, drill.WithAgainstTable(t, db.Records(ctx, source.Query{Table: t})))
			}
		case named && name != "" && !strings.ContainsAny(name, `/\`):
			if !slices.Contains(o.tables, name) {
				return nil, done, usagef("drill: --against %s=...: table %s is not drilled (add --table %s)", name, name, name)
			}
			if isDSN(src) {
				db, err := openDB(src)
				if err != nil {
					return nil, done, err
				}
				opts = append(opts, drill.WithAgainstTable(name, db.Records(ctx, source.Query{Table: name})))
				continue
			}
			seq, closeFile, err := fileRecords(env, src)
			if err != nil {
				return nil, done, err
			}
			closers = append(closers, closeFile)
			opts = append(opts, drill.WithAgainstTable(name, seq))
		default:
			if files {
				return nil, done, usagef("drill: --against names one folder for the files")
			}
			if _, err := os.Stat(a); err != nil {
				return nil, done, usagef("drill: --against %s: %v", a, err)
			}
			files = true
			// Comparing the files drills them, beside any --table.
			opts = append(opts, drill.WithFiles(), drill.WithAgainstFiles(a))
		}
	}
	return opts, done, nil
}
