package backup

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"os/user"
	"time"

	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/internal/extsort"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
	"github.com/custodia-backup/custodia/table"
)

// ErrTableUsage means a table backup was asked for without a name or key.
var ErrTableUsage = errors.New("a table backup needs a table name and at least one key field")

// RecordError is a record that could not be backed up: its position in the
// input (1 for the first record) and why. Nothing of the backup is stored.
type RecordError struct {
	Record uint64
	Err    error
}

func (e *RecordError) Error() string { return fmt.Sprintf("record %d: %v", e.Record, e.Err) }

// Unwrap returns the cause.
func (e *RecordError) Unwrap() error { return e.Err }

// Table backs up the records of table name, identified by the key fields,
// as a full, incremental or differential snapshot (see the options), and
// returns the snapshot. Every record is protected by the table's decisions
// before any of its bytes reaches the repository: the decisions stored with
// the previous snapshot, or for a first backup (or WithPolicy) a profile of
// the first records under the given or default policy. Records are sorted
// by key through an external sort whose memory, with that of a delta's
// spool, is bounded by WithSortMemory. A malformed record, a missing key
// field or a duplicate key fails the backup and no snapshot is written.
func Table(ctx context.Context, r *repo.Repository, name string, key []string, recs iter.Seq2[classify.Record, error], opts ...TableOption) (*repo.Snapshot, error) {
	o := tableOptions{fullEvery: DefaultFullEvery}
	for _, opt := range opts {
		opt(&o)
	}
	if name == "" || len(key) == 0 {
		return nil, ErrTableUsage
	}
	if err := repo.CheckPriority(o.priority); err != nil {
		return nil, err
	}
	start := time.Now()
	base0 := r.Stats()
	if r.WriteOnly() {
		// A write-only key reads no snapshot: every backup is a full one
		// with decisions of its own.
		if o.changedRows || o.differential || o.deleted != nil {
			return nil, fmt.Errorf("%w: it makes full table snapshots only (changed rows and differential snapshots build on the previous one)", repo.ErrWriteOnly)
		}
		o.full = true
	}
	var snaps []*repo.Snapshot
	if !r.WriteOnly() {
		var err error
		if snaps, err = table.Snapshots(ctx, r, name); err != nil {
			return nil, err
		}
	}
	var parent *repo.Snapshot
	if len(snaps) > 0 {
		parent = snaps[len(snaps)-1]
		if !equalKeys(parent.Table.Key, key) {
			return nil, fmt.Errorf("%w: table %q is keyed by %v, not %v", ErrTableUsage, name, parent.Table.Key, key)
		}
	}
	kind := repo.TableIncremental
	switch {
	case parent == nil || o.full:
		kind = repo.TableFull
	case o.differential && !o.changedRows:
		kind = repo.TableDifferential
	case o.fullEvery > 0 && parent.Table.Chain >= o.fullEvery && !o.changedRows:
		kind = repo.TableFull
	}
	if kind != repo.TableFull && parent.Table.Kind != repo.TableFull {
		// The full this chain builds on may have been forgotten: its blobs
		// stay reachable from the parent, but a delta needs its snapshot.
		if _, err := r.LoadSnapshot(ctx, *parent.Table.Base); errors.Is(err, storage.ErrNotFound) {
			kind = repo.TableFull
		}
	}
	// A chain keeps the keys of its full (another repository's, for a
	// copied one: repo.TableInfo.Keys); a full uses the repository's.
	var (
		fk, tk     crypto.Key
		keysRef    *repo.ID
		wrappedKey []byte
		err        error
	)
	switch {
	case kind != repo.TableFull:
		fk, tk, err = r.SnapshotTableKeys(ctx, parent)
		keysRef, wrappedKey = parent.Table.Keys, parent.Table.FieldKey
	case r.WriteOnly():
		fk, tk, wrappedKey, err = r.WriteOnlyTableKeys()
	default:
		fk, tk, err = r.TableKeys()
	}
	if err != nil {
		return nil, err
	}
	defer fk.Wipe()
	keys := table.Keys{Field: fk[:], Token: tk[:]}

	budget := o.budget
	if budget == nil {
		budget = extsort.NewBudget(o.memory)
	}
	sorter := extsort.New(o.tempDir, 0, extsort.Background(), extsort.Shared(budget))
	defer sorter.Close()
	sample, decide, err := decisions(name, key, parent, keys, &o)
	if err != nil {
		return nil, err
	}
	var count tableCounter
	stop := count.start(r, &o, start)
	defer stop()
	// A full's pages are written as the records come while they come in
	// key order.
	var stream *streamWriter
	if kind == repo.TableFull && o.deleted == nil && !r.WriteOnly() { // a fallback reads the pages back
		stream = startStream(ctx, r)
		defer stream.abort()
	}
	prot, _, err := protectAll(ctx, recs, sample, decide, func(k, v []byte) error {
		count.records.Add(1)
		count.bytes.Add(uint64(len(v)))
		if stream.streaming() {
			if ok, err := stream.add(k, v); ok || err != nil {
				return err
			}
		}
		return sorter.Add(k, v)
	})
	if err != nil {
		return nil, err
	}
	if o.deleted != nil {
		if !o.changedRows || parent == nil {
			return nil, fmt.Errorf("%w: deleted keys come with the changed rows of an earlier table", ErrTableUsage)
		}
		if err := addDeleted(prot, o.deleted, sorter); err != nil {
			return nil, err
		}
	}
	sorted := prefetch(sortedEntries(sorter))

	plan, err := prot.PlanJSON()
	if err != nil {
		return nil, err
	}
	info := &repo.TableInfo{Name: name, Kind: kind, Key: key, Plan: plan, Policy: o.policy, Watermark: o.watermark, Keys: keysRef, FieldKey: wrappedKey}
	if !o.policySet && parent != nil {
		info.Policy = parent.Table.Policy
	}
	var lay *table.Layout
	var parentID *repo.ID
	if kind == repo.TableFull {
		switch {
		case stream.streaming():
			lay, err = stream.finish()
		case stream != nil && stream.prefix != nil:
			lay, err = stream.mergeWrite(ctx, r, sorted)
		default:
			lay, err = table.WriteFull(ctx, r, sorted)
		}
		if err != nil {
			return nil, err
		}
		info.Records = lay.Records
		info.Changes.Added = lay.Records
	} else {
		// The records' merge holds what it holds from here on: the
		// delta's spool gets the rest of the sort memory.
		if err := sorter.Finish(); err != nil {
			return nil, err
		}
		lay, parentID, err = writeDelta(ctx, r, info, parent, sorted, budget, &o)
		if err != nil {
			return nil, err
		}
	}
	info.Index, info.Delta = lay.Index, lay.Delta
	if o.watermark == nil && parent != nil && o.changedRows {
		info.Watermark = parent.Table.Watermark
	}
	ws := r.Stats()
	s := &repo.Snapshot{
		Time:   start.UTC(),
		Host:   o.host,
		Tags:   o.tags,
		Paths:  []string{name},
		Kind:   repo.KindTable,
		Parent: parentID,
		Tree:   lay.Tree,
		Table:  info,
		Stats: repo.SnapshotStats{
			Bytes:       count.bytes.Load(),
			BlobsAdded:  ws.Blobs - base0.Blobs,
			BytesAdded:  ws.Bytes - base0.Bytes,
			StoredAdded: ws.Stored - base0.Stored,
			Duration:    time.Since(start),
		},
		Priority: o.priority,
	}
	if s.Host == "" {
		s.Host, _ = os.Hostname()
	}
	if u, err := user.Current(); err == nil {
		s.Username = u.Username
	}
	if _, err := r.SaveSnapshot(ctx, s); err != nil {
		return nil, err
	}
	s.Stats.Duration = time.Since(start)
	return s, nil
}

