package custodia

import (
	"context"
	"errors"
	"iter"
	"strings"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/monitor"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
)

// WithPriority records p as the snapshot's recovery priority, 1 (most
// critical: restored first by RestoreAll) to 5; without it a snapshot has
// priority 3. A value outside 1..5 fails the backup before anything is
// read.
func WithPriority(p int) BackupOption { return backup.WithPriority(p) }

// WithTablePriority is WithPriority for BackupTable.
func WithTablePriority(p int) TableOption { return backup.WithTablePriority(p) }

// RestoreItem is one snapshot for RestoreAll and where it goes: a folder
// (Target) for files, a writer (Stream) for a stream, a record consumer
// (Records) for a table; Priority, when not 0, overrides the snapshot's.
type RestoreItem = restore.Item

// Available reports that one item of RestoreAll became available: which,
// by what priority, what it restored, how long it took and when.
type Available = restore.Available

// RestoreAll restores several snapshots one after the other, the most
// critical first (ascending priority, the given order among equals), and
// yields each as it becomes available with the error that stopped it, if
// any; the next items are restored all the same unless the loop stops.
// opts apply to the restores of files.
func (r *Repository) RestoreAll(ctx context.Context, items []RestoreItem, opts ...RestoreOption) iter.Seq2[*Available, error] {
	seq := restore.All(ctx, r.repo, items, opts...)
	if r.events == nil {
		return seq
	}
	return func(yield func(*Available, error) bool) {
		run := r.events.Begin(monitor.OpRestoreAll)
		var c monitor.Counts
		var failed []error
		finish := func(msg string) {
			run.Finish(c, msg, errors.Join(failed...))
		}
		for a, err := range seq {
			item := ""
			if a != nil {
				c.Files += a.Files
				c.Bytes += a.Bytes
				c.Records += a.Records
				item = describe(a.Snapshot)
			}
			if err != nil {
				c.Errors++
				failed = append(failed, err)
				run.Warn(item, item+": "+err.Error(), err, c)
			} else {
				run.Progress(item, c)
			}
			if !yield(a, err) {
				finish("stopped by the caller")
				return
			}
		}
		finish("")
	}
}

// describe names a snapshot in events: its table, or its paths.
func describe(s *Snapshot) string {
	if s == nil {
		return ""
	}
	if t := repo.TableOf(s); t != "" {
		return "table " + t
	}
	return s.Kind + " " + strings.Join(s.Paths, ", ")
}
