package custodia

import (
	"context"
	"iter"

	"github.com/custodia-backup/custodia/repo"
)

// Snapshot records one backup: when, from which host, with which tags and
// paths, and what it saw and added.
type Snapshot = repo.Snapshot

// Filter selects snapshots: the host is one of Hosts, the snapshot carries
// every tag of one of the Tags groups, and every one of Paths was backed up
// (each part ignored when empty), as restic's --host, --tag and --path.
type Filter = repo.SnapshotFilter

// Snapshots yields the snapshots passing f, oldest first. A snapshot that
// cannot be read is yielded as an error and the iteration goes on.
func (r *Repository) Snapshots(ctx context.Context, f Filter) iter.Seq2[*Snapshot, error] {
	return func(yield func(*Snapshot, error) bool) {
		for s, err := range r.repo.Snapshots(ctx) {
			if err == nil && !f.Match(s) {
				continue
			}
			if !yield(s, err) {
				return
			}
		}
	}
}

// Latest returns the newest snapshot passing f, or an error wrapping
// ErrSnapshotNotFound.
func (r *Repository) Latest(ctx context.Context, f Filter) (*Snapshot, error) {
	return r.repo.FindLatest(ctx, f)
}

// Snapshot returns the snapshot with the given ID or unique ID prefix (at
// least 4 hex digits), or an error wrapping ErrSnapshotNotFound.
func (r *Repository) Snapshot(ctx context.Context, id string) (*Snapshot, error) {
	if id == "latest" {
		return r.Latest(ctx, Filter{})
	}
	return r.repo.FindSnapshot(ctx, id)
}
