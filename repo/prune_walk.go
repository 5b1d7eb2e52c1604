package repo

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/storage"
)

// Record layouts of the spill sorters (all fields big-endian):
//
//	used  (33): type | blob ID
//	entry (93): type | blob ID | pack ID | key ID | offset | length | raw length
//	pack  (94): pack ID | used (0/1) | key ID | type | blob ID | offset | length | raw length
const (
	usedRecSize  = 33
	entryRecSize = 33 + 32 + 16 + 12
	packRecSize  = 32 + 1 + 16 + 33 + 12
)

// pruner holds one Prune run's state.
type pruner struct {
	r    *Repository
	opts PruneOptions
	rep  *PruneReport
	now  time.Time

	due, pending []*pruneMarker
	// condemned: packs of every marker; dueDelete: packs due markers
	// would delete; dueUnindexed: of those, packs that were unindexed.
	condemned, dueDelete, dueUnindexed map[ID]bool
	// indexed: the dueUnindexed packs that an index file now names.
	indexed map[ID]bool
	// dueSize: the blob bytes the index lists in each dueDelete pack.
	dueSize map[ID]int64
	// rewrite: index files naming a dueDelete pack.
	rewrite []string
	// trees: the index of tree blobs, to walk the snapshots.
	trees *index
	roots []ID
	// incomplete: snapshot and index objects left by interrupted writes.
	incomplete []string
	// rescued: dueDelete packs holding a blob a snapshot now needs that no
	// live pack holds.
	rescued map[ID]bool
	// lk is the object-lock state (prune_lock.go), nil without object lock.
	lk *pruneLocks

	used, entries, packs *spillSorter
}

func (p *pruner) budget() int { return p.opts.Memory / 8 }

func (p *pruner) close() {
	for _, s := range []*spillSorter{p.used, p.entries, p.packs} {
		if s != nil {
			s.close()
		}
	}
}

func (p *pruner) readMarkers(ctx context.Context) error {
	ms, err := p.r.readPruneMarkers(ctx, true)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPruneUnsafe, err)
	}
	if !p.opts.DryRun {
		if err := p.r.finishJournals(ctx, ms); err != nil {
			return err
		}
	}
	ms.markers = slices.DeleteFunc(ms.markers, (*pruneMarker).isJournal)
	p.condemned = ms.condemned()
	p.incomplete = append(p.incomplete, ms.incomplete...)
	p.dueDelete, p.dueUnindexed, p.indexed, p.dueSize = map[ID]bool{}, map[ID]bool{}, map[ID]bool{}, map[ID]int64{}
	for _, m := range ms.markers {
		if !m.due(p.now) {
			p.pending = append(p.pending, m)
			continue
		}
		p.due = append(p.due, m)
		for _, id := range m.Packs {
			p.dueDelete[id] = true
		}
		for _, id := range m.Unindexed {
			p.dueDelete[id] = true
			p.dueUnindexed[id] = true
		}
	}
	return nil
}

// readIndex streams the index files one at a time into the entry sorter
// and the tree index.
func (p *pruner) readIndex(ctx context.Context) error {
	p.entries = newSpillSorter(entryRecSize, p.budget(), p.opts.TempDir)
	p.trees = newIndex()
	rec := make([]byte, entryRecSize)
	for name, err := range p.r.store.List(ctx, indexPrefix) {
		if err != nil {
			return fmt.Errorf("list index: %w", err)
		}
		if _, err := chunk.ParseID(strings.TrimPrefix(name, indexPrefix)); err != nil {
			continue
		}
		packs, err := p.r.readIndexFile(ctx, name)
		if err != nil {
			if inc, _ := p.r.incomplete(ctx, name); inc {
				p.incomplete = append(p.incomplete, name)
				continue
			}
			// It may have been completed meanwhile by its writer.
			packs, err = p.r.readIndexFile(ctx, name)
		}
		if err != nil {
			return fmt.Errorf("%w: index file %s cannot be read (%v): the packs it names would look unused; repair or remove it first", ErrPruneUnsafe, name, err)
		}
		names := false
		for _, pk := range packs {
			if p.dueDelete[pk.ID] {
				names = true
				if p.dueUnindexed[pk.ID] {
					p.indexed[pk.ID] = true
				}
			}
			var trees []PackEntry
			for _, e := range pk.Entries {
				if names && p.dueDelete[pk.ID] {
					p.dueSize[pk.ID] += int64(e.Length)
				}
				putEntryRec(rec, e, pk.ID, pk.KeyID)
				if err := p.entries.add(rec); err != nil {
					return err
				}
				p.rep.IndexEntries++
				if e.Handle.Type == TreeBlob {
					trees = append(trees, e)
				}
			}
			if len(trees) > 0 {
				p.trees.add(IndexPack{ID: pk.ID, KeyID: pk.KeyID, Entries: trees})
			}
		}
		if names {
			p.rewrite = append(p.rewrite, name)
		}
	}
	return nil
}

