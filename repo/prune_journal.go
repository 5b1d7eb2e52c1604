package repo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/custodia-backup/custodia/storage"
)

// A prune journal is a prune object (same envelope and JSON as a marker)
// whose writing/deleting lists name the objects a prune is about to write
// or delete. A storage write or delete is not atomic across shards: a
// crash in the middle leaves some shards. The journal, written first and
// deleted last, tells verify that such an object is an interrupted prune
// step (not damage), and tells the next prune what to finish: repair or
// delete what was being written, delete what was being deleted
// (docs/FORMAT.md §19.6).

// journalAuditKey marks a context whose audit appends are journaled.
type journalAuditKey struct{}

// journalAudit returns ctx in which an audit append (appendAudit) writes
// its entry under a journal, as prune's own entry is: a prune killed
// while appending it leaves an interrupted step, not a damaged entry.
func journalAudit(ctx context.Context) context.Context {
	return context.WithValue(ctx, journalAuditKey{}, true)
}

// putAuditEntry runs put, the write of audit entry name, under a journal
// when ctx asks for one (journalAudit).
func (r *Repository) putAuditEntry(ctx context.Context, name string, put func() error) error {
	if ctx.Value(journalAuditKey{}) == nil {
		return put()
	}
	return r.journaled(ctx, []string{name}, nil, put)
}

// journaled runs fn between writing a journal naming the objects and
// deleting it.
func (r *Repository) journaled(ctx context.Context, writing, deleting []string, fn func() error) error {
	j := &pruneMarker{Created: time.Now().UTC(), Writing: writing, Deleting: deleting}
	if err := r.writePruneMarker(ctx, j); err != nil {
		return err
	}
	if err := fn(); err != nil {
		return err
	}
	if err := r.store.Delete(ctx, pruneMarkerName(j.ID)); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("prune: delete journal: %w", err)
	}
	return nil
}

// finishJournals completes the steps of prunes that were interrupted:
// objects being written are repaired when readable and deleted when not
// (nothing refers to them yet), objects being deleted are deleted, and
// damaged prune objects are repaired. It runs before a prune reads
// anything else.
func (r *Repository) finishJournals(ctx context.Context, ms *markerSet) error {
	for _, j := range ms.markers {
		if !j.isJournal() {
			continue
		}
		for _, name := range j.Writing {
			h, err := r.store.Check(ctx, name, false)
			if errors.Is(err, storage.ErrNotFound) || err == nil && h.OK() {
				continue
			}
			if err == nil && h.Recoverable() {
				if _, err := r.store.Repair(ctx, name); err != nil {
					return fmt.Errorf("prune: repair %s: %w", name, err)
				}
				continue
			}
			// A locked object stays until its lock lapses; the
			// sweep of a later prune deletes it (prune_lock.go).
			if err := r.store.Delete(ctx, name); err != nil && !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrLocked) {
				return fmt.Errorf("prune: delete %s: %w", name, err)
			}
		}
		for _, name := range j.Deleting {
			if err := r.store.Delete(ctx, name); err != nil && !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrLocked) {
				return fmt.Errorf("prune: delete %s: %w", name, err)
			}
		}
		if err := r.store.Delete(ctx, pruneMarkerName(j.ID)); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("prune: delete journal: %w", err)
		}
	}
	// Markers written by an interrupted prune with some shards missing.
	for _, m := range ms.markers {
		if m.isJournal() {
			continue
		}
		name := pruneMarkerName(m.ID)
		if h, err := r.store.Check(ctx, name, false); err == nil && !h.OK() && h.Recoverable() {
			if _, err := r.store.Repair(ctx, name); err != nil {
				return fmt.Errorf("prune: repair %s: %w", name, err)
			}
		}
	}
	return nil
}

// pruneInFlight returns the objects that prune journals name: a check
// reports their missing shards as an interrupted prune step.
func (r *Repository) pruneInFlight(ctx context.Context) (map[string]bool, error) {
	ms, err := r.readPruneMarkers(ctx, false)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, m := range ms.markers {
		for _, n := range m.Writing {
			out[n] = true
		}
		for _, n := range m.Deleting {
			out[n] = true
		}
	}
	return out, nil
}

// interruptedPruneObject reports whether the check may report name, whose
// bad shards are all missing, as an interrupted step rather than damage.
func interruptedPruneObject(name string, inFlight map[string]bool) bool {
	return inFlight[name] || strings.HasPrefix(name, prunePrefix)
}
