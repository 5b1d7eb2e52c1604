// Command invoiceplatform runs an e-invoice service's backup plan on
// custodia's public API, over one simulated week, in a few seconds:
//
//   - the service keeps its invoices and invoice lines in SQLite and an XML
//     and a PDF of every invoice in a documents folder;
//   - a weekly full backup on Sunday, a differential on Wednesday and
//     incrementals on the other nights, with invoices first in recovery
//     priority, then their lines, then the documents;
//   - an alert hook called when a nightly backup fails (Thursday the backup
//     disk is not mounted) and when the recovery point monitor finds a
//     backup overdue;
//   - a restore drill against a recovery time objective, its report saved
//     as HTML;
//   - on Saturday the server's data disk is lost: the database and the
//     documents are restored, invoices first, and compared with what the
//     last backup saw.
//
// The week's calendar is simulated: each night's steps run one after the
// other, and the monitor is handed the clock of the morning it checks.
//
//	go run ./examples/invoiceplatform [-dir DIR] [-keep] [-rto 10m]
package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/custodia-backup/custodia"
	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/drill"
	"github.com/custodia-backup/custodia/monitor"
	"github.com/custodia-backup/custodia/source"
	"github.com/custodia-backup/custodia/table"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.dir, "dir", "", "work folder (default: a new temporary folder)")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the work folder (the repository, the restored data, the drill report)")
	flag.DurationVar(&cfg.rto, "rto", 10*time.Minute, "recovery time objective of the drill")
	flag.Parse()
	if _, err := run(context.Background(), cfg, os.Stdout, printAlert(os.Stdout)); err != nil {
		fmt.Fprintln(os.Stderr, "invoiceplatform:", err)
		os.Exit(1)
	}
}

type config struct {
	dir  string
	keep bool
	rto  time.Duration
}

// Alert is what the platform's alert hook receives: an error or a warning
// the library reported through its events while a job ran (a nightly
// backup that failed, a drill that failed or was slower than the RTO), or
// a group of backups the recovery point monitor found overdue. A real
// platform pages the on-call person, mails or posts to a chat channel;
// this one prints.
type Alert struct {
	Subject string // "backup failed", "backup warning", "backup overdue", "drill failed", "drill warning"
	Detail  string
}

func printAlert(w io.Writer) func(Alert) {
	return func(a Alert) { fmt.Fprintf(w, "   ALERT %s: %s\n", a.Subject, a.Detail) }
}

// outcome is what run did, for the test to check.
type outcome struct {
	Alerts []Alert
	// Kinds lists each table's snapshot kinds, oldest first.
	Kinds map[string][]string
	// AtBackup holds the tables' records, and DocsAtBackup the documents'
	// SHA-256 by path, as the last successful backup saw them.
	AtBackup     map[string][]custodia.Record
	DocsAtBackup map[string][32]byte
	// Lost are the invoices issued after the last backup, before the loss.
	Lost []string
	// Order names the restored items in the order they became available.
	Order []string
	// Restored holds the restored tables' records.
	Restored map[string][]custodia.Record
	Drill    *drill.Report
	Data     string // the platform's data folder (database and documents)
	Repo     string // the repository
}

// password is the repository's password; a platform keeps it in its
// secrets store (or splits it among custodians: see examples/bookkeeping).
var password = []byte("invoice platform example — use a long random secret")

// schedule is the week: what the platform does each day, then the night's
// backup.
var schedule = []struct {
	day              string
	kind             string // the tables' snapshot kind
	issued, reversed int
	diskUnmounted    bool
}{
	{"Sunday", "full", 200, 0, false},
	{"Monday", "incremental", 60, 3, false},
	{"Tuesday", "incremental", 65, 2, false},
	{"Wednesday", "differential", 55, 4, false},
	{"Thursday", "incremental", 62, 2, true},
	{"Friday", "incremental", 58, 3, false},
}

