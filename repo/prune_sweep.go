package repo

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"

	"github.com/custodia-backup/custodia/storage"
)

// sweep is phase 2: it acts on the due markers. Order (§19.6): new index
// files, then the old ones deleted, then the packs, then the interrupted
// writes, then the markers. A crash anywhere leaves the markers in place,
// and the next run repeats what is left.
func (p *pruner) sweep(ctx context.Context) error {
	p.rep.MarkersPending = len(p.pending)
	for _, m := range p.pending {
		if t := m.Created.Add(m.Margin); p.rep.NextSweep.IsZero() || t.Before(p.rep.NextSweep) {
			p.rep.NextSweep = t
		}
	}
	if len(p.due) == 0 {
		return nil
	}
	del := map[ID]bool{}
	for id := range p.dueDelete {
		switch {
		case p.rescued[id]:
			p.rep.PacksRescued++
		case p.dueUnindexed[id] && p.indexed[id]:
			// a backup indexed it after all: it is an ordinary pack now
		default:
			del[id] = true
		}
	}
	if err := p.holdLocked(ctx, del); err != nil {
		return err
	}
	p.rep.MarkersSwept = len(p.due)
	if p.opts.DryRun {
		p.rep.PacksDeleted = len(del)
		return nil
	}
	// 1. Index files naming a pack to delete are replaced by files naming
	// the rest.
	for _, name := range p.rewrite {
		if p.skipLockedIndex(name) {
			continue
		}
		packs, err := p.r.readIndexFile(ctx, name)
		if err != nil {
			return fmt.Errorf("prune: re-read %s: %w", name, err)
		}
		keep := slices.DeleteFunc(slices.Clone(packs), func(ip IndexPack) bool { return del[ip.ID] })
		if len(keep) == len(packs) {
			continue
		}
		id, err := randomID()
		if err != nil {
			return err
		}
		newName := indexPrefix + id.String()
		var writing []string
		if len(keep) > 0 {
			writing = []string{newName}
		}
		err = p.r.journaled(ctx, writing, []string{name}, func() error {
			if len(keep) > 0 {
				if err := p.r.putIndexFileAs(ctx, newName, keep); err != nil {
					return err
				}
			}
			if err := p.r.store.Delete(ctx, name); err != nil {
				return fmt.Errorf("prune: delete %s: %w", name, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		p.rep.IndexRewritten++
	}
	// 2.-4. The packs, now named by no index file, the interrupted writes
	// still incomplete, then the markers: all under one journal.
	ids := make([]ID, 0, len(del))
	var deleting []string
	for id := range del {
		ids = append(ids, id)
		deleting = append(deleting, packName(id))
	}
	var incomplete []string
	for _, m := range p.due {
		for _, name := range m.Incomplete {
			inc, err := p.r.incomplete(ctx, name)
			if err != nil {
				return err
			}
			if inc {
				incomplete = append(incomplete, name)
			}
		}
	}
	deleting = append(deleting, incomplete...)
	for _, m := range p.due {
		deleting = append(deleting, pruneMarkerName(m.ID))
	}
	return p.r.journaled(ctx, nil, deleting, func() error { return p.deleteDue(ctx, ids, incomplete, del) })
}

// deleteDue is steps 2 to 4 of the sweep.
func (p *pruner) deleteDue(ctx context.Context, ids []ID, incomplete []string, del map[ID]bool) error {
	var freed, deleted, locked atomic.Int64
	defer func() { p.rep.PacksLocked += int(locked.Load()) }()
	err := parallel(ctx, len(ids), 2*runtime.GOMAXPROCS(0), func(ctx context.Context, i int) error {
		name := packName(ids[i])
		if err := p.r.store.Delete(ctx, name); p.deleteLocked(err) {
			locked.Add(1) // locked meanwhile: a later prune deletes it
			return nil
		} else if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("prune: delete %s: %w", name, err)
		}
		deleted.Add(1)
		freed.Add(p.dueSize[ids[i]])
		return nil
	})
	p.rep.PacksDeleted = int(deleted.Load())
	p.rep.BytesFreed = freed.Load()
	if err != nil {
		return err
	}
	// 3. Interrupted writes that are still incomplete.
	for _, name := range incomplete {
		if err := p.r.store.Delete(ctx, name); p.deleteLocked(err) {
			continue
		} else if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("prune: delete %s: %w", name, err)
		}
		p.rep.IncompleteDeleted++
	}
	// 4. The markers, last.
	for _, m := range p.due {
		if err := p.r.store.Delete(ctx, pruneMarkerName(m.ID)); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("prune: delete marker: %w", err)
		}
	}
	// The due markers are gone: their rescued packs are live again.
	p.condemned = map[ID]bool{}
	for _, m := range p.pending {
		for _, id := range m.Packs {
			p.condemned[id] = true
		}
		for _, id := range m.Unindexed {
			p.condemned[id] = true
		}
	}
	for id := range del {
		p.condemned[id] = true // deleted: never to be marked again
	}
	return nil
}

// putIndexFileAs stores packs as the index file name.
func (r *Repository) putIndexFileAs(ctx context.Context, name string, packs []IndexPack) error {
	if err := r.store.Put(ctx, name, sealEnvelope(magicIndex, r.indexKey, name, encodeIndexFile(packs))); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	return nil
}
