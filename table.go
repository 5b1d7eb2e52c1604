package custodia

import (
	"context"
	"iter"
	"strings"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/monitor"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/table"
)

// Record is one record of a table: named fields in order (the CSV header's
// or the JSON keys'). classify.Read reads CSV and JSON Lines into records;
// package source reads databases.
type Record = classify.Record

// TableOption configures BackupTable: backup.WithPolicy, WithFull,
// WithDifferential, WithFullEvery, WithChangedRows, WithDeletedKeys,
// WithSortMemory, WithTempDir and the others of package backup.
type TableOption = backup.TableOption

// RecordDiff is one record that differs between two snapshots of a table:
// its key, the kind of change and the names (never the values) of the
// fields that changed.
type RecordDiff = restore.RecordDiff

// SampleReport is what VerifyTableSample found.
type SampleReport = restore.SampleReport

// BackupTable backs up the records of table name, identified by the key
// fields, and returns the snapshot: a full one the first time (and every
// few incrementals), else an incremental holding only the records that
// changed. Every record is protected before it is stored: level 1 fields
// (resident IDs, bank cards) encrypted, level 2 (amounts, addresses)
// masked, as the table's policy decides; the decisions are stored with the
// snapshot. A malformed record, a missing key field or a duplicate key
// fails the backup and stores no snapshot.
func (r *Repository) BackupTable(ctx context.Context, name string, key []string, recs iter.Seq2[Record, error], opts ...TableOption) (*Snapshot, error) {
	run, gaps := r.events.Begin(monitor.OpBackupTable), r.shardGaps()
	run.Subject("", name)
	if run != nil {
		// The caller's own WithTableProgress, after this one, replaces it.
		progress := backup.WithTableProgress(func(p backup.TableProgress) {
			if !p.Done {
				run.Progress("", monitor.Counts{Records: p.Records, Bytes: p.Bytes, BytesAdded: p.Added})
			}
		}, r.interval)
		opts = append([]TableOption{progress}, opts...)
	}
	s, err := backup.Table(ctx, r.repo, name, key, recs, opts...)
	if run != nil {
		var c monitor.Counts
		if s != nil {
			run.Subject(s.ID.String(), "")
			c = monitor.Counts{Bytes: s.Stats.Bytes, BytesAdded: s.Stats.BytesAdded}
			if s.Table != nil {
				c.Records = s.Table.Records
			}
		}
		r.warnGaps(run, gaps)
		run.Finish(c, "", err)
	}
	return s, err
}

// TableSnapshots returns the snapshots of table name, oldest first.
func (r *Repository) TableSnapshots(ctx context.Context, name string) ([]*Snapshot, error) {
	return table.Snapshots(ctx, r.repo, name)
}

// TableSnapshot returns the snapshot of table name with the given ID or
// unique ID prefix, or the newest for "latest".
func (r *Repository) TableSnapshot(ctx context.Context, name, ref string) (*Snapshot, error) {
	return table.Find(ctx, r.repo, name, ref)
}

// RestoreTable yields every record of a table snapshot in key order, as it
// was stored, with encrypted fields decrypted.
func (r *Repository) RestoreTable(ctx context.Context, snap *Snapshot) iter.Seq2[Record, error] {
	return r.countRecords(monitor.OpRestoreTable, snap, restore.Table(ctx, r.repo, snap))
}

// RestoreRecords yields the records of a table snapshot with the given keys
// (each the values of the key fields, in order), each found from a few
// objects through the snapshot's key index.
func (r *Repository) RestoreRecords(ctx context.Context, snap *Snapshot, keys [][]string) iter.Seq2[Record, error] {
	return r.countRecords(monitor.OpRestoreRecords, snap, restore.TableRecords(ctx, r.repo, snap, keys))
}

// DiffTable yields the records added, removed and changed from snapshot a
// to snapshot b of one table, in key order.
func (r *Repository) DiffTable(ctx context.Context, a, b *Snapshot) iter.Seq2[RecordDiff, error] {
	return restore.DiffTable(ctx, r.repo, a, b)
}

// VerifyTableSample compares n records picked at random from source,
// protected with the snapshot's stored decisions, with the snapshot's
// records of the same keys.
func (r *Repository) VerifyTableSample(ctx context.Context, snap *Snapshot, source iter.Seq2[Record, error], n int) (*SampleReport, error) {
	run := r.events.Begin(monitor.OpVerifySample)
	run.Subject(snap.ID.String(), repo.TableOf(snap))
	rep, err := restore.VerifyTableSample(ctx, r.repo, snap, source, n, nil)
	if run != nil {
		var c monitor.Counts
		if rep != nil {
			c = monitor.Counts{Records: uint64(rep.Sampled), Errors: uint64(len(rep.Mismatched) + len(rep.Missing))}
			for _, k := range rep.Mismatched {
				run.Warn("", "record "+strings.Join(k, ",")+" differs from the backup", nil, c)
			}
			for _, k := range rep.Missing {
				run.Warn("", "record "+strings.Join(k, ",")+" is missing from the backup", nil, c)
			}
		}
		run.Finish(c, "", err)
	}
	return rep, err
}
