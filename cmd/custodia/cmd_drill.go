package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/drill"
)

func init() { register(newDrillCmd) }

// drillOptions are the flags of "custodia drill".
type drillOptions struct {
	snapshot string
	tables   []string
	paths    []string
	sample   int
	rto      string
	report   string
	scratch  string
	against  []string
}

func newDrillCmd(env *cliEnv) *cobra.Command {
	var o drillOptions
	cmd := &cobra.Command{
		Use:   "drill [--snapshot S|latest] [--table NAME]... [--path GLOB]... [--sample N] [--against SOURCE]... [--rto DURATION] [--report FILE.html|FILE.json|FILE.md]",
		Short: "prove and time a restore: restore, check, measure against the RTO, report",
		Long: `Run a restore drill: restore the newest snapshot of files (or the one
--snapshot names; only the files matching --path when given) into a scratch
folder, and each --table into memory, critical items first; check every
restored byte against its keyed hash, file counts and sizes against the
snapshot, record counts against the table snapshot, and --sample N records
fetched again by key; time each item and the whole against --rto; remove
the scratch data; and keep a sealed record of the drill in the repository,
whose history the report shows, and an entry in the audit log with the
outcome and the RTO verdict.

--against compares a sample (--sample N, default 20) with the live source:
a FOLDER for the files (the backed-up folder itself, or a folder holding
each backed-up path by its name), a database DSN for every --table (its
table of the same name), or TABLE=DSN or TABLE=FILE.csv|.jsonl for one
table. Each sampled file is re-hashed on disk against the content the
repository stored: a difference there fails the drill. A live file or
record that differs from the snapshot is listed apart, on a "source:" line:
the source changed since the snapshot, which is no failure of the backup
(a file with the snapshot's size and time but other bytes is flagged: it
was changed in place, or damaged on the source's disk).

Exit status: 0 when every check passed within the RTO, 3 when they passed
but the drill was slower than the RTO, 1 when a check failed (the report
names the item).`,
		Example: `  custodia drill --table invoices --table invoice_lines --path 'invoices/*' --sample 50 --rto 4h --report drill.html
  custodia drill --table invoices --against sqlite:///srv/einvoice/invoices.db --against /srv/einvoice/documents --sample 50`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDrill(cmd.Context(), env, &o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.snapshot, "snapshot", "", "drill this snapshot (an ID, a prefix, or latest) instead of the newest")
	f.StringArrayVar(&o.tables, "table", nil, "restore this table (repeatable)")
	f.StringArrayVar(&o.paths, "path", nil, "restore the files matching this glob (repeatable)")
	f.IntVar(&o.sample, "sample", 0, "fetch N random records of each table again by key and compare")
	f.StringVar(&o.rto, "rto", "", "recovery time objective (e.g. 30m, 4h, 1d)")
	f.StringVar(&o.report, "report", "", "write the report to FILE.html, FILE.json or FILE.md")
	f.StringArrayVar(&o.against, "against", nil, "compare a sample with the live `SOURCE`: a folder for the files, a DSN for the tables, or TABLE=DSN|FILE (repeatable)")
	f.StringVar(&o.scratch, "scratch", "", "folder for the scratch restore (default: the system's temporary folder)")
	return cmd
}

func runDrill(ctx context.Context, env *cliEnv, o *drillOptions, pos []string) error {
	if len(pos) > 0 {
		return usagef("drill takes no arguments (name items with --table and --path)")
	}
	var opts []drill.Option
	if o.rto != "" {
		d, err := parseAge(o.rto, time.Now())
		if err != nil {
			return usagef("--rto %q: want a positive duration such as 30m, 4h or 1d", o.rto)
		}
		opts = append(opts, drill.WithRTO(d))
	}
	if o.sample < 0 {
		return usagef("--sample must not be negative")
	}
	var write func(*drill.Report, *os.File) error
	switch strings.ToLower(filepath.Ext(o.report)) {
	case "":
		if o.report != "" {
			return usagef("--report %q: name a .html, .json or .md file", o.report)
		}
	case ".html", ".htm":
		write = func(r *drill.Report, f *os.File) error { return r.WriteHTML(f) }
	case ".json":
		write = func(r *drill.Report, f *os.File) error { return r.WriteJSON(f) }
	case ".md":
		write = func(r *drill.Report, f *os.File) error { return r.WriteMarkdown(f) }
	default:
		return usagef("--report %q: name a .html, .json or .md file", o.report)
	}
	if o.snapshot != "" {
		opts = append(opts, drill.WithSnapshot(o.snapshot))
	}
	for _, t := range o.tables {
		opts = append(opts, drill.WithTable(t))
	}
	if len(o.paths) > 0 {
		opts = append(opts, drill.WithPaths(o.paths...))
	}
	if o.sample > 0 {
		opts = append(opts, drill.WithSample(o.sample))
	}
	if o.scratch != "" {
		opts = append(opts, drill.WithScratch(o.scratch))
	}
	if !env.json {
		opts = append(opts, drill.OnItem(func(it drill.Item) {
			state := "ok    "
			if !it.Passed {
				state = "FAILED"
			}
			fmt.Fprintf(env.stdout, "%s  %s %s (snapshot %s, priority %d): %s in %s, available after %s\n",
				state, it.Kind, it.Name, it.Snapshot[:8], it.Priority, restoredText(it), fmtDrillDur(it.Duration), fmtDrillDur(it.Available))
			for _, c := range it.Checks {
				if !c.Passed {
					fmt.Fprintf(env.stdout, "        check failed: %s: %s\n", c.Name, c.Detail)
				}
			}
			if a := it.Against; a != nil {
				fmt.Fprintf(env.stdout, "        against %s: %d of %d sampled equal\n", a.Source, a.Same, a.Sampled)
				for _, ch := range a.Changed {
					fmt.Fprintf(env.stdout, "          %s: %s\n", ch.Name, ch.What)
				}
			}
		}))
	}

	aopts, closeSources, err := env.againstOptions(ctx, o)
	defer closeSources()
	if err != nil {
		return err
	}
	opts = append(opts, aopts...)

	r, err := env.openRepo(ctx, true)
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	rep, err := env.lib(r).Drill(ctx, opts...)
	if err != nil {
		return err
	}
	if write != nil {
		f, err := os.Create(o.report)
		if err != nil {
			return fmt.Errorf("drill report: %w", err)
		}
		werr := write(rep, f)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("drill report %s: %w", o.report, werr)
		}
	}
	if env.json {
		if err := env.printJSON(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.stdout, "drill %s: %d items, %s in %s", rep.Verdict(), len(rep.Items), fmtBytes(rep.Bytes), fmtDrillDur(rep.Duration))
		if rep.RTO > 0 {
			fmt.Fprintf(env.stdout, " (RTO %s)", fmtDrillDur(rep.RTO))
		}
		fmt.Fprintln(env.stdout)
		if rep.SourceVerdict != "" {
			fmt.Fprintln(env.stdout, "source: "+rep.SourceVerdict)
		}
	}
	switch rep.Verdict() {
	case "failed":
		return &exitError{code: exitFailure, msg: "drill failed: " + strings.Join(rep.Failed(), "; ")}
	case "slow":
		return &exitError{code: exitDamage, msg: fmt.Sprintf("drill took %s, over the RTO of %s", fmtDrillDur(rep.Duration), fmtDrillDur(rep.RTO))}
	}
	return nil
}

func restoredText(it drill.Item) string {
	if it.Kind == drill.KindTable {
		return fmt.Sprintf("%d records, %s", it.Records, fmtBytes(it.Bytes))
	}
	return fmt.Sprintf("%d files, %s", it.Files, fmtBytes(it.Bytes))
}

func fmtDrillDur(d time.Duration) string {
	if d >= time.Second {
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}