func run(ctx context.Context, cfg config, w io.Writer, alert func(Alert)) (*outcome, error) {
	if cfg.dir == "" {
		d, err := os.MkdirTemp("", "custodia-invoiceplatform-")
		if err != nil {
			return nil, err
		}
		cfg.dir = d
	}
	if !cfg.keep {
		defer os.RemoveAll(cfg.dir)
	}
	if cfg.rto <= 0 {
		cfg.rto = 10 * time.Minute
	}
	out := &outcome{Kinds: map[string][]string{}, Data: filepath.Join(cfg.dir, "data"), Repo: filepath.Join(cfg.dir, "backup-disk", "repository")}
	hook := func(a Alert) {
		out.Alerts = append(out.Alerts, a)
		alert(a)
	}
	p, err := newPlatform(out.Data)
	if err != nil {
		return nil, err
	}
	r, err := custodia.Create(ctx, []string{out.Repo}, password)
	if err != nil {
		return nil, err
	}
	if err := r.Close(ctx); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "1. an e-invoice platform in %s: SQLite tables invoices and invoice_lines, an XML and a PDF per invoice; an encrypted repository on the backup disk %s\n", out.Data, out.Repo)

	fmt.Fprintf(w, "2. the week's nightly backups (recovery priority: invoices 1, invoice lines 2, documents 3):\n")
	week := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC) // a Sunday
	var lastGood time.Time
	for i, day := range schedule {
		date := week.AddDate(0, 0, i)
		if day.day == "Friday" {
			// The morning check of a cron job, handed the clock of Friday
			// 05:00: 30 hours after Wednesday's backup.
			fmt.Fprintf(w, "   Friday    05:00 the recovery point check (max age 26h) runs:\n")
			if err := checkStatus(ctx, out.Repo, lastGood.Add(30*time.Hour), hook); err != nil {
				return nil, err
			}
		}
		if err := p.day(ctx, date, day.issued, day.reversed); err != nil {
			return nil, err
		}
		if day.diskUnmounted {
			// The backup disk is not mounted tonight.
			if err := os.Rename(filepath.Dir(out.Repo), filepath.Dir(out.Repo)+".unmounted"); err != nil {
				return nil, err
			}
		}
		night, err := nightly(ctx, p, out.Repo, day.kind, alertOn("backup", day.day+"'s nightly backup", hook))
		if day.diskUnmounted {
			if err := os.Rename(filepath.Dir(out.Repo)+".unmounted", filepath.Dir(out.Repo)); err != nil {
				return nil, err
			}
		}
		if err != nil {
			// The alert went out through the job's events.
			fmt.Fprintf(w, "   %-9s 23:00 %-12s FAILED (%d invoices issued today)\n", day.day, day.kind, day.issued)
			continue
		}
		lastGood = night.finished
		for _, t := range tables {
			out.Kinds[t.name] = append(out.Kinds[t.name], night.tables[t.name].Table.Kind)
		}
		fmt.Fprintf(w, "   %-9s 23:00 %-12s %s\n", day.day, day.kind, night.summary())
		if i == 0 {
			d, err := protected(night.tables["invoices"])
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(w, "                   the decisions stored with invoices: %s; every other field kept\n", d)
		}
		if day.day == "Friday" {
			if err := checkStatus(ctx, out.Repo, lastGood.Add(2*time.Hour), hook); err != nil {
				return nil, err
			}
			fmt.Fprintf(w, "   Saturday  01:00 the recovery point check finds both tables and the documents fresh, the backup disk reachable\n")
		}
	}

	// What the last backup saw: the reference for the restore.
	if out.AtBackup, err = dump(ctx, p.dbPath); err != nil {
		return nil, err
	}
	if out.DocsAtBackup, err = hashTree(p.docs); err != nil {
		return nil, err
	}

	if out.Drill, err = runDrill(ctx, cfg, out.Repo, alertOn("drill", "the restore drill", hook)); err != nil {
		return nil, err
	}
	d := out.Drill
	fmt.Fprintf(w, "3. restore drill: %s in %s against an RTO of %s (%d records, %s, %s/s), %d checks; report %s\n",
		d.Verdict(), d.Duration.Round(time.Millisecond), cfg.rto, d.Records, mib(d.Bytes), mib(d.Throughput64()), countChecks(d), filepath.Join(cfg.dir, "drill.html"))
	for _, it := range d.Items {
		fmt.Fprintf(w, "   priority %d %-28s available after %s\n", it.Priority, it.Kind+" "+it.Name, it.Available.Round(time.Millisecond))
	}

	// Saturday: invoices issued during the day, then the data disk fails
	// before the night's backup.
	before := len(p.issued)
	if err := p.day(ctx, week.AddDate(0, 0, 6), 25, 1); err != nil {
		return nil, err
	}
	out.Lost = p.issued[before:]
	if err := os.RemoveAll(out.Data); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "4. Saturday 15:00: the server's data disk fails; the database and %d documents are gone, with the %d invoices issued since Friday's backup (the recovery point of a nightly plan)\n",
		len(out.DocsAtBackup)+2*len(out.Lost), len(out.Lost))

	if out.Restored, out.Order, err = priorityRestore(ctx, w, p, out.Repo); err != nil {
		return nil, err
	}
	docs, err := hashTree(p.docs)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		if !reflect.DeepEqual(out.Restored[t.name], out.AtBackup[t.name]) {
			return nil, fmt.Errorf("restored table %s differs from what the backup saw", t.name)
		}
	}
	if !reflect.DeepEqual(docs, out.DocsAtBackup) {
		return nil, fmt.Errorf("restored documents differ from what the backup saw")
	}
	fmt.Fprintf(w, "6. the restored database equals Friday night's record for record (%d invoices, %d lines, bank accounts decrypted) and the %d documents byte for byte\n",
		len(out.Restored["invoices"]), len(out.Restored["invoice_lines"]), len(docs))
	if cfg.keep {
		fmt.Fprintf(w, "The work folder %s is kept. Try the CLI on it:\n  CUSTODIA_REPOSITORY=%s CUSTODIA_PASSWORD='%s' go run ./cmd/custodia snapshots\n", cfg.dir, out.Repo, password)
	}
	return out, nil
}

