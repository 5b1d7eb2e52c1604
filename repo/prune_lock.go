package repo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/storage"
)

// pruneLocks is a prune run's object-lock state (docs/FORMAT.md §19.8);
// a pruner of a repository without object lock has none.
//
// Prune never deletes or rewrites a locked object: the sweep leaves a
// condemned pack that is still locked, or that an index file still locked
// names, in place (the next phase 1 condemns it again, and a later sweep
// deletes it once the locks are gone); phase 1 does not rewrite a mostly
// unused pack that stays locked past the next sweep. A locked index file
// that names a pack to delete is replaced by one naming its other packs
// and recorded in the marker as superseded, so that its lock is no longer
// extended and it goes with its packs once the lock lapses. After phase
// 1, prune extends the locks of everything still in use.
type pruneLocks struct {
	cfg ObjectLockConfig
	// lockedIndex: index files naming a pack to delete that are locked:
	// the sweep neither rewrites nor deletes them.
	lockedIndex map[string]bool
	// held: packs to delete left by the sweep because they, or an index
	// file naming them, are locked.
	held map[ID]bool
	// superseded: index files every marker records as superseded; carry:
	// those the new marker records (new ones and the due markers' that
	// still exist).
	superseded map[string]bool
	carry      []string
	// garbage: mostly unused packs phase 1 did not rewrite because they
	// stay locked past the next sweep; their locks are not extended.
	garbage map[ID]bool
	// marker: the marker phase 1 wrote, whose packs are not extended.
	marker *pruneMarker
}

// setupLocks prepares the run's lock state after the markers are read.
func (p *pruner) setupLocks() {
	c := p.r.cfg.ObjectLock
	if c == nil {
		return
	}
	p.lk = &pruneLocks{cfg: *c, lockedIndex: map[string]bool{}, held: map[ID]bool{}, superseded: map[string]bool{}, garbage: map[ID]bool{}}
	for _, m := range append(append([]*pruneMarker{}, p.due...), p.pending...) {
		for _, n := range m.Superseded {
			p.lk.superseded[n] = true
		}
	}
}

// checkLockPolicy refuses a prune whose margin leaves no time to extend
// locks: the lock period must exceed twice the margin.
func (r *Repository) checkLockPolicy(opts PruneOptions) error {
	if err := r.refuseUnlockable("prune"); err != nil {
		return err
	}
	if c := r.cfg.ObjectLock; c != nil && c.Period <= 2*opts.Margin {
		return fmt.Errorf("%w: the prune margin %v must be under half the object lock period %v", ErrBadPolicy, opts.Margin, c.Period)
	}
	return nil
}

// holdLocked is the sweep's first step with object lock: it takes out of
// del the packs that are locked, or that a locked index file names, and
// supersedes such index files (see pruneLocks).
func (p *pruner) holdLocked(ctx context.Context, del map[ID]bool) error {
	if p.lk == nil {
		return nil
	}
	now := time.Now()
	for id := range del {
		ret, err := p.r.store.Retention(ctx, packName(id))
		if err != nil {
			return fmt.Errorf("prune: %w", err)
		}
		if ret.LockedAt(now) {
			delete(del, id)
			p.lk.held[id] = true
		}
	}
	for _, name := range p.rewrite {
		ret, err := p.r.store.Retention(ctx, name)
		if err != nil {
			return fmt.Errorf("prune: %w", err)
		}
		if !ret.LockedAt(now) {
			continue
		}
		p.lk.lockedIndex[name] = true
		p.rep.IndexLocked++
		packs, err := p.r.readIndexFile(ctx, name)
		if err != nil {
			return fmt.Errorf("prune: re-read %s: %w", name, err)
		}
		var keep []IndexPack
		for _, pk := range packs {
			switch {
			case del[pk.ID]:
				delete(del, pk.ID)
				p.lk.held[pk.ID] = true
			case p.lk.held[pk.ID]:
			default:
				keep = append(keep, pk)
			}
		}
		if p.lk.superseded[name] || p.opts.DryRun {
			continue
		}
		// Its other packs go into a new index file, so that the locked
		// one is needed no more and its lock can lapse.
		if len(keep) > 0 {
			id, err := randomID()
			if err != nil {
				return err
			}
			newName := indexPrefix + id.String()
			if err := p.r.journaled(ctx, []string{newName}, nil, func() error { return p.r.putIndexFileAs(ctx, newName, keep) }); err != nil {
				return err
			}
			p.rep.IndexRewritten++
		}
		p.lk.superseded[name] = true
		p.lk.carry = append(p.lk.carry, name)
	}
	p.rep.PacksLocked += len(p.lk.held)
	carried := map[string]bool{}
	for _, n := range p.lk.carry {
		carried[n] = true
	}
	for _, m := range p.due {
		for _, n := range m.Superseded {
			if carried[n] {
				continue
			}
			ok, err := p.r.store.Exists(ctx, n)
			if err != nil {
				return fmt.Errorf("prune: %w", err)
			}
			if ok {
				carried[n] = true
				p.lk.carry = append(p.lk.carry, n)
			}
		}
	}
	return nil
}

