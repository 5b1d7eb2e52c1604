// Command bookkeeping runs a bookkeeping SaaS's backup plan on custodia's
// public API: many client companies, each with its own database of
// customers (resident IDs, bank accounts, addresses) and receivables, and
// its own folder of receipts, plus the accounting archive of closed years.
// Over one simulated month it shows:
//
//   - a classification policy applied to every client's tables before
//     anything is stored: resident IDs and bank accounts encrypted,
//     addresses masked, customer IDs tokenized so that a client's
//     receivables still join its customers after a restore;
//
//   - the month-end sampled verification: 50 records of every client's
//     customers compared with the backup;
//
//   - per-client restores: one customer record, and one client's
//     documents;
//
//   - retention floors: the accounting archive is kept 30 years whatever
//     the keep rules say;
//
//   - two-person control: the key split among three managers, any two of
//     whom restore; one alone, and the old password, are refused, while
//     the nightly document backups go on with a write-only key.
//
//     go run ./examples/bookkeeping [-dir DIR] [-keep] [-clients 8]
package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/custodia-backup/custodia"
	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/table"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.dir, "dir", "", "work folder (default: a new temporary folder)")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the work folder")
	flag.IntVar(&cfg.clients, "clients", 8, "client companies (at least 5)")
	flag.IntVar(&cfg.customers, "customers", 200, "customers per client at the start (at least 60)")
	flag.Parse()
	if _, err := run(context.Background(), cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bookkeeping:", err)
		os.Exit(1)
	}
}

type config struct {
	dir                string
	keep               bool
	clients, customers int
}

// outcome is what run did, for the test to check.
type outcome struct {
	Data, Repo string
	Clients    []string
	// Live holds every client's tables as the last backup saw them, by
	// backed-up table name.
	Live map[string][]custodia.Record
	// Decisions are the stored decisions of a customers table, by field.
	Decisions map[string]classify.Decision
	// JoinedLive and JoinedRestored are "name total" lines of a client's
	// receivables per customer, joined on customer IDs in the live
	// database and on tokens in the restored tables.
	JoinedLive, JoinedRestored []string
	// Sampled counts the records compared by the month-end verification,
	// Mismatched those that differed.
	Sampled, Mismatched int
	// Original, Damaged and Restored are the customer record restored
	// alone: before and after the mistake, and from the backup.
	Original, Damaged, Restored custodia.Record
	// ClientDocs and RestoredDocs are one client's documents (SHA-256 by
	// path) in the live folder and as restored; RestoredFiles counts every
	// file the per-client restore wrote.
	ClientDocs, RestoredDocs map[string][32]byte
	// Removed are the snapshots forget removed; Held those a retention
	// floor kept from it.
	Removed, Held []*custodia.Snapshot
	// PasswordErr, OneCustodianErr and WriteOnlyReadErr are the refusals
	// after the split.
	PasswordErr, OneCustodianErr, WriteOnlyReadErr error
	// TwoPerson are a client's customers restored by two custodians, and
	// Reference the same table restored before the split.
	TwoPerson, Reference []custodia.Record
}

var (
	adminPassword = []byte("bookkeeping example — the administrator's password until the split")
	jobPassword   = []byte("bookkeeping example — the backup job's write-only password")
	carolPassword = []byte("bookkeeping example — carol's custody password")
)

const (
	// example is the client whose data the per-client steps restore.
	example = "c0005"
	// sample is how many records of each client the month-end
	// verification compares.
	sample = 50
)

