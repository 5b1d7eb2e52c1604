package drill

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/table"
)

// Item kinds.
const (
	KindFiles = "files"
	KindTable = "table"
)

// DefaultPriority is the priority of a snapshot that names none (1 is the
// most critical, 5 the least).
const DefaultPriority = repo.DefaultPriority

// Report is the outcome of a drill.
type Report struct {
	// ID is the drill record's ID in the repository ("" when not recorded).
	ID string `json:"id,omitempty"`
	// Started is when the drill began; Host where it ran.
	Started time.Time `json:"started"`
	Host    string    `json:"host,omitempty"`
	// Duration is the time to restore and check every item; RTO the
	// objective (0: none).
	Duration time.Duration `json:"duration_ns"`
	RTO      time.Duration `json:"rto_ns,omitempty"`
	// Passed is true when every check of every item passed; WithinRTO
	// when no RTO was set or Duration did not exceed it.
	Passed    bool `json:"passed"`
	WithinRTO bool `json:"within_rto"`
	// Items in the order they were restored (critical first).
	Items []Item `json:"items"`
	// Bytes and Records restored in all; Throughput in bytes per second.
	Bytes      uint64  `json:"bytes"`
	Records    uint64  `json:"records"`
	Throughput float64 `json:"throughput_bytes_per_s"`
	// SourceVerdict says in one line how the samples compared with the
	// live source (WithAgainstFiles, WithAgainstTable): equal, or changed
	// since the snapshot; "" when none was compared. A difference there
	// is not a failed check: the checks prove the restored data is what
	// the repository stored.
	SourceVerdict string `json:"source_verdict,omitempty"`
	// History holds the earlier drills recorded in the repository, oldest
	// first (this one not included).
	History []repo.DrillRecord `json:"history,omitempty"`
}

// Item is one restored item: the files of a snapshot, or a table.
type Item struct {
	Kind string `json:"kind"`
	// Name is the table's name, or the snapshot's paths for files.
	Name         string    `json:"name"`
	Snapshot     string    `json:"snapshot"`
	SnapshotTime time.Time `json:"snapshot_time"`
	Priority     int       `json:"priority"`
	// Duration is the time this item took; Available how long after the
	// drill's start it was restored and checked.
	Duration  time.Duration `json:"duration_ns"`
	Available time.Duration `json:"available_after_ns"`
	Files     uint64        `json:"files,omitempty"`
	Records   uint64        `json:"records,omitempty"`
	Bytes     uint64        `json:"bytes"`
	Checks    []Check       `json:"checks"`
	Passed    bool          `json:"passed"`
	// Against is how a sample compared with the live source, with
	// WithAgainstFiles or WithAgainstTable; nil otherwise.
	Against *Comparison `json:"against,omitempty"`
}

// Check is one check of an item and its outcome.
type Check struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail,omitempty"`
}

// Verdict says in one word how the drill went: "passed", "failed" (a
// check failed) or "slow" (passed, but slower than the RTO).
func (r *Report) Verdict() string {
	switch {
	case !r.Passed:
		return "failed"
	case !r.WithinRTO:
		return "slow"
	}
	return "passed"
}

// Failed names the items that failed a check.
func (r *Report) Failed() []string {
	var out []string
	for _, it := range r.Items {
		if !it.Passed {
			out = append(out, it.Kind+" "+it.Name)
		}
	}
	return out
}

// ErrFailed is the cause Err gives for a drill whose checks did not all
// pass (Run itself returns no error for it: the report says what failed).
var ErrFailed = errors.New("drill: a check failed")

// Err returns nil when every check passed (the drill may still be slower
// than the RTO: see WithinRTO), else an error wrapping ErrFailed that
// names the items that failed.
func (r *Report) Err() error {
	if r.Passed {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrFailed, strings.Join(r.Failed(), "; "))
}

// ErrNothingToDrill means the repository holds no snapshot to restore.
var ErrNothingToDrill = errors.New("drill: no snapshot to restore")

type planned struct {
	snap *repo.Snapshot
	kind string
	name string
}