// night is what one nightly backup made.
type night struct {
	tables   map[string]*custodia.Snapshot
	files    *custodia.BackupResult
	finished time.Time
}

func (n *night) summary() string {
	var parts []string
	for _, t := range tables {
		s := n.tables[t.name]
		c := s.Table.Changes
		parts = append(parts, fmt.Sprintf("%s %d records (+%d ~%d)", t.name, s.Table.Records, c.Added, c.Changed))
	}
	s := n.files.Snapshot.Stats
	parts = append(parts, fmt.Sprintf("documents %d new of %d, %s stored", s.FilesNew, s.Files, kib(s.StoredAdded)))
	return strings.Join(parts, ", ")
}

// nightly is the platform's cron job: open the repository, back up both
// tables (a full, differential or incremental) and the documents, close.
// events receives the library's events of every step.
func nightly(ctx context.Context, p *platform, repoDir, kind string, events custodia.Option) (*night, error) {
	r, err := custodia.Open(ctx, []string{repoDir}, password, events)
	if err != nil {
		return nil, err
	}
	n := &night{tables: map[string]*custodia.Snapshot{}}
	err = func() error {
		db, err := source.OpenDB(ctx, "sqlite://"+p.dbPath)
		if err != nil {
			return err
		}
		defer db.Close()
		for _, t := range tables {
			opts := []custodia.TableOption{
				backup.WithPolicy(policy),
				custodia.WithTablePriority(t.priority),
				backup.WithTableTags("nightly"),
				backup.WithFullEvery(0), // fulls only on Sundays
			}
			switch kind {
			case "full":
				opts = append(opts, backup.WithFull())
			case "differential":
				opts = append(opts, backup.WithDifferential())
			}
			s, err := r.BackupTable(ctx, t.name, t.key, db.Records(ctx, source.Query{Table: t.name}), opts...)
			if err != nil {
				return fmt.Errorf("table %s: %w", t.name, err)
			}
			n.tables[t.name] = s
		}
		n.files, err = r.Backup(ctx, []string{p.docs}, custodia.WithTags("documents"), custodia.WithPriority(documentsPriority))
		if err != nil {
			return fmt.Errorf("documents: %w", err)
		}
		if len(n.files.Errors) > 0 {
			return fmt.Errorf("documents: %d files could not be read: %v", len(n.files.Errors), n.files.Errors[0])
		}
		return nil
	}()
	if err = errors.Join(err, r.Close(ctx)); err != nil {
		return nil, err
	}
	n.finished = time.Now()
	return n, nil
}

// protected lists the fields of a table snapshot that its stored
// decisions do not keep as they are.
func protected(s *custodia.Snapshot) (string, error) {
	plan, err := table.StoredPlan(s.Table)
	if err != nil {
		return "", err
	}
	var out []string
	for _, d := range plan.Fields {
		if d.Action.Kind != classify.ActionKeep {
			out = append(out, fmt.Sprintf("%s %s (%s, level %d)", d.Field, d.Action, d.Type, d.Level))
		}
	}
	if len(out) == 0 {
		return "none protected", nil
	}
	return strings.Join(out, ", "), nil
}

// alertOn returns the event handler of one of the platform's jobs (job is
// "backup" or "drill", what names the run): every error the library
// reports becomes an alert "<job> failed", every warning (files left out,
// a site that missed shards, a drill slower than its RTO) an alert
// "<job> warning".
func alertOn(job, what string, alert func(Alert)) custodia.Option {
	return custodia.WithEvents(func(e custodia.Event) {
		switch e.Kind {
		case custodia.EventError:
			alert(Alert{job + " failed", fmt.Sprintf("%s: %s: %s", what, e.Op, e.Message)})
		case custodia.EventWarning:
			alert(Alert{job + " warning", fmt.Sprintf("%s: %s: %s", what, e.Op, e.Message)})
		}
	})
}