func run(ctx context.Context, cfg config, w io.Writer) (*outcome, error) {
	if cfg.dir == "" {
		d, err := os.MkdirTemp("", "custodia-bookkeeping-")
		if err != nil {
			return nil, err
		}
		cfg.dir = d
	}
	if !cfg.keep {
		defer os.RemoveAll(cfg.dir)
	}
	cfg.clients = max(cfg.clients, 5)
	cfg.customers = max(cfg.customers, 60)
	out := &outcome{Data: filepath.Join(cfg.dir, "saas"), Repo: filepath.Join(cfg.dir, "vault"), Live: map[string][]custodia.Record{}}
	s, err := newSaaS(out.Data, cfg.clients, cfg.customers)
	if err != nil {
		return nil, err
	}
	out.Clients = s.clients
	r, err := custodia.Create(ctx, []string{out.Repo}, adminPassword)
	if err != nil {
		return nil, err
	}
	defer func() {
		if r != nil {
			r.Close(ctx)
		}
	}()
	fmt.Fprintf(w, "1. a bookkeeping SaaS with %d client companies in %s: a SQLite database each (customers with resident IDs, bank accounts and addresses; receivables), their receipts, and the 2025 accounting archive\n", len(s.clients), out.Data)

	// A month of weekly backups: every client's tables (a full the first
	// week, then incrementals), the documents, and the archive when it
	// changes.
	fmt.Fprintf(w, "2. a month of weekly backups into the vault %s:\n", out.Repo)
	month := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for wk := range 4 {
		t := month.AddDate(0, 0, 7*wk)
		if err := s.week(ctx, t); err != nil {
			return nil, err
		}
		var recs, added, changed uint64
		kinds := map[string]int{}
		for _, c := range s.clients {
			for _, tb := range tables {
				snap, err := r.BackupTable(ctx, tableName(c, tb.name), tb.key, sourceRecords(ctx, s.db(c), tb.name),
					backup.WithPolicy(policy), backup.WithTableTags("client:"+c))
				if err != nil {
					return nil, fmt.Errorf("back up %s: %w", tableName(c, tb.name), err)
				}
				kinds[snap.Table.Kind]++
				recs += snap.Table.Records
				added += snap.Table.Changes.Added
				changed += snap.Table.Changes.Changed
			}
		}
		docs, err := r.Backup(ctx, []string{s.documents()}, custodia.WithTags("documents"))
		if err != nil {
			return nil, err
		}
		line := fmt.Sprintf("   week %d: %d tables %s, %d records (+%d ~%d); documents %d files (%d new)",
			wk+1, len(tables)*len(s.clients), kindList(kinds), recs, added, changed, docs.Snapshot.Stats.Files, docs.Snapshot.Stats.FilesNew)
		if wk == 0 || wk == 2 {
			if wk == 2 {
				// The 2025 annual report of one client is amended.
				if err := s.writeDoc(filepath.Join(s.archive(), "2025", "c0002", "annual-report-amended.pdf"), 8<<10); err != nil {
					return nil, err
				}
			}
			a, err := r.Backup(ctx, []string{s.archive()}, custodia.WithTags("accounting-archive"))
			if err != nil {
				return nil, err
			}
			line += fmt.Sprintf("; accounting archive %d files", a.Snapshot.Stats.Files)
		}
		fmt.Fprintln(w, line)
	}
	for _, c := range s.clients {
		for _, tb := range tables {
			if out.Live[tableName(c, tb.name)], err = records(ctx, s.db(c), tb.name, tb.key[0]); err != nil {
				return nil, err
			}
		}
	}
	snap, err := r.TableSnapshot(ctx, tableName(example, "customers"), "latest")
	if err != nil {
		return nil, err
	}
	plan, err := table.StoredPlan(snap.Table)
	if err != nil {
		return nil, err
	}
	out.Decisions = map[string]classify.Decision{}
	var shown []string
	for _, d := range plan.Fields {
		out.Decisions[d.Field] = d
		if d.Action.Kind != classify.ActionKeep {
			shown = append(shown, fmt.Sprintf("%s %s (%s)", d.Field, d.Action, d.Type))
		}
	}
	fmt.Fprintf(w, "   decisions stored with each customers table: %s; the rest kept\n", strings.Join(shown, ", "))

	// 3. Joins on restored data.
	if err := joins(ctx, w, r, s, out); err != nil {
		return nil, err
	}

	// 4. Month-end sampled verification.
	for _, c := range s.clients {
		snap, err := r.TableSnapshot(ctx, tableName(c, "customers"), "latest")
		if err != nil {
			return nil, err
		}
		rep, err := r.VerifyTableSample(ctx, snap, sourceRecords(ctx, s.db(c), "customers"), sample)
		if err != nil {
			return nil, err
		}
		out.Sampled += rep.Sampled
		out.Mismatched += len(rep.Mismatched) + len(rep.Missing)
	}
	fmt.Fprintf(w, "4. month-end verification: %d customer records (%d per client) read from the live databases, protected with the stored decisions and compared with the backup: %d differ\n",
		out.Sampled, sample, out.Mismatched)
	if out.Mismatched > 0 {
		return nil, fmt.Errorf("%d sampled records differ from the backup", out.Mismatched)
	}

	// 5. One record of one client.
	if err := oneRecord(ctx, w, r, s, out); err != nil {
		return nil, err
	}

	// 6. One client's documents.
	if err := clientDocuments(ctx, w, r, s, cfg.dir, out); err != nil {
		return nil, err
	}

	// 7. Retention floors and forget.
	if err := retention(ctx, w, r, out); err != nil {
		return nil, err
	}

	// 8. Two-person control.
	if out.Reference, err = collect(r.RestoreTable(ctx, snap)); err != nil {
		return nil, err
	}
	err = twoPerson(ctx, w, r, s, out, snap)
	r = nil // closed by twoPerson
	if err != nil {
		return nil, err
	}
	if cfg.keep {
		fmt.Fprintf(w, "The work folder %s is kept; the vault now opens only with two custodians' shares.\n", cfg.dir)
	}
	return out, nil
}

