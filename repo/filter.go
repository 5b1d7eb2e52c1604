package repo

import (
	"context"
	"fmt"
	"slices"
)

// SnapshotFilter selects snapshots by host, tags and paths, as restic's
// --host, --tag and --path do. The zero filter matches every snapshot.
type SnapshotFilter struct {
	// Hosts: the snapshot's host is one of them (any host when empty).
	Hosts []string
	// Tags: the snapshot carries every tag of at least one of the groups
	// (any tags when empty). [][]string{{"daily", "ledger"}, {"monthly"}}
	// selects snapshots tagged both daily and ledger, or monthly.
	Tags [][]string
	// Paths: every one of them is among the snapshot's backed-up paths (or
	// is its stream name).
	Paths []string
}

// Match reports whether s passes the filter.
func (f SnapshotFilter) Match(s *Snapshot) bool {
	if len(f.Hosts) > 0 && !slices.Contains(f.Hosts, s.Host) {
		return false
	}
	for _, p := range f.Paths {
		if !slices.Contains(s.Paths, p) {
			return false
		}
	}
	if len(f.Tags) == 0 {
		return true
	}
	for _, group := range f.Tags {
		all := true
		for _, t := range group {
			if !slices.Contains(s.Tags, t) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// empty reports whether f matches everything.
func (f SnapshotFilter) empty() bool {
	return len(f.Hosts) == 0 && len(f.Tags) == 0 && len(f.Paths) == 0
}

// FindLatest returns the newest readable snapshot of files or a stream that
// passes f (table snapshots are found by table, see package table). An
// unreadable snapshot object (left incomplete by a crash, or damaged) is
// skipped. It returns ErrSnapshotNotFound when none matches.
func (r *Repository) FindLatest(ctx context.Context, f SnapshotFilter) (*Snapshot, error) {
	latest, _, err := r.findLatest(ctx, f)
	return latest, err
}

// findLatest is FindLatest that also returns the newest readable snapshot
// of any kind, for the rollback guard.
func (r *Repository) findLatest(ctx context.Context, f SnapshotFilter) (latest, newest *Snapshot, err error) {
	var skipped error
	for s, err := range r.Snapshots(ctx) {
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			skipped = err
			continue
		}
		newest = s
		if s.Kind != KindTable && f.Match(s) {
			latest = s
		}
	}
	switch {
	case latest != nil:
		return latest, newest, nil
	case skipped != nil:
		return nil, nil, fmt.Errorf("%w: no readable snapshot matches (%w)", ErrSnapshotNotFound, skipped)
	case f.empty():
		return nil, nil, fmt.Errorf("%w: the repository has no snapshots", ErrSnapshotNotFound)
	default:
		return nil, nil, fmt.Errorf("%w: no snapshot matches the host, tag and path filters", ErrSnapshotNotFound)
	}
}