func putEntryRec(rec []byte, e PackEntry, pack ID, key crypto.KeyID) {
	rec[0] = byte(e.Handle.Type)
	copy(rec[1:33], e.Handle.ID[:])
	copy(rec[33:65], pack[:])
	copy(rec[65:81], key[:])
	binary.BigEndian.PutUint32(rec[81:], e.Offset)
	binary.BigEndian.PutUint32(rec[85:], e.Length)
	binary.BigEndian.PutUint32(rec[89:], e.RawLength)
}

// readSnapshots lists the snapshots and gathers their root trees. A
// snapshot that cannot be read stops prune unless it is an interrupted
// write.
func (p *pruner) readSnapshots(ctx context.Context) error {
	ids, err := p.r.SnapshotIDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		s, err := p.r.LoadSnapshot(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue // forgotten meanwhile
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if inc, _ := p.r.incomplete(ctx, snapshotName(id)); inc {
				p.incomplete = append(p.incomplete, snapshotName(id))
				continue
			}
			s, err = p.r.LoadSnapshot(ctx, id) // completed meanwhile?
		}
		if err != nil {
			return fmt.Errorf("%w: snapshot %s cannot be read (%v): the data it references would look unused; repair or forget it first", ErrPruneUnsafe, id.String()[:8], err)
		}
		roots, err := snapshotRoots(s)
		if err != nil {
			return err
		}
		p.roots = append(p.roots, roots...)
		p.rep.Snapshots++
	}
	return nil
}

// snapshotRoots returns the tree blobs from which everything a snapshot
// references is reached.
func snapshotRoots(s *Snapshot) ([]ID, error) {
	switch s.Kind {
	case KindFiles, KindStream, KindTable:
		// A table snapshot's tree reaches every blob it needs (§25.6).
		return []ID{s.Tree}, nil
	}
	return nil, fmt.Errorf("%w: snapshot %s is of kind %q, whose references this build cannot follow", ErrPruneUnsafe, s.ID.String()[:8], s.Kind)
}