func kindList(kinds map[string]int) string {
	var parts []string
	for _, k := range []string{repo.TableFull, repo.TableIncremental, repo.TableDifferential} {
		if kinds[k] > 0 {
			parts = append(parts, k)
		}
	}
	return strings.Join(parts, "+")
}

// joins restores one client's customers and receivables and joins them on
// the tokenized customer IDs: every receivable must find its customer and
// the totals per customer must equal the live database's.
func joins(ctx context.Context, w io.Writer, r *custodia.Repository, s *saas, out *outcome) error {
	const client = "c0003"
	restored := map[string][]custodia.Record{}
	for _, tb := range tables {
		snap, err := r.TableSnapshot(ctx, tableName(client, tb.name), "latest")
		if err != nil {
			return err
		}
		if restored[tb.name], err = collect(r.RestoreTable(ctx, snap)); err != nil {
			return err
		}
	}
	names := map[string]string{} // token -> name
	for _, c := range restored["customers"] {
		names[value(c, "customer_id")] = value(c, "name")
	}
	totals := map[string]int64{}
	var sum int64
	for _, v := range restored["receivables"] {
		tok := value(v, "customer_id")
		if _, ok := names[tok]; !ok {
			return fmt.Errorf("restored receivable %s names no restored customer", value(v, "voucher_no"))
		}
		var fen int64
		fmt.Sscan(value(v, "amount_fen"), &fen)
		totals[tok] += fen
		sum += fen
	}
	for tok, fen := range totals {
		out.JoinedRestored = append(out.JoinedRestored, fmt.Sprintf("%s %d", names[tok], fen))
	}
	db, err := sql.Open("sqlite", s.db(client))
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT c.name, SUM(r.amount_fen) FROM receivables r JOIN customers c USING (customer_id) GROUP BY c.customer_id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var fen int64
		if err := rows.Scan(&name, &fen); err != nil {
			return err
		}
		out.JoinedLive = append(out.JoinedLive, fmt.Sprintf("%s %d", name, fen))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	slices.Sort(out.JoinedLive)
	slices.Sort(out.JoinedRestored)
	if !slices.Equal(out.JoinedLive, out.JoinedRestored) {
		return fmt.Errorf("client %s: the join of the restored tables differs from the live database's", client)
	}
	fmt.Fprintf(w, "3. client %s's tables restored: %d customers, %d receivables joined on the tokenized customer_id (%s…): every receivable finds its customer, and the %d customers' totals (%s in all) equal the live database's\n",
		client, len(restored["customers"]), len(restored["receivables"]), value(restored["customers"][0], "customer_id")[:12], len(totals), yuan(sum))
	return nil
}

