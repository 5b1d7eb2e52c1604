package custodia

import (
	"context"
	"io"

	"github.com/custodia-backup/custodia/monitor"
	"github.com/custodia-backup/custodia/restore"
)

// RestoreResult counts what a restore wrote and lists the entries whose
// metadata (owner, times) could not be set; their contents were written.
type RestoreResult = restore.Result

// Restore writes the snapshot into the folder target (created if missing;
// it must be empty unless WithOverwrite): contents byte for byte, folders,
// symbolic links, modes and times. Every byte is authenticated first.
func (r *Repository) Restore(ctx context.Context, snap *Snapshot, target string, opts ...RestoreOption) (*RestoreResult, error) {
	run := r.events.Begin(monitor.OpRestore)
	if run == nil {
		return restore.Snapshot(ctx, r.repo, snap, target, opts...)
	}
	run.Subject(snap.ID.String(), "")
	progress := restore.WithProgress(func(p restore.Progress) {
		run.Progress("", monitor.Counts{Files: p.Files, Dirs: p.Dirs, Bytes: p.Bytes})
	}, r.interval)
	res, err := restore.Snapshot(ctx, r.repo, snap, target, append([]RestoreOption{progress}, opts...)...)
	var c monitor.Counts
	if res != nil {
		c = monitor.Counts{Files: res.Files, Dirs: res.Dirs, Bytes: res.Bytes, Errors: uint64(len(res.Errors))}
		for _, e := range res.Errors {
			run.Warn("", "metadata not restored: "+e.Error(), e, c)
		}
	}
	run.Finish(c, "", err)
	return res, err
}

// RestoreStream writes the content of a snapshot made by BackupStream to
// w, in order and in bounded memory, and returns the number of bytes
// written. A snapshot of files fails with ErrNotStream.
func (r *Repository) RestoreStream(ctx context.Context, snap *Snapshot, w io.Writer) (int64, error) {
	run := r.events.Begin(monitor.OpRestoreStream)
	run.Subject(snap.ID.String(), "")
	n, err := restore.Stream(ctx, r.repo, snap, w)
	run.Finish(monitor.Counts{Bytes: uint64(max(n, 0))}, "", err)
	return n, err
}
