package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/restore"
)

// tableRestoreOptions are the flags of "custodia restore --table".
type tableRestoreOptions struct {
	name   string
	keys   []string
	format string
	output string
}

func addTableRestore(env *cliEnv, cmd *cobra.Command) {
	var o tableRestoreOptions
	cmd.Use += " | SNAPSHOT|latest --table NAME... [--key VALUE]... [--format jsonl|csv] [--output FILE]"
	tableMode(cmd, &o.name, []string{"target", "include", "overwrite"}, func(ctx context.Context, args []string) error {
		if names := tableNames(cmd); len(names) > 1 && len(args) == 1 {
			return restoreTablesSeveral(ctx, env, &o, names, args[0])
		}
		return runTableRestore(ctx, env, &o, args)
	})
	f := cmd.Flags()
	f.StringArrayVar(&o.keys, "key", nil, "with --table: restore only the record with key `VALUE` (repeatable; a composite key as V1,V2)")
	f.StringVar(&o.format, "format", "jsonl", "with --table: write records as `jsonl` or csv")
	f.StringVar(&o.output, "output", "", "with --table: write the records to `FILE` (default: standard output); with several --table, into the folder FILE")
}

func runTableRestore(ctx context.Context, env *cliEnv, o *tableRestoreOptions, args []string) error {
	if len(args) != 1 {
		return usagef("restore: name one snapshot of the table (an ID prefix or 'latest')")
	}
	if o.format != "jsonl" && o.format != "csv" {
		return usagef("restore: --format wants jsonl or csv, not %q", o.format)
	}
	r, err := env.openRepo(ctx, true)
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	s, err := findTable(ctx, r, o.name, args[0])
	if err != nil {
		return err
	}
	lib := env.lib(r)
	seq := lib.RestoreTable(ctx, s)
	if len(o.keys) > 0 {
		keys := make([][]string, len(o.keys))
		for i, k := range o.keys {
			keys[i] = strings.Split(k, ",")
		}
		seq = lib.RestoreRecords(ctx, s, keys)
	}
	var w io.Writer = env.stdout
	var file *os.File
	if o.output != "" {
		if file, err = os.OpenFile(o.output, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return err
		}
		w = file
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	n, werr := writeRecords(bw, o.format, func(yield func(classify.Record, error) bool) { seq(yield) })
	if err := bw.Flush(); werr == nil {
		werr = err
	}
	if file != nil {
		if err := file.Close(); werr == nil {
			werr = err
		}
		if werr != nil && !errors.Is(werr, restore.ErrRecordNotFound) {
			os.Remove(o.output)
		}
	}
	if werr != nil {
		return werr
	}
	if o.output != "" && !env.quiet {
		fmt.Fprintf(env.stderr, "%d records of table %s (snapshot %s) written to %s\n", n, o.name, s.ID.String()[:8], o.output)
	}
	return nil
}

// writeRecords writes records as JSON Lines or CSV (header from the first
// record; every record must have the same fields).
func writeRecords(w io.Writer, format string, seq func(func(classify.Record, error) bool)) (int, error) {
	n := 0
	var cw *csv.Writer
	var header []string
	var row []string
	for rec, err := range seq {
		if err != nil {
			if cw != nil {
				cw.Flush()
			}
			return n, err
		}
		switch format {
		case "jsonl":
			b, err := rec.MarshalJSON()
			if err != nil {
				return n, err
			}
			w.Write(b)
			if _, err := w.Write([]byte{'\n'}); err != nil {
				return n, err
			}
		case "csv":
			if cw == nil {
				cw = csv.NewWriter(w)
				header = rec.Names()
				if err := cw.Write(header); err != nil {
					return n, err
				}
			}
			if len(rec) != len(header) {
				return n, fmt.Errorf("record %d has fields %v, unlike the first (%v): write it with --format jsonl", n+1, rec.Names(), header)
			}
			row = row[:0]
			for i, f := range rec {
				if f.Name != header[i] {
					return n, fmt.Errorf("record %d has fields %v, unlike the first (%v): write it with --format jsonl", n+1, rec.Names(), header)
				}
				row = append(row, f.Value)
			}
			if err := cw.Write(row); err != nil {
				return n, err
			}
		}
		n++
	}
	if cw != nil {
		cw.Flush()
		return n, cw.Error()
	}
	return n, nil
}
