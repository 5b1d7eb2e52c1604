package custodia

import (
	"context"
	"io"

	"github.com/custodia-backup/custodia/backup"
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
	return backup.Files(ctx, r.repo, paths, opts...)
}

// BackupStream backs up everything read from rd as one file named name (a
// plain file name, no slash) and saves a snapshot of it: a database dump,
// an export, an archive. RestoreStream writes it back.
func (r *Repository) BackupStream(ctx context.Context, name string, rd io.Reader, opts ...BackupOption) (*BackupResult, error) {
	return backup.Stream(ctx, r.repo, name, rd, opts...)
}
