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
	s, _, err := r.loadSnapshotObject(ctx, id, false)
	return s, err
}

// loadSnapshotObject reads the snapshot with the given full ID from the
// sites and returns it, with its object as stored when keep is set.
func (r *Repository) loadSnapshotObject(ctx context.Context, id ID, keep bool) (*Snapshot, []byte, error) {
	payload, obj, err := r.readEnvelope(ctx, magicSnapshot, snapshotName(id), kindSnapshot, maxSnapshotPayload, keep)
	if err != nil {
		return nil, nil, fmt.Errorf("read snapshot %s: %w", id, err)
	}
	s, err := decodeSnapshot(id, payload)
	return s, obj, err
}

// openSnapshotObject opens a snapshot object read from the local cache
// as one read from the sites is opened.
func (r *Repository) openSnapshotObject(ctx context.Context, id ID, b []byte) (*Snapshot, error) {
	if len(b) > maxSnapCacheObject {
		return nil, fmt.Errorf("%w: snapshot %s: cached object of %d bytes", ErrMalformed, id, len(b))
	}
	payload, err := openEnvelope(magicSnapshot, b, snapshotName(id), r.keyForCtx(ctx, kindSnapshot), maxSnapshotPayload)
	if err != nil {
		return nil, err
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
		snaps, errs := r.loadSnapshots(ctx, ids)
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

// loadSnapshots reads the snapshots of ids, those in the local snapshot
// cache from there, and writes the cache again when some were read from
// the sites or a cached one no longer opens.
func (r *Repository) loadSnapshots(ctx context.Context, ids []ID) ([]*Snapshot, []error) {
	snaps := make([]*Snapshot, len(ids))
	errs := make([]error, len(ids))
	path := r.snapshotCachePath()
	var cached map[ID][]byte
	if path != "" {
		want := make(map[ID]bool, len(ids))
		for _, id := range ids {
			want[id] = true
		}
		cached = readSnapshotCache(path, want)
	}
	objs := make([][]byte, len(ids))
	fresh := make([]bool, len(ids))
	_ = parallel(ctx, len(ids), 2*runtime.GOMAXPROCS(0), func(ctx context.Context, i int) error {
		if b := cached[ids[i]]; b != nil {
			if s, err := r.openSnapshotObject(ctx, ids[i], b); err == nil {
				snaps[i], objs[i] = s, b
				return nil
			}
		}
		snaps[i], objs[i], errs[i] = r.loadSnapshotObject(ctx, ids[i], path != "")
		fresh[i] = errs[i] == nil
		return nil
	})
	if path == "" || ctx.Err() != nil {
		return snaps, errs
	}
	keep := make(map[ID][]byte, len(ids))
	changed := false
	for i, id := range ids {
		if errs[i] == nil {
			keep[id] = objs[i]
		}
		// A snapshot read from the sites, or a cached one that is now
		// unreadable, changes the cache. (Cached snapshots since deleted
		// are dropped at the next change.)
		changed = changed || fresh[i] || cached[id] != nil && errs[i] != nil
	}
	if changed {
		_ = writeSnapshotCache(path, ids, keep)
	}
	return snaps, errs
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