// walkTrees adds every tree and data blob the snapshots reach to the used
// sorter, one tree level at a time: the trees of the next level are
// deduplicated by sorting, not by a set in memory.
func (p *pruner) walkTrees(ctx context.Context) error {
	p.used = newSpillSorter(usedRecSize, p.budget(), p.opts.TempDir)
	level := newSpillSorter(32, p.budget(), p.opts.TempDir)
	for _, id := range p.roots {
		if err := level.add(id[:]); err != nil {
			return err
		}
	}
	rec := make([]byte, usedRecSize)
	for level.n > 0 {
		next := newSpillSorter(32, p.budget(), p.opts.TempDir)
		var prev []byte
		for b, err := range level.sorted() {
			if err != nil {
				level.close()
				next.close()
				return err
			}
			if prev != nil && bytes.Equal(prev, b) {
				continue
			}
			prev = append(prev[:0], b...)
			id := ID(b)
			rec[0] = byte(TreeBlob)
			copy(rec[1:], id[:])
			if err := p.used.add(rec); err != nil {
				return err
			}
			h := BlobHandle{Type: TreeBlob, ID: id}
			loc, pack, ok := p.trees.lookup(h)
			if !ok {
				level.close()
				next.close()
				return fmt.Errorf("%w: tree %s, which a snapshot needs, is in no index file; run 'verify'", ErrPruneUnsafe, id)
			}
			raw, err := p.r.loadBlobAt(ctx, h, loc, pack, nil)
			if err != nil {
				level.close()
				next.close()
				return fmt.Errorf("%w: tree %s cannot be read: %v", ErrPruneUnsafe, id, err)
			}
			t, err := DecodeTree(raw)
			if err != nil {
				level.close()
				next.close()
				return fmt.Errorf("%w: tree %s: %v", ErrPruneUnsafe, id, err)
			}
			for _, n := range t.Nodes {
				switch {
				case n.Type == NodeDir && n.Subtree != nil:
					if err := next.add(n.Subtree[:]); err != nil {
						return err
					}
				case n.Type == NodeFile:
					rec[0] = byte(DataBlob)
					for _, c := range n.Content {
						copy(rec[1:], c[:])
						if err := p.used.add(rec); err != nil {
							return err
						}
					}
				}
			}
		}
		level.close()
		level = next
	}
	level.close()
	return nil
}

// join merges the used blobs with the index entries (both sorted by
// handle): it finds used blobs missing from the index, decides which
// condemned packs are rescued, and fills the pack sorter.
func (p *pruner) join(ctx context.Context) error {
	p.rescued = map[ID]bool{}
	p.packs = newSpillSorter(packRecSize, p.budget(), p.opts.TempDir)
	nextUsed, stop := iter.Pull2(p.used.sorted())
	defer stop()
	var cur []byte // current used handle
	advance := func() error {
		for {
			b, err, ok := nextUsed()
			if err != nil {
				return err
			}
			if !ok {
				cur = nil
				return nil
			}
			if cur != nil && bytes.Equal(cur, b) {
				continue
			}
			cur = append(cur[:0:0], b...)
			p.rep.UsedBlobs++
			return nil
		}
	}
	if err := advance(); err != nil {
		return err
	}
	var group [][]byte // entries of one handle
	flush := func() error {
		if len(group) == 0 {
			return nil
		}
		h := group[0][:33]
		if cur != nil && bytes.Compare(cur, h) < 0 {
			return fmt.Errorf("%w: %s, which a snapshot needs, is in no index file; run 'verify'", ErrPruneUnsafe, handleOf(cur))
		}
		used := cur != nil && bytes.Equal(cur, h)
		if used {
			live := false
			for _, e := range group {
				if !p.condemned[ID(e[33:65])] {
					live = true
				}
			}
			if !live {
				for _, e := range group {
					if id := ID(e[33:65]); p.dueDelete[id] {
						p.rescued[id] = true
					}
				}
			}
			if err := advance(); err != nil {
				return err
			}
		}
		rec := make([]byte, packRecSize)
		for _, e := range group {
			copy(rec[0:32], e[33:65])
			rec[32] = 0
			if used {
				rec[32] = 1
			}
			copy(rec[33:49], e[65:81])
			copy(rec[49:82], e[0:33])
			copy(rec[82:94], e[81:93])
			if err := p.packs.add(rec); err != nil {
				return err
			}
		}
		group = group[:0]
		return nil
	}
	for e, err := range p.entries.sorted() {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if len(group) > 0 && !bytes.Equal(group[0][:33], e[:33]) {
			if err := flush(); err != nil {
				return err
			}
		}
		group = append(group, bytes.Clone(e))
	}
	if err := flush(); err != nil {
		return err
	}
	if cur != nil {
		return fmt.Errorf("%w: %s, which a snapshot needs, is in no index file; run 'verify'", ErrPruneUnsafe, handleOf(cur))
	}
	p.entries.close()
	p.used.close()
	return nil
}

func handleOf(b []byte) BlobHandle {
	return BlobHandle{Type: BlobType(b[0]), ID: ID(b[1:33])}
}
