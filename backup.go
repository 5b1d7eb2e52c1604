package custodia

import (
	"context"
	"io"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/monitor"
)

// BackupResult is a saved snapshot and the files and folders that could
// not be read and are not in it.
type BackupResult = backup.Result

// Backup backs up the files and folders at paths and saves a snapshot of
// them; each path becomes one entry of the snapshot's root, named by its
// last element. Files unchanged since the last snapshot of the same paths
// and host are not read again. Files that cannot be read are left out and
// listed in the result's Errors; the snapshot is saved all the same.
func (r *Repository) Backup(ctx context.Context, paths []string, opts ...BackupOption) (*BackupResult, error) {
	run, gaps := r.events.Begin(monitor.OpBackup), r.shardGaps()
	res, err := backup.Files(ctx, r.repo, paths, r.backupProgress(run, opts)...)
	r.endBackup(run, gaps, res, err)
	return res, err
}

// BackupStream backs up everything read from rd as one file named name (a
// plain file name, no slash) and saves a snapshot of it: a database dump,
// an export, an archive. RestoreStream writes it back.
func (r *Repository) BackupStream(ctx context.Context, name string, rd io.Reader, opts ...BackupOption) (*BackupResult, error) {
	run, gaps := r.events.Begin(monitor.OpBackupStream), r.shardGaps()
	res, err := backup.Stream(ctx, r.repo, name, rd, r.backupProgress(run, opts)...)
	r.endBackup(run, gaps, res, err)
	return res, err
}

// backupProgress puts a progress option emitting run's progress events
// before opts (so that a WithProgress of the caller's replaces it).
func (r *Repository) backupProgress(run *monitor.Run, opts []BackupOption) []BackupOption {
	if run == nil {
		return opts
	}
	progress := backup.WithProgress(func(p backup.Progress) {
		run.Progress("", monitor.Counts{Files: p.Files, Dirs: p.Dirs, Bytes: p.Bytes, BytesAdded: p.Added, Errors: p.Errors})
	}, r.interval)
	return append([]BackupOption{progress}, opts...)
}

// endBackup emits the warnings and the last event of a backup.
func (r *Repository) endBackup(run *monitor.Run, gaps map[string]int64, res *BackupResult, err error) {
	if run == nil {
		return
	}
	var c monitor.Counts
	if res != nil && res.Snapshot != nil {
		st := res.Snapshot.Stats
		c = monitor.Counts{Files: st.Files, Dirs: st.Dirs, Bytes: st.Bytes, BytesAdded: st.BytesAdded, Errors: st.Errors}
		run.Subject(res.Snapshot.ID.String(), "")
		for _, fe := range res.Errors {
			run.Warn("", "left out: "+fe.Error(), fe, c)
		}
		for _, p := range res.Changed {
			run.Warn("", "changed while it was read (the snapshot holds what was read): "+p, nil, c)
		}
	}
	r.warnGaps(run, gaps)
	run.Finish(c, "", err)
}
