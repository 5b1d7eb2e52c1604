package custodia

import (
	"context"
	"io"

	"github.com/custodia-backup/custodia/restore"
)

// RestoreResult counts what a restore wrote and lists the entries whose
// metadata (owner, times) could not be set; their contents were written.
type RestoreResult = restore.Result

// Restore writes the snapshot into the folder target (created if missing;
// it must be empty unless WithOverwrite): contents byte for byte, folders,
// symbolic links, modes and times. Every byte is authenticated first.
func (r *Repository) Restore(ctx context.Context, snap *Snapshot, target string, opts ...RestoreOption) (*RestoreResult, error) {
	return restore.Snapshot(ctx, r.repo, snap, target, opts...)
}

// RestoreStream writes the content of a snapshot made by BackupStream to
// w, in order and in bounded memory, and returns the number of bytes
// written. A snapshot of files fails with ErrNotStream.
func (r *Repository) RestoreStream(ctx context.Context, snap *Snapshot, w io.Writer) (int64, error) {
	return restore.Stream(ctx, r.repo, snap, w)
}