// oneRecord: an employee of one client overwrites a customer's bank
// account and address by mistake; that one record is restored from the
// backup through its key, and the bank account put back.
func oneRecord(ctx context.Context, w io.Writer, r *custodia.Repository, s *saas, out *outcome) error {
	id := customerID(example, 42)
	for _, rec := range out.Live[tableName(example, "customers")] {
		if value(rec, "customer_id") == id {
			out.Original = rec
		}
	}
	if out.Original == nil {
		return fmt.Errorf("no customer %s", id)
	}
	db, err := sql.Open("sqlite", s.db(example))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `UPDATE customers SET bank_account = '6222020000000000000', address = '未知' WHERE customer_id = ?`, id); err != nil {
		return err
	}
	live, err := records(ctx, s.db(example), "customers", "customer_id")
	if err != nil {
		return err
	}
	for _, rec := range live {
		if value(rec, "customer_id") == id {
			out.Damaged = rec
		}
	}
	snap, err := r.TableSnapshot(ctx, tableName(example, "customers"), "latest")
	if err != nil {
		return err
	}
	got, err := collect(r.RestoreRecords(ctx, snap, [][]string{{id}}))
	if err != nil {
		return err
	}
	if len(got) != 1 {
		return fmt.Errorf("restore of customer %s gave %d records", id, len(got))
	}
	out.Restored = got[0]
	// The encrypted fields come back as they were; the masked address is
	// not in the backup by design, so the client re-enters it.
	if _, err := db.ExecContext(ctx, `UPDATE customers SET bank_account = ? WHERE customer_id = ?`, value(out.Restored, "bank_account"), id); err != nil {
		return err
	}
	fmt.Fprintf(w, "5. client %s overwrote customer %s's bank account by mistake; that one record restored by its key from snapshot %s: bank account %s and resident ID %s decrypted, equal to the originals; address stored masked as %q; the bank account written back\n",
		example, id, snap.ID.String()[:8], display(value(out.Restored, "bank_account")), display(value(out.Restored, "resident_id")), value(out.Restored, "address"))
	return nil
}

// clientDocuments restores one client's folder of receipts, and nothing
// else, from the newest documents snapshot.
func clientDocuments(ctx context.Context, w io.Writer, r *custodia.Repository, s *saas, dir string, out *outcome) error {
	docs, err := r.Latest(ctx, custodia.Filter{Tags: [][]string{{"documents"}}})
	if err != nil {
		return err
	}
	target := filepath.Join(dir, "restored-"+example)
	res, err := r.Restore(ctx, docs, target, custodia.WithInclude(filepath.Base(s.documents())+"/"+example))
	if err != nil {
		return err
	}
	if out.ClientDocs, err = hashTree(filepath.Join(s.documents(), example)); err != nil {
		return err
	}
	if out.RestoredDocs, err = hashTree(target); err != nil {
		return err
	}
	got := map[string][32]byte{}
	for p, h := range out.RestoredDocs {
		got[strings.TrimPrefix(p, "documents/"+example+"/")] = h
	}
	if len(got) != len(out.ClientDocs) || len(out.RestoredDocs) != int(res.Files) {
		return fmt.Errorf("restored %d files for %d documents of client %s", res.Files, len(out.ClientDocs), example)
	}
	for p, h := range out.ClientDocs {
		if got[p] != h {
			return fmt.Errorf("restored document %s differs", p)
		}
	}
	fmt.Fprintf(w, "6. client %s's documents restored alone from snapshot %s: %d of its %d files (%s), identical to the live ones; no other client's file restored\n",
		example, docs.ID.String()[:8], res.Files, docs.Stats.Files, kib(res.Bytes))
	return nil
}

// retention sets the 30-year floor of the accounting archive and applies
// the keep rules (the newest snapshot of each group) to the documents and
// the archive: older documents snapshots go, the archive's stay.
func retention(ctx context.Context, w io.Writer, r *custodia.Repository, out *outcome) error {
	span, err := repo.ParseSpan("30y")
	if err != nil {
		return err
	}
	if _, err := r.Repo().SetRetentionFloor(ctx, "accounting-archive", "", span); err != nil {
		return err
	}
	plan, _, err := r.Repo().PlanForget(ctx, repo.ForgetOptions{Policy: repo.KeepPolicy{Last: 1}, Tags: []string{"documents", "accounting-archive"}})
	if err != nil {
		return err
	}
	var held string
	for _, g := range plan.Groups {
		for _, d := range g.Keep {
			if d.Floor != nil {
				out.Held = append(out.Held, d.Snapshot)
				held = fmt.Sprintf("%s (%s, until %s)", d.Snapshot.ID.String()[:8], d.Floor.Reason(), d.Floor.Until(d.Snapshot).Format("2006-01-02"))
			}
		}
	}
	if out.Removed, err = r.Repo().Forget(ctx, plan); err != nil {
		return err
	}
	fmt.Fprintf(w, "7. retention floor: the accounting archive is kept 30 years; forget keeping the newest snapshot removed %d older documents snapshots and kept %d archive snapshot it would have removed: %s\n",
		len(out.Removed), len(out.Held), held)
	return nil
}