func equalKeys(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// decisions returns how many records to profile and how to decide the
// protection from them: the stored decisions of the previous snapshot
// (none profiled), or a profile under the given or default policy.
func decisions(name string, key []string, parent *repo.Snapshot, keys table.Keys, o *tableOptions) (int, func([]classify.Record) (*table.Protection, error), error) {
	if parent != nil && !o.policySet {
		return 0, func([]classify.Record) (*table.Protection, error) {
			return table.StoredProtection(parent.Table, keys)
		}, nil
	}
	policy, err := table.ParsePolicy(o.policy)
	if err != nil {
		return 0, nil, err
	}
	limit := o.sample
	if limit <= 0 {
		limit = classify.DefaultSampleSize
	}
	return limit, func(sample []classify.Record) (*table.Protection, error) {
		prof := classify.NewProfiler(classify.WithSampleSize(limit))
		for _, rec := range sample {
			prof.Observe(rec)
		}
		return table.NewProtection(name, key, policy, prof.Result(), keys)
	}, nil
}

// addDeleted adds each deleted key to the sort as an entry without a
// record (a tombstone; a record's encoding is never empty).
func addDeleted(prot *table.Protection, keys iter.Seq2[[]string, error], sorter *extsort.Sorter) error {
	for k, err := range keys {
		if err != nil {
			return err
		}
		stored, err := prot.ProtectKey(k)
		if err != nil {
			return err
		}
		if err := sorter.Add(stored, nil); err != nil {
			return err
		}
	}
	return nil
}

// sortedEntries adapts the sorter's output.
func sortedEntries(s *extsort.Sorter) iter.Seq2[table.Entry, error] {
	return func(yield func(table.Entry, error) bool) {
		for p, err := range s.Sorted() {
			if !yield(table.Entry{Key: p.Key, Record: p.Value}, err) || err != nil {
				return
			}
		}
	}
}

// writeDelta writes an incremental or differential snapshot's layer; its
// spool takes what budget has free.
func writeDelta(ctx context.Context, r *repo.Repository, info *repo.TableInfo, parent *repo.Snapshot, sorted iter.Seq2[table.Entry, error], budget *extsort.Budget, o *tableOptions) (*table.Layout, *repo.ID, error) {
	base := parent
	if parent.Table.Kind != repo.TableFull {
		var err error
		if base, err = r.LoadSnapshot(ctx, *parent.Table.Base); err != nil {
			return nil, nil, fmt.Errorf("base of the previous snapshot: %w", err)
		}
	}
	prd, err := table.NewReader(r, parent)
	if err != nil {
		return nil, nil, err
	}
	brd, err := table.NewReader(r, base)
	if err != nil {
		return nil, nil, err
	}
	dopts := table.DeltaOptions{Base: base, TempDir: o.tempDir, Budget: budget}
	var (
		changes  iter.Seq2[table.Change, error]
		parentID = parent.ID
		prevRecs = parent.Table.Records
	)
	switch {
	case info.Kind == repo.TableDifferential:
		parentID, prevRecs = base.ID, base.Table.Records
		changes = table.Compare(sorted, brd.Full(ctx), &info.Changes)
	case o.changedRows:
		changes = table.Upserts(ctx, prd, sorted, &info.Changes)
		dopts.Previous = prd.Delta(ctx)
		info.Chain = parent.Table.Chain + 1
	default:
		changes = table.Compare(sorted, prd.All(ctx), &info.Changes)
		dopts.Previous = prd.Delta(ctx)
		info.Chain = parent.Table.Chain + 1
	}
	lay, err := table.WriteDelta(ctx, r, changes, dopts)
	if err != nil {
		return nil, nil, err
	}
	id := base.ID
	info.Base = &id
	info.Records = prevRecs + info.Changes.Added - info.Changes.Deleted
	return lay, &parentID, nil
}