// Run restores the chosen items of r, checks them, measures the time and
// returns the report. Without WithTable it restores the newest snapshot of
// files (or the one WithSnapshot names). A check that fails is reported in
// the item and the report, not as an error; Run fails only when the drill
// cannot start (an unknown table, no snapshot, no read capability) or the
// context ends.
func Run(ctx context.Context, r *repo.Repository, opts ...Option) (*Report, error) {
	o := options{record: true, now: time.Now, seed: rand.Uint64()}
	for _, opt := range opts {
		opt(&o)
	}
	if o.sample < 0 {
		return nil, fmt.Errorf("drill: sample size %d is negative", o.sample)
	}
	if o.rto < 0 {
		return nil, fmt.Errorf("drill: RTO %v is negative", o.rto)
	}
	if err := restore.ValidatePatterns(o.paths); err != nil {
		return nil, err
	}
	items, err := plan(ctx, r, &o)
	if err != nil {
		return nil, err
	}
	if err := checkAgainst(items, &o); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	rep := &Report{Started: o.now(), Host: host, RTO: o.rto, Passed: true}
	for _, p := range items {
		t0 := time.Now()
		var it Item
		if p.kind == KindTable {
			it = drillTable(ctx, r, p, &o)
		} else {
			it = drillFiles(ctx, r, p, &o)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		it.Duration = time.Since(t0)
		it.Available = time.Since(rep.Started)
		it.Passed = true
		for _, c := range it.Checks {
			it.Passed = it.Passed && c.Passed
		}
		rep.Passed = rep.Passed && it.Passed
		rep.Bytes += it.Bytes
		rep.Records += it.Records
		rep.Items = append(rep.Items, it)
		for _, fn := range o.onItem {
			fn(it)
		}
	}
	rep.Duration = time.Since(rep.Started)
	rep.SourceVerdict = rep.sourceVerdict()
	rep.WithinRTO = o.rto == 0 || rep.Duration <= o.rto
	if s := rep.Duration.Seconds(); s > 0 {
		rep.Throughput = float64(rep.Bytes) / s
	}
	hist, _, err := r.Drills(ctx)
	if err != nil {
		return nil, err
	}
	rep.History = hist
	if o.record {
		rec := &repo.DrillRecord{Time: rep.Started, Host: host, Duration: rep.Duration, RTO: rep.RTO,
			Passed: rep.Passed, WithinRTO: rep.WithinRTO, Items: len(rep.Items), Bytes: rep.Bytes,
			Records: rep.Records, Failed: rep.Failed()}
		id, err := r.SaveDrill(ctx, rec)
		if err != nil {
			return nil, err
		}
		rep.ID = id.String()
		if err := r.AppendAudit(ctx, rep.auditEntry()); err != nil {
			return nil, fmt.Errorf("drill: %w", err)
		}
	}
	return rep, nil
}

// plan finds the snapshot of every item and orders them critical first.
func plan(ctx context.Context, r *repo.Repository, o *options) ([]planned, error) {
	ref := cmp.Or(o.snapshot, "latest")
	var items []planned
	for _, name := range o.tables {
		s, err := table.Find(ctx, r, name, ref)
		if err != nil {
			return nil, fmt.Errorf("drill: table %s: %w", name, err)
		}
		items = append(items, planned{snap: s, kind: KindTable, name: name})
	}
	if o.files || len(o.tables) == 0 {
		var s *repo.Snapshot
		var err error
		if o.snapshot != "" {
			s, err = r.FindSnapshot(ctx, o.snapshot)
		} else {
			s, err = r.FindLatest(ctx, repo.SnapshotFilter{})
		}
		if errors.Is(err, repo.ErrSnapshotNotFound) && o.snapshot == "" && len(items) == 0 {
			return nil, ErrNothingToDrill
		}
		if err != nil {
			return nil, fmt.Errorf("drill: %w", err)
		}
		if s.Kind == repo.KindTable {
			items = append(items, planned{snap: s, kind: KindTable, name: repo.TableOf(s)})
		} else {
			items = append(items, planned{snap: s, kind: KindFiles, name: strings.Join(s.Paths, ", ")})
		}
	}
	slices.SortStableFunc(items, func(a, b planned) int {
		if c := cmp.Compare(priorityOf(a.snap), priorityOf(b.snap)); c != 0 {
			return c
		}
		return cmp.Compare(kindRank(a.kind), kindRank(b.kind))
	})
	return items, nil
}

func kindRank(kind string) int {
	if kind == KindTable {
		return 0
	}
	return 1
}

func newItem(p planned) Item {
	return Item{Kind: p.kind, Name: p.name, Snapshot: p.snap.ID.String(), SnapshotTime: p.snap.Time, Priority: priorityOf(p.snap)}
}

// drillFiles restores the snapshot's files (those matching the patterns)
// into a scratch folder, checks what is on disk and removes it.
func drillFiles(ctx context.Context, r *repo.Repository, p planned, o *options) Item {
	it := newItem(p)
	scratch, err := os.MkdirTemp(o.scratch, "custodia-drill-*")
	if err != nil {
		it.Checks = append(it.Checks, Check{Name: "scratch folder", Detail: err.Error()})
		return it
	}
	defer os.RemoveAll(scratch)
	target := filepath.Join(scratch, "restore")
	var ropts []restore.Option
	if len(o.paths) > 0 {
		ropts = append(ropts, restore.WithInclude(o.paths...))
	}
	res, err := restore.Snapshot(ctx, r, p.snap, target, ropts...)
	if err != nil {
		it.Checks = append(it.Checks, Check{Name: "restore: every blob authenticated and re-hashed against its ID", Detail: err.Error()})
		return it
	}
	it.Checks = append(it.Checks, Check{Name: "restore: every blob authenticated and re-hashed against its ID", Passed: true,
		Detail: fmt.Sprintf("%d files, %d bytes", res.Files, res.Bytes)})
	it.Files, it.Bytes = res.Files, res.Bytes

	files, size, err := onDisk(target)
	want, wantSize, from := res.Files-res.Hardlinks, res.Bytes, "the restore's count"
	if len(o.paths) == 0 && p.snap.Kind == repo.KindFiles || p.snap.Kind == repo.KindStream {
		want, wantSize, from = p.snap.Stats.Files, p.snap.Stats.Bytes, "the snapshot"
	}
	c := Check{Name: "files on disk: count and bytes equal " + from}
	switch {
	case err != nil:
		c.Detail = err.Error()
	case files != want || size != wantSize:
		c.Detail = fmt.Sprintf("%d files, %d bytes on disk; want %d files, %d bytes", files, size, want, wantSize)
	default:
		c.Passed = true
		c.Detail = fmt.Sprintf("%d files, %d bytes", files, size)
	}
	it.Checks = append(it.Checks, c)
	if o.againstFiles != "" {
		check, cmp := compareFiles(ctx, r, p.snap, target, o)
		it.Checks = append(it.Checks, check)
		it.Against = cmp
	}
	return it
}

// onDisk counts the regular files under dir (each inode once) and their
// bytes.
func onDisk(dir string) (files, size uint64, err error) {
	seen := map[inodeKey]bool{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if k, ok := inodeOf(fi); ok {
			if seen[k] {
				return nil
			}
			seen[k] = true
		}
		files++
		size += uint64(fi.Size())
		return nil
	})
	return files, size, err
}

