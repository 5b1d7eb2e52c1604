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

// FindLatest returns the newest readable snapshot that passes f. An
// unreadable snapshot object (left incomplete by a crash, or damaged) is
// skipped. It returns ErrSnapshotNotFound when none matches.
func (r *Repository) FindLatest(ctx context.Context, f SnapshotFilter) (*Snapshot, error) {
	var (
		latest  *Snapshot
		skipped error
	)
	for s, err := range r.Snapshots(ctx) {
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			skipped = err
			continue
		}
		if f.Match(s) {
			latest = s
		}
	}
	switch {
	case latest != nil:
		return latest, nil
	case skipped != nil:
		return nil, fmt.Errorf("%w: no readable snapshot matches (%w)", ErrSnapshotNotFound, skipped)
	case f.empty():
		return nil, fmt.Errorf("%w: the repository has no snapshots", ErrSnapshotNotFound)
	default:
		return nil, fmt.Errorf("%w: no snapshot matches the host, tag and path filters", ErrSnapshotNotFound)
	}
}