// skipLockedIndex reports whether the sweep must leave index file name.
func (p *pruner) skipLockedIndex(name string) bool {
	return p.lk != nil && p.lk.lockedIndex[name]
}

// deleteLocked reports whether err is a refusal to delete a locked
// object, which the sweep counts and passes over.
func (p *pruner) deleteLocked(err error) bool {
	return p.lk != nil && errors.Is(err, storage.ErrLocked)
}

// keepLockedPack reports whether phase 1 must leave the mostly unused
// pack id alone because it stays locked past the next sweep.
func (p *pruner) keepLockedPack(ctx context.Context, id ID) (bool, error) {
	if p.lk == nil {
		return false, nil
	}
	ret, err := p.r.store.Retention(ctx, packName(id))
	if err != nil {
		return false, fmt.Errorf("prune: %w", err)
	}
	if ret.LockedAt(p.now.Add(p.opts.Margin)) {
		p.lk.garbage[id] = true
		p.rep.PacksLocked++
		return true, nil
	}
	return false, nil
}

// lockExtendWorkers is how many objects prune extends the locks of at
// once.
const lockExtendWorkers = 8

// extendLocks is prune's last step with object lock: every object still
// in use whose lock ends within half the period is locked for the period
// from now — the config, key slots and the other key objects, the index
// files not superseded and the packs no marker condemns. Snapshot objects
// and audit entries keep the lock of their write: forget must be able to
// remove a snapshot once its period is over.
func (p *pruner) extendLocks(ctx context.Context) error {
	if p.lk == nil || p.opts.DryRun {
		return nil
	}
	now := time.Now()
	soon, until := now.Add(p.lk.cfg.Period/2), now.Add(p.lk.cfg.Period)
	skip := func(name string) bool {
		if strings.HasPrefix(name, indexPrefix) {
			return p.lk.superseded[name]
		}
		if !strings.HasPrefix(name, packsPrefix) {
			return false
		}
		id, err := chunk.ParseID(name[strings.LastIndexByte(name, '/')+1:])
		if err != nil {
			return true
		}
		if p.condemned[id] || p.lk.garbage[id] || p.lk.held[id] {
			return true
		}
		return false
	}
	if m := p.lk.marker; m != nil {
		for _, id := range append(append([]ID{}, m.Packs...), m.Unindexed...) {
			p.condemned[id] = true
		}
	}
	names := make(chan string)
	var (
		wg       sync.WaitGroup
		extended atomic.Int64
		errMu    sync.Mutex
		first    error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range lockExtendWorkers {
		wg.Go(func() {
			for name := range names {
				ret, err := p.r.store.Retention(ctx, name)
				if err == nil && ret.Shards > 0 && ret.Earliest.Before(soon) {
					var n int
					if n, err = p.r.store.ExtendLock(ctx, name, until); n > 0 {
						extended.Add(1)
					}
				}
				if err != nil {
					errMu.Lock()
					if first == nil {
						first = fmt.Errorf("prune: extend the lock of %s: %w", name, err)
					}
					errMu.Unlock()
					cancel()
				}
			}
		})
	}
	var listErr error
feed:
	for _, prefix := range []string{configName, keysPrefix, keyInfoPrefix, custodyPrefix, sessionsPrefix, keyringPrefix, tableKeysPrefix, indexPrefix, packsPrefix} {
		for name, err := range p.r.store.List(ctx, prefix) {
			if err != nil {
				listErr = fmt.Errorf("prune: list %s: %w", prefix, err)
				break feed
			}
			if (prefix == configName && name != configName) || skip(name) {
				continue
			}
			select {
			case names <- name:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(names)
	wg.Wait()
	p.rep.LocksExtended = int(extended.Load())
	if first != nil {
		return first
	}
	if listErr != nil {
		return listErr
	}
	return ctx.Err()
}