// twoPerson puts the vault under two-person control: a write-only key for
// the backup job, then the read capability split among three managers,
// any two of whom restore. It closes r.
func twoPerson(ctx context.Context, w io.Writer, r *custodia.Repository, s *saas, out *outcome, snap *custodia.Snapshot) error {
	if _, err := r.Repo().AddKey(ctx, jobPassword, repo.RoleWriteOnly, repo.WithLabel("nightly backup job")); err != nil {
		return errors.Join(err, r.Close(ctx))
	}
	split, err := r.Split(ctx, 2, []custodia.Custodian{{Name: "alice"}, {Name: "bob"}, {Name: "carol", Password: carolPassword}})
	if err = errors.Join(err, r.Close(ctx)); err != nil {
		return err
	}
	fmt.Fprintf(w, "8. two-person control: the vault's key split %d of %d (alice and bob hold text shares, carol a password); the administrator's password removed\n", split.Threshold, split.Shares)

	_, out.PasswordErr = custodia.Open(ctx, []string{out.Repo}, adminPassword)
	if !errors.Is(out.PasswordErr, custodia.ErrWrongPassword) {
		return fmt.Errorf("the administrator's password after the split: %v", out.PasswordErr)
	}
	job, err := custodia.Open(ctx, []string{out.Repo}, jobPassword)
	if err != nil {
		return err
	}
	res, err := job.Backup(ctx, []string{s.documents()}, custodia.WithTags("documents"))
	if err == nil {
		_, out.WriteOnlyReadErr = job.Restore(ctx, res.Snapshot, filepath.Join(filepath.Dir(out.Repo), "job-restore"))
	}
	if err = errors.Join(err, job.Close(ctx)); err != nil {
		return err
	}
	if !errors.Is(out.WriteOnlyReadErr, repo.ErrWriteOnly) {
		return fmt.Errorf("a write-only restore: %v", out.WriteOnlyReadErr)
	}
	fmt.Fprintf(w, "   the administrator's password is refused (%v); the backup job's write-only key still backs up the documents (%d files) but cannot restore them\n", out.PasswordErr, res.Snapshot.Stats.Files)

	alice := custodia.ShareInput{Text: split.TextShares["alice"], From: "alice"}
	_, out.OneCustodianErr = custodia.OpenWithShares(ctx, []string{out.Repo}, custodia.Shares(alice))
	if !errors.Is(out.OneCustodianErr, custodia.ErrNotEnoughShares) {
		return fmt.Errorf("one custodian alone: %v", out.OneCustodianErr)
	}
	fmt.Fprintf(w, "   alice alone is refused: %v\n", out.OneCustodianErr)

	two, err := custodia.OpenWithShares(ctx, []string{out.Repo}, custodia.Shares(alice, custodia.ShareInput{Password: slices.Clone(carolPassword), From: "carol"}))
	if err != nil {
		return err
	}
	defer two.Close(ctx)
	if out.TwoPerson, err = collect(two.RestoreTable(ctx, snap)); err != nil {
		return err
	}
	if !slices.EqualFunc(out.TwoPerson, out.Reference, func(a, b custodia.Record) bool { return slices.Equal(a, b) }) {
		return fmt.Errorf("the two-person restore differs")
	}
	fmt.Fprintf(w, "   alice and carol together restore client %s's customers: %d records, equal to the restore made before the split\n", example, len(out.TwoPerson))
	return nil
}

func collect(seq iter.Seq2[custodia.Record, error]) ([]custodia.Record, error) {
	var out []custodia.Record
	for rec, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

func value(rec custodia.Record, name string) string {
	f, _ := rec.Get(name)
	return f.Value
}

// display shows the first and last four characters of a secret, for the
// narrative.
func display(v string) string {
	if len(v) < 10 {
		return "****"
	}
	return v[:4] + strings.Repeat("*", len(v)-8) + v[len(v)-4:]
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

// yuan formats an amount in fen as yuan with thousands separators.
func yuan(fen int64) string {
	digits := strconv.FormatInt(fen/100, 10)
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return fmt.Sprintf("¥%s.%02d", b.String(), fen%100)
}

func kib(n uint64) string { return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10)) }
