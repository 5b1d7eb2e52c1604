package table

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/custodia-backup/custodia/repo"
)

// ErrNoTable means the repository has no snapshot of the named table.
var ErrNoTable = errors.New("no snapshot of this table")

// Snapshots returns the snapshots of table name, oldest first. Unreadable
// snapshots are skipped (a check reports them); a write-only key reads
// none (repo.ErrWriteOnly).
func Snapshots(ctx context.Context, r *repo.Repository, name string) ([]*repo.Snapshot, error) {
	var out []*repo.Snapshot
	for s, err := range r.Snapshots(ctx) {
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if errors.Is(err, repo.ErrWriteOnly) {
				return nil, err
			}
			continue
		}
		if s.Kind == repo.KindTable && s.Table.Name == name {
			out = append(out, s)
		}
	}
	return out, nil
}

// Find resolves "latest", a full snapshot ID or a unique ID prefix among the
// snapshots of table name. An ID or prefix reads only the snapshots it
// matches; "latest" reads them all.
func Find(ctx context.Context, r *repo.Repository, name, ref string) (*repo.Snapshot, error) {
	if ref == "latest" {
		snaps, err := Snapshots(ctx, r, name)
		if err != nil {
			return nil, err
		}
		if len(snaps) == 0 {
			return nil, fmt.Errorf("%w: %q", ErrNoTable, name)
		}
		return snaps[len(snaps)-1], nil
	}
	ref = strings.ToLower(ref)
	if len(ref) < 4 || strings.Trim(ref, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("%w: %q is neither 'latest' nor a hex ID prefix of at least 4 digits", repo.ErrSnapshotNotFound, ref)
	}
	ids, err := r.SnapshotIDs(ctx)
	if err != nil {
		return nil, err
	}
	var match []*repo.Snapshot
	for _, id := range ids {
		if !strings.HasPrefix(id.String(), ref) {
			continue
		}
		s, err := r.LoadSnapshot(ctx, id)
		if err != nil {
			return nil, err
		}
		if s.Kind == repo.KindTable && s.Table.Name == name {
			match = append(match, s)
		}
	}
	switch len(match) {
	case 0:
		return nil, fmt.Errorf("%w: %s is not a snapshot of table %q", repo.ErrSnapshotNotFound, ref, name)
	case 1:
		return match[0], nil
	}
	return nil, fmt.Errorf("%w: %s matches %d snapshots", repo.ErrAmbiguousSnapshot, ref, len(match))
}