// checkStatus is the recovery point monitor a cron job runs each morning:
// every table and the documents must have a snapshot younger than 26
// hours at the clock now; each overdue group is an alert.
func checkStatus(ctx context.Context, repoDir string, now time.Time, alert func(Alert)) error {
	r, err := custodia.Open(ctx, []string{repoDir}, password)
	if err != nil {
		alert(Alert{"backup overdue", fmt.Sprintf("the repository cannot be opened: %v", err)})
		return nil
	}
	defer r.Close(ctx)
	rep, err := monitor.Check(ctx, r.Repo(), monitor.WithTable("invoices"), monitor.WithTable("invoice_lines"), monitor.WithTag("documents"),
		monitor.WithMaxAge(26*time.Hour), monitor.WithClock(func() time.Time { return now }))
	if err != nil {
		return err
	}
	for _, g := range rep.Groups {
		if g.Overdue {
			alert(Alert{"backup overdue", fmt.Sprintf("%s: newest snapshot %s old (max %s)", g.Group, g.Age.Round(time.Minute), rep.MaxAge)})
		}
	}
	for _, s := range rep.UnreachableSites() {
		alert(Alert{"backup overdue", "site unreachable: " + s})
	}
	return nil
}

// runDrill restores both tables and the newest documents into scratch
// space, checks them (every chunk authenticated, record counts, 50 records
// fetched again by key), times them against the RTO and saves the HTML
// report.
func runDrill(ctx context.Context, cfg config, repoDir string, events custodia.Option) (*drill.Report, error) {
	r, err := custodia.Open(ctx, []string{repoDir}, password, events)
	if err != nil {
		return nil, err
	}
	defer r.Close(ctx)
	scratch := filepath.Join(cfg.dir, "drill-scratch")
	if err := os.MkdirAll(scratch, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)
	rep, err := r.Drill(ctx, drill.WithTable("invoices"), drill.WithTable("invoice_lines"), drill.WithFiles(),
		drill.WithRTO(cfg.rto), drill.WithSample(50), drill.WithScratch(scratch))
	if err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(cfg.dir, "drill.html"))
	if err != nil {
		return nil, err
	}
	return rep, errors.Join(rep.WriteHTML(f), f.Close())
}

func countChecks(r *drill.Report) int {
	n := 0
	for _, it := range r.Items {
		n += len(it.Checks)
	}
	return n
}

// priorityRestore brings the platform back after the loss of its data
// disk: it creates an empty database with the schema and restores the
// newest snapshots of both tables and of the documents, critical first,
// whatever the order they are listed in. It returns the restored records,
// read back from the new database, and the order of availability.
func priorityRestore(ctx context.Context, w io.Writer, p *platform, repoDir string) (map[string][]custodia.Record, []string, error) {
	r, err := custodia.Open(ctx, []string{repoDir}, password)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close(ctx)
	if err := os.MkdirAll(filepath.Dir(p.dbPath), 0o755); err != nil {
		return nil, nil, err
	}
	if err := createDB(p.dbPath); err != nil {
		return nil, nil, err
	}
	docs, err := r.Latest(ctx, custodia.Filter{Tags: [][]string{{"documents"}}})
	if err != nil {
		return nil, nil, err
	}
	// Listed in the order an operator might type them; RestoreAll goes by
	// priority.
	items := []custodia.RestoreItem{{Snapshot: docs, Target: filepath.Dir(p.docs)}}
	names := []string{"documents"}
	for i := len(tables) - 1; i >= 0; i-- {
		name := tables[i].name
		s, err := r.TableSnapshot(ctx, name, "latest")
		if err != nil {
			return nil, nil, err
		}
		items = append(items, custodia.RestoreItem{Snapshot: s, Records: func(recs iter.Seq2[custodia.Record, error]) error {
			_, err := insertRecords(ctx, p.dbPath, name, recs)
			return err
		}})
		names = append(names, name)
	}
	fmt.Fprintf(w, "5. priority restore of %s (listed in that order):\n", strings.Join(names, ", "))
	var order []string
	// The database is recreated in the data folder first, so the documents
	// are restored beside it.
	for a, err := range r.RestoreAll(ctx, items, custodia.WithOverwrite()) {
		if err != nil {
			return nil, nil, fmt.Errorf("restore %s: %w", names[a.Index], err)
		}
		order = append(order, names[a.Index])
		what := fmt.Sprintf("%d records", a.Records)
		if a.Records == 0 {
			what = fmt.Sprintf("%d files, %s", a.Files, mib(a.Bytes))
		}
		fmt.Fprintf(w, "   priority %d %-14s %-22s available after %s\n", a.Priority, names[a.Index], what, a.After.Round(time.Millisecond))
	}
	restored, err := dump(ctx, p.dbPath)
	return restored, order, err
}

// hashTree returns the SHA-256 of every file under root, by path relative
// to root.
func hashTree(root string) (map[string][32]byte, error) {
	out := make(map[string][32]byte)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		out[filepath.ToSlash(rel)] = sha256.Sum256(b)
		return err
	})
	return out, err
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
func kib(n uint64) string { return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10)) }
