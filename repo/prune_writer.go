package repo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ErrPruneOverlap means a prune condemned data this backup relies on while
// the backup ran, too long ago for the snapshot to be written safely
// (docs/FORMAT.md §19.6). What the backup uploaded stays and is
// deduplicated against: running it again is cheap.
var ErrPruneOverlap = errors.New("a prune that started during this backup may delete data it uses; run the backup again")

// gcState is what a writer knows of concurrent prunes: the markers it saw
// when it opened the repository, the index files it loaded, and the packs
// its snapshot relies on (those it deduplicated against, and its own).
type gcState struct {
	seen       map[string]bool // marker names listed at open
	indexFiles []string        // index files loaded at open, by position
	// relied has one flag per pack loaded at open: set when a blob of it
	// was deduplicated against.
	relied []atomic.Bool
	mu     sync.Mutex
	own    []ID // packs this writer uploaded
}

// loadPruneState reads the prune markers before the index, so that the
// index knows which packs are condemned.
func (r *Repository) loadPruneState(ctx context.Context) error {
	ms, err := r.readPruneMarkers(ctx, false)
	if err != nil {
		return err
	}
	r.gc.seen = make(map[string]bool, len(ms.names))
	for _, n := range ms.names {
		r.gc.seen[n] = true
	}
	r.idx.condemned = ms.condemned()
	return nil
}

// packsAtOpen sizes the relied flags once the index is loaded.
func (g *gcState) packsAtOpen(x *index) {
	x.mu.RLock()
	g.relied = make([]atomic.Bool, len(x.packs))
	x.mu.RUnlock()
}

func (g *gcState) addOwn(id ID) {
	g.mu.Lock()
	g.own = append(g.own, id)
	g.mu.Unlock()
}

// indexHas reports whether the index holds h in a pack no prune marker
// condemns (and, if trustedOnly, a trusted one), and remembers that the
// writer now relies on that pack.
func (r *Repository) indexHas(h BlobHandle, trustedOnly bool) bool {
	pos, ok := r.idx.live(h, trustedOnly)
	if ok && int(pos) < len(r.gc.relied) {
		r.gc.relied[pos].Store(true)
	}
	return ok
}

// reliedPacks returns the packs loaded at open that the writer relied on,
// with the index file that named each, and the packs it uploaded.
func (r *Repository) reliedPacks() (relied []packInfo, own []ID) {
	r.idx.mu.RLock()
	for i := range r.gc.relied {
		if r.gc.relied[i].Load() {
			relied = append(relied, r.idx.packs[i])
		}
	}
	r.idx.mu.RUnlock()
	r.gc.mu.Lock()
	own = slices.Clone(r.gc.own)
	r.gc.mu.Unlock()
	return relied, own
}

// checkPruneOverlap is run before a snapshot is written: it refuses with
// ErrPruneOverlap when a prune that this writer did not see at open has
// condemned a pack the snapshot relies on and may delete it before the
// snapshot is listed, or has already deleted one (§19.6, rules W2, W3).
func (r *Repository) checkPruneOverlap(ctx context.Context) error {
	ms, err := r.readPruneMarkers(ctx, false)
	if err != nil {
		return err
	}
	relied, own := r.reliedPacks()
	uses := make(map[ID]bool, len(relied)+len(own))
	for _, p := range relied {
		uses[p.id] = true
	}
	for _, id := range own {
		uses[id] = true
	}
	now := time.Now()
	for _, m := range ms.markers {
		if r.gc.seen[pruneMarkerName(m.ID)] {
			continue
		}
		if !slices.ContainsFunc(m.Packs, func(id ID) bool { return uses[id] }) &&
			!slices.ContainsFunc(m.Unindexed, func(id ID) bool { return uses[id] }) {
			continue
		}
		// W2: the snapshot must be complete before the marker's phase 2
		// lists snapshots, at Created+Margin by the pruner's clock.
		if !now.Before(m.Created.Add(m.Margin / 2)) {
			return fmt.Errorf("%w (prune marker %s of %s)", ErrPruneOverlap, m.ID.String()[:8], m.Created.UTC().Format(time.RFC3339))
		}
	}
	// W3: a prune that began and finished during this session rewrote the
	// index files naming the packs it deleted. If a file loaded at open is
	// gone, make sure the packs the snapshot relies on are all still there.
	listed := map[string]bool{}
	for name, err := range r.store.List(ctx, indexPrefix) {
		if err != nil {
			return fmt.Errorf("list index: %w", err)
		}
		listed[name] = true
	}
	vanished := map[int32]bool{}
	for i, name := range r.gc.indexFiles {
		if !listed[name] {
			vanished[int32(i)] = true
		}
	}
	if len(vanished) == 0 {
		return nil
	}
	var check []ID
	for _, p := range relied {
		if vanished[p.file] {
			check = append(check, p.id)
		}
	}
	check = append(check, own...)
	for _, id := range check {
		ok, err := r.store.Exists(ctx, packName(id))
		if err != nil {
			return fmt.Errorf("check pack %s: %w", id, err)
		}
		if !ok {
			return fmt.Errorf("%w (pack %s was deleted)", ErrPruneOverlap, id.String()[:8])
		}
	}
	return nil
}