// drillTable reads every record of the table snapshot, checks the count,
// and fetches a sample again by key.
func drillTable(ctx context.Context, r *repo.Repository, p planned, o *options) Item {
	it := newItem(p)
	info := p.snap.Table
	rng := rand.New(rand.NewPCG(o.seed, 0x5eed))
	var sample []classify.Record
	var seen uint64
	var readErr error
	var enc []byte // one record's encoding, reused: only its length is kept
	for rec, err := range restore.Table(ctx, r, p.snap) {
		if err != nil {
			readErr = err
			break
		}
		seen++
		enc = table.AppendRecord(enc[:0], rec)
		it.Bytes += uint64(len(enc))
		// Reservoir sampling keeps o.sample records, each equally likely.
		if len(sample) < o.sample {
			sample = append(sample, rec)
		} else if o.sample > 0 {
			if j := rng.Uint64N(seen); j < uint64(o.sample) {
				sample[j] = rec
			}
		}
	}
	it.Records = seen
	name := "records read: every page authenticated and re-hashed against its ID"
	if readErr != nil {
		it.Checks = append(it.Checks, Check{Name: name, Detail: readErr.Error()})
		return it
	}
	it.Checks = append(it.Checks, Check{Name: name, Passed: true, Detail: fmt.Sprintf("%d records, %d bytes", seen, it.Bytes)})
	c := Check{Name: "record count equals the snapshot's"}
	if info != nil && info.Records == seen {
		c.Passed, c.Detail = true, fmt.Sprintf("%d records", seen)
	} else if info != nil {
		c.Detail = fmt.Sprintf("read %d records; the snapshot holds %d", seen, info.Records)
	}
	it.Checks = append(it.Checks, c)
	if len(sample) > 0 && info != nil {
		it.Checks = append(it.Checks, checkSample(ctx, r, p.snap, info.Key, sample))
	}
	if live, ok := o.againstTables[p.name]; ok {
		cmp, err := compareTable(ctx, r, p.snap, p.name, live, o)
		if err != nil {
			// The comparison asked for could not run: the drill did not
			// do all it was asked to.
			it.Checks = append(it.Checks, Check{Name: "compare a sample with the live source", Detail: err.Error()})
		}
		it.Against = cmp
	}
	return it
}

// checkSample fetches the sampled records again by key, through the key
// index, and compares them with the full read.
func checkSample(ctx context.Context, r *repo.Repository, s *repo.Snapshot, keyFields []string, sample []classify.Record) Check {
	c := Check{Name: fmt.Sprintf("%d sampled records found by key equal the full read", len(sample))}
	keys := make([][]string, len(sample))
	want := map[string][]byte{}
	for i, rec := range sample {
		k, err := table.EncodeKey(nil, rec, keyFields)
		if err == nil {
			keys[i], err = table.KeyValues(k)
		}
		if err != nil {
			c.Detail = err.Error()
			return c
		}
		want[string(k)] = table.AppendRecord(nil, rec)
	}
	found := 0
	for rec, err := range restore.TableRecords(ctx, r, s, keys) {
		if err != nil {
			c.Detail = err.Error()
			return c
		}
		k, err := table.EncodeKey(nil, rec, keyFields)
		if err != nil {
			c.Detail = err.Error()
			return c
		}
		w, ok := want[string(k)]
		if !ok || !bytes.Equal(w, table.AppendRecord(nil, rec)) {
			c.Detail = "record " + table.KeyString(k) + " differs from the full read"
			return c
		}
		found++
	}
	if found != len(sample) {
		c.Detail = fmt.Sprintf("found %d of %d records by key", found, len(sample))
		return c
	}
	c.Passed = true
	return c
}
