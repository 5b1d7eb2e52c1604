package repo

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"strings"

	"github.com/custodia-backup/custodia/chunk"
)

// SaveSnapshot flushes pending blobs and then stores the snapshot, which
// thereby becomes visible. It assigns and returns the snapshot's ID.
func (r *Repository) SaveSnapshot(ctx context.Context, s *Snapshot) (ID, error) {
	if err := r.Flush(ctx); err != nil {
		return ID{}, err
	}
	if err := r.checkPruneOverlap(ctx); err != nil {
		return ID{}, err
	}
	if r.writeOnly {
		// A write-only session cannot read the tree back; it can only
		// check that the tree is stored.
		if !r.idx.has(BlobHandle{Type: TreeBlob, ID: s.Tree}) {
			return ID{}, fmt.Errorf("snapshot tree: %w: tree %s", ErrBlobNotFound, s.Tree)
		}
	} else if _, err := r.LoadTree(ctx, s.Tree); err != nil {
		return ID{}, fmt.Errorf("snapshot tree: %w", err)
	}
	id, err := randomID()
	if err != nil {
		return ID{}, err
	}
	payload, err := json.Marshal(s)
	if err != nil {
		return ID{}, err
	}
	name := snapshotName(id)
	if err := r.store.Put(ctx, name, sealEnvelope(magicSnapshot, r.dataKey, name, payload)); err != nil {
		return ID{}, fmt.Errorf("write snapshot: %w", err)
	}
	s.ID = id
	r.noteSnapshotTime(s.Time)
	args := map[string]string{"snapshot": id.String(), "kind": s.Kind, "paths": strings.Join(s.Paths, ", ")}
	if err := r.audit(ctx, "backup", args, nil); err != nil {
		return id, fmt.Errorf("snapshot %s saved, but: %w", id.String()[:8], err)
	}
	return id, nil
}

// LoadSnapshot reads the snapshot with the given full ID.
func (r *Repository) LoadSnapshot(ctx context.Context, id ID) (*Snapshot, error) {
	if err := r.readable(); err != nil {
		return nil, err
	}
	name := snapshotName(id)
	payload, err := r.getEnvelope(ctx, magicSnapshot, name, kindSnapshot, maxSnapshotPayload)
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", id, err)
	}
	return decodeSnapshot(id, payload)
}

// SnapshotIDs lists the IDs of all snapshots, sorted.
func (r *Repository) SnapshotIDs(ctx context.Context) ([]ID, error) {
	var ids []ID
	for name, err := range r.store.List(ctx, snapshotPrefix) {
		if err != nil {
			return nil, fmt.Errorf("list snapshots: %w", err)
		}
		id, err := chunk.ParseID(strings.TrimPrefix(name, snapshotPrefix))
		if err != nil {
			continue // not a snapshot object of ours; verify reports it
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// Snapshots yields every snapshot, oldest first. A snapshot that cannot be
// read is yielded as an error and the iteration goes on.
func (r *Repository) Snapshots(ctx context.Context) iter.Seq2[*Snapshot, error] {
	return func(yield func(*Snapshot, error) bool) {
		if err := r.readable(); err != nil {
			yield(nil, err)
			return
		}
		ids, err := r.SnapshotIDs(ctx)
		if err != nil {
			yield(nil, err)
			return
		}
		snaps := make([]*Snapshot, len(ids))
		errs := make([]error, len(ids))
		_ = parallel(ctx, len(ids), 2*runtime.GOMAXPROCS(0), func(ctx context.Context, i int) error {
			snaps[i], errs[i] = r.LoadSnapshot(ctx, ids[i])
			return nil
		})
		var ok []*Snapshot
		for i := range ids {
			if errs[i] != nil {
				if !yield(nil, errs[i]) {
					return
				}
				continue
			}
			ok = append(ok, snaps[i])
		}
		SortSnapshots(ok)
		for _, s := range ok {
			if !yield(s, nil) {
				return
			}
		}
	}
}

// SortSnapshots orders snapshots by time, then ID.
func SortSnapshots(s []*Snapshot) {
	slices.SortFunc(s, func(a, b *Snapshot) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.ID.String(), b.ID.String())
	})
}

// FindSnapshot resolves "latest", a full ID or a unique ID prefix (at least
// 4 hex digits). "latest" is the newest snapshot of files or a stream:
// table snapshots are found by table (package table). When the repository
// was opened WithRollbackGuard and the newest snapshot is older than the
// newest one seen before, "latest" returns that snapshot together with a
// *RollbackError (a warning: the snapshot is usable).
func (r *Repository) FindSnapshot(ctx context.Context, ref string) (*Snapshot, error) {
	if err := r.readable(); err != nil {
		return nil, err
	}
	if ref == "latest" {
		latest, newest, err := r.findLatest(ctx, SnapshotFilter{})
		if err != nil {
			return nil, err
		}
		// With WithRollbackGuard, a newest snapshot (of any kind) older
		// than one seen before comes back with a *RollbackError.
		return latest, r.checkRollback(newest)
	}
	ref = strings.ToLower(ref)
	if len(ref) < 4 || strings.Trim(ref, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("%w: %q is neither 'latest' nor a hex ID prefix of at least 4 digits", ErrSnapshotNotFound, ref)
	}
	ids, err := r.SnapshotIDs(ctx)
	if err != nil {
		return nil, err
	}
	var match []ID
	for _, id := range ids {
		if strings.HasPrefix(id.String(), ref) {
			match = append(match, id)
		}
	}
	switch len(match) {
	case 0:
		return nil, fmt.Errorf("%w: %s", ErrSnapshotNotFound, ref)
	case 1:
		return r.LoadSnapshot(ctx, match[0])
	default:
		return nil, fmt.Errorf("%w: %s matches %d snapshots", ErrAmbiguousSnapshot, ref, len(match))
	}
}
