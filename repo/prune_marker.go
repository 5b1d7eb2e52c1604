package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/storage"
)

// A prune marker, "prune/<64 hex>" (envelope kind "CPRN", index key, JSON
// payload), records what phase 1 of a prune found deletable; phase 2, in a
// later run at least Margin after Created, deletes what is still
// deletable then (docs/FORMAT.md section 19.6).
const (
	prunePrefix      = "prune/"
	magicPruneMarker = "CPRN"
	maxMarkerPayload = 256 << 20
)

// pruneMarker is the content of a prune marker.
type pruneMarker struct {
	ID ID `json:"-"`
	// Created is when phase 1 listed the snapshots, by its clock.
	Created time.Time `json:"created"`
	// Margin is the wait before phase 2 may delete anything.
	Margin time.Duration `json:"margin_ns"`
	// Packs are the condemned packs: unused, or mostly unused and whose
	// used blobs were copied to new packs before the marker was written.
	// Writers do not deduplicate against them.
	Packs []ID `json:"packs,omitempty"`
	// Unindexed are packs no index file named at phase 1.
	Unindexed []ID `json:"unindexed,omitempty"`
	// Incomplete are objects left with fewer than k shards, all others
	// missing (interrupted writes), that nothing references.
	Incomplete []string `json:"incomplete,omitempty"`
	// Superseded are locked index files replaced by newer ones naming
	// their packs still in use (object lock, prune_lock.go): their locks
	// are not extended, and a sweep deletes them once unlocked.
	Superseded []string `json:"superseded,omitempty"`
	// Writing and Deleting make the object a journal (prune_journal.go):
	// the objects a prune step is writing or deleting.
	Writing  []string `json:"writing,omitempty"`
	Deleting []string `json:"deleting,omitempty"`
}

// isJournal reports whether the object is a journal, not a marker.
func (m *pruneMarker) isJournal() bool { return len(m.Writing)+len(m.Deleting) > 0 }

// due reports whether phase 2 may act on the marker at now.
func (m *pruneMarker) due(now time.Time) bool { return !now.Before(m.Created.Add(m.Margin)) }

func decodePruneMarker(id ID, b []byte) (*pruneMarker, error) {
	var m pruneMarker
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: prune marker %s: %v", ErrMalformed, id, err)
	}
	if m.Created.IsZero() || m.Margin < 0 {
		return nil, fmt.Errorf("%w: prune marker %s: no time or a negative margin", ErrMalformed, id)
	}
	for _, n := range m.Superseded {
		if !strings.HasPrefix(n, indexPrefix) {
			return nil, fmt.Errorf("%w: prune marker %s names %q as a superseded index file", ErrMalformed, id, n)
		}
	}
	for _, n := range append(append(slices.Clone(m.Incomplete), m.Writing...), m.Deleting...) {
		if !strings.HasPrefix(n, snapshotPrefix) && !strings.HasPrefix(n, indexPrefix) && !strings.HasPrefix(n, prunePrefix) && !strings.HasPrefix(n, packsPrefix) && !strings.HasPrefix(n, auditPrefix) {
			return nil, fmt.Errorf("%w: prune marker %s names %q", ErrMalformed, id, n)
		}
	}
	m.ID = id
	return &m, nil
}

func pruneMarkerName(id ID) string { return prunePrefix + id.String() }

// writePruneMarker stores m under a new ID.
func (r *Repository) writePruneMarker(ctx context.Context, m *pruneMarker) error {
	id, err := randomID()
	if err != nil {
		return err
	}
	m.ID = id
	payload, err := json.Marshal(m)
	if err != nil {
		return err
	}
	name := pruneMarkerName(id)
	if err := r.store.Put(ctx, name, sealEnvelope(magicPruneMarker, r.indexKey, name, payload)); err != nil {
		return fmt.Errorf("write prune marker: %w", err)
	}
	return nil
}

// markerSet is the prune markers a process has read.
type markerSet struct {
	markers []*pruneMarker
	// names are the object names of every marker listed, readable or not.
	names []string
	// incomplete are markers whose write was interrupted.
	incomplete []string
}

// condemned returns the set of packs any marker condemns or lists as
// unindexed.
func (ms *markerSet) condemned() map[ID]bool {
	out := make(map[ID]bool)
	for _, m := range ms.markers {
		for _, p := range m.Packs {
			out[p] = true
		}
		for _, p := range m.Unindexed {
			out[p] = true
		}
	}
	return out
}

// readPruneMarkers lists and reads every prune marker. A marker that
// cannot be read is an error when strict (prune must not act on a partial
// view); otherwise it is skipped: it is either being written (a writer
// then meets it at its snapshot, section 19.6) or damaged.
func (r *Repository) readPruneMarkers(ctx context.Context, strict bool) (*markerSet, error) {
	ms := &markerSet{}
	for name, err := range r.store.List(ctx, prunePrefix) {
		if err != nil {
			return nil, fmt.Errorf("list prune markers: %w", err)
		}
		id, err := chunk.ParseID(strings.TrimPrefix(name, prunePrefix))
		if err != nil {
			continue
		}
		ms.names = append(ms.names, name)
		m, err := r.readPruneMarker(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			if inc, _ := r.incomplete(ctx, name); inc {
				// An interrupted marker write: nobody can act on it.
				ms.incomplete = append(ms.incomplete, name)
				continue
			}
			if strict {
				return nil, err
			}
			r.warnings = append(r.warnings, err)
			continue
		}
		ms.markers = append(ms.markers, m)
	}
	slices.SortFunc(ms.markers, func(a, b *pruneMarker) int { return a.Created.Compare(b.Created) })
	return ms, nil
}

func (r *Repository) readPruneMarker(ctx context.Context, id ID) (*pruneMarker, error) {
	name := pruneMarkerName(id)
	b, _, err := r.store.Get(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read prune marker %s: %w", id, err)
	}
	payload, err := openEnvelope(magicPruneMarker, b, name, r.keyFor(kindPruneMarker), maxMarkerPayload)
	if err != nil {
		return nil, fmt.Errorf("prune marker %s: %w", id, err)
	}
	return decodePruneMarker(id, payload)
}
