package repo

import (
	"fmt"
	"iter"
	"slices"

	"github.com/custodia-backup/custodia/internal/extsort"
)

// DefaultIndexMemory is the memory an index holds at most (WithIndexMemory)
// when none is configured: 64 MiB, about 1.2 million blobs kept in memory.
const DefaultIndexMemory = 64 << 20

// minIndexMemory is the smallest bound accepted; smaller ones are raised.
const minIndexMemory = 1 << 20

// indexConfig is how much memory the index may hold and where it spills.
type indexConfig struct {
	memory int    // bytes
	dir    string // cache folder; "" means os.TempDir()
	noDisk bool   // keep everything in memory
	// persistDir is the folder of the persistent index cache
	// (index_persist.go); "" keeps none.
	persistDir string
}

func defaultIndexConfig() indexConfig { return indexConfig{memory: DefaultIndexMemory} }

// Shares of the bound: the places loaded at open are kept in memory up to
// a half of it; places added since open up to a 128th (512 KiB, ~10,000
// places, by default), in a map of at most recentMax entries (about a
// 256th) and sorted segments. The places added are what a writer's memory
// grows by as it writes, up to that share, and a merge of two segments in
// memory holds both and the merged one at once: with a 32nd (2 MiB) a
// table of 4M records (27,000 blobs) held 1.4 MB of them and up to twice
// that while merging, which a table of 100,000 records never does. Past
// the share, segments go to the cache folder, where a lookup of a new
// blob is answered by the segment's filter without reading it.
func (c indexConfig) loadedMax() int { return c.memory / 2 }
func (c indexConfig) addedMax() int  { return c.memory / 128 }
func (c indexConfig) recentMax() int { return max(64, c.memory/256/128) }

// flushRecentLocked turns the recent map into a sorted segment and merges
// the newest segments while the older of the last two is at most twice
// the size of the newer, so that there are few segments and each place is
// rewritten a logarithmic number of times. x.mu is held.
func (x *index) flushRecentLocked() {
	if len(x.recent) == 0 {
		return
	}
	e := make([]idxEntry, 0, len(x.recent))
	for h, loc := range x.recent {
		e = append(e, idxEntry{id: h.ID, typ: h.Type, loc: loc})
	}
	slices.SortFunc(e, cmpEntry)
	x.recent = make(map[BlobHandle]location)
	x.segs = append(x.segs, &segInfo{segment: &memSegment{e: e}})
	for n := len(x.segs); n >= 2 && x.segs[n-2].len() <= 2*x.segs[n-1].len(); n = len(x.segs) {
		older, newer := x.segs[n-2], x.segs[n-1]
		merged, err := x.writeSegment(older.len()+newer.len(), older.loaded, mergeNewer(older, newer))
		if err != nil {
			// The cache failed: keep both segments.
			x.setErr(err)
			return
		}
		x.setErr(older.close())
		x.setErr(newer.close())
		x.segs = append(x.segs[:n-2], &segInfo{segment: merged, loaded: older.loaded})
	}
}

// writeSegment makes a segment of the entries of seq (at most n, sorted,
// one per blob): in memory when they fit in their share of the bound
// (loaded tells which), in the cache otherwise.
func (x *index) writeSegment(n int, loaded bool, seq iter.Seq2[idxEntry, error]) (segment, error) {
	limit := x.cfg.addedMax()
	if loaded {
		limit = x.cfg.loadedMax()
	}
	if n*idxEntryMem > limit && x.cache != nil {
		seg, err := x.cache.write(n, len(x.packs), seq)
		if err == nil {
			return seg, nil
		}
		// The folder is unusable (full, gone): keep this segment in
		// memory rather than fail a backup. Reading seq again fails
		// too when the error was reading it.
	}
	e := make([]idxEntry, 0, n)
	for ent, err := range seq {
		if err != nil {
			return nil, err
		}
		e = append(e, ent)
	}
	return &memSegment{e: e}, nil
}

// mergeNewer yields the entries of two sorted segments in order; of a blob
// in both, the newer segment's place.
func mergeNewer(older, newer segment) iter.Seq2[idxEntry, error] {
	return mergeNewerSeq(older.all, newer.all)
}

// mergeNewerSeq is mergeNewer of two sorted sequences.
func mergeNewerSeq(older, newer iter.Seq2[idxEntry, error]) iter.Seq2[idxEntry, error] {
	return func(yield func(idxEntry, error) bool) {
		nextO, stopO := iter.Pull2(older)
		defer stopO()
		nextN, stopN := iter.Pull2(newer)
		defer stopN()
		o, oerr, ook := nextO()
		n, nerr, nok := nextN()
		for ook || nok {
			if oerr != nil || nerr != nil {
				yield(idxEntry{}, firstErr(oerr, nerr))
				return
			}
			c := 1
			switch {
			case !ook:
			case !nok:
				c = -1
			default:
				c = cmpEntry(o, n)
			}
			if c < 0 {
				if !yield(o, nil) {
					return
				}
				o, oerr, ook = nextO()
				continue
			}
			if !yield(n, nil) {
				return
			}
			if c == 0 {
				o, oerr, ook = nextO()
			}
			n, nerr, nok = nextN()
		}
	}
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// indexLoad gathers the places read at open, in the order added: in
// memory up to the index's share of the bound, then in an external sorter
// spilling to the cache folder.
type indexLoad struct {
	// chunks hold the places in memory: slices that are never copied to
	// grow, so gathering holds no more than the places themselves.
	chunks [][]idxEntry
	sorter *extsort.Sorter
	n      int // places added
	rec    []byte
	err    error
}

// beginLoad starts gathering the places of the index files read at open.
func (x *index) beginLoad() {
	x.mu.Lock()
	x.load = &indexLoad{}
	x.mu.Unlock()
}

// add gathers the places of pack pi. x.mu is held.
func (l *indexLoad) add(x *index, pi int32, entries []PackEntry) {
	if l.err != nil {
		return
	}
	l.n += len(entries)
	if l.sorter == nil && l.n*idxEntryMem > x.cfg.loadedMax() && x.cache != nil {
		// Spill: the sorter's buffer takes a quarter of the bound, its
		// merge a sixteenth.
		l.sorter = extsort.New(x.cache.dir, x.cfg.memory/4)
		for i, c := range l.chunks {
			for j := range c {
				l.sorterAdd(&c[j])
			}
			l.chunks[i] = nil
		}
		l.chunks = nil
	}
	for _, e := range entries {
		ent := idxEntry{id: e.Handle.ID, typ: e.Handle.Type, loc: location{pack: pi, offset: e.Offset, length: e.Length, rawLength: e.RawLength}}
		if l.sorter != nil {
			l.sorterAdd(&ent)
			continue
		}
		last := len(l.chunks) - 1
		if last < 0 || len(l.chunks[last]) == cap(l.chunks[last]) {
			// Chunks double from 1,024 places to 65,536 (3.3 MB).
			size := 1 << 10
			if last >= 0 {
				size = min(2*cap(l.chunks[last]), 1<<16)
			}
			l.chunks = append(l.chunks, make([]idxEntry, 0, size))
			last++
		}
		l.chunks[last] = append(l.chunks[last], ent)
	}
}

func (l *indexLoad) sorterAdd(e *idxEntry) {
	if l.err != nil {
		return
	}
	l.rec = appendIdxRecord(l.rec[:0], e)
	if err := l.sorter.Add(l.rec[:idxKeySize], l.rec[idxKeySize:]); err != nil {
		l.err = fmt.Errorf("index cache: %w", err)
	}
}

// finishLoad sorts the gathered places and makes them the index's first
// segment: of a blob listed several times, the first place of the highest
// rank (addFrom).
func (x *index) finishLoad() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	l := x.load
	x.load = nil
	if l == nil {
		return nil
	}
	x.indexPacksByID()
	if l.sorter != nil {
		defer l.sorter.Close()
		if l.err != nil {
			return l.err
		}
		if seg, ok, err := x.persistLoad(l); ok || err != nil {
			if err != nil {
				return err
			}
			x.segs = append(x.segs, &segInfo{segment: seg, loaded: true})
			return nil
		}
		seg, err := x.cache.write(l.n, len(x.packs), x.resolve(l.sorted(len(x.packs))))
		if err != nil {
			return err
		}
		x.segs = append(x.segs, &segInfo{segment: seg, loaded: true})
		return nil
	}
	if l.n == 0 {
		return nil
	}
	// One slice, each chunk dropped once copied: at most twice the
	// places for a moment, within the bound since they fit in half of it.
	all := make([]idxEntry, 0, l.n)
	for i, c := range l.chunks {
		all = append(all, c...)
		l.chunks[i] = nil
	}
	l.chunks = nil
	slices.SortStableFunc(all, cmpEntry)
	// In place: the k-th place yielded comes from at or after position k.
	k := 0
	for e, err := range x.resolve(seqOK(slices.Values(all))) {
		if err != nil {
			return err
		}
		all[k] = e
		k++
	}
	x.segs = append(x.segs, &segInfo{segment: &memSegment{e: slices.Clip(all[:k])}, loaded: true})
	return nil
}

// sorted yields the sorter's places in order.
func (l *indexLoad) sorted(packs int) iter.Seq2[idxEntry, error] {
	return func(yield func(idxEntry, error) bool) {
		for p, err := range l.sorter.Sorted() {
			if err != nil {
				yield(idxEntry{}, fmt.Errorf("index cache: %w", err))
				return
			}
			e, err := decodeIdxRecord(p.Key, p.Value, packs)
			if !yield(e, err) || err != nil {
				return
			}
		}
	}
}

func seqOK[T any](seq iter.Seq[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for v := range seq {
			if !yield(v, nil) {
				return
			}
		}
	}
}

// resolve yields one place per blob of sorted places, counting the blobs
// of each pack and of the index.
func (x *index) resolve(sorted iter.Seq2[idxEntry, error]) iter.Seq2[idxEntry, error] {
	return func(yield func(idxEntry, error) bool) {
		var best idxEntry
		have := false
		emit := func() bool {
			x.packs[best.loc.pack].blobs++
			x.count++
			x.raw += uint64(best.loc.rawLength)
			return yield(best, nil)
		}
		for e, err := range sorted {
			if err != nil {
				yield(e, err)
				return
			}
			if have && cmpEntry(best, e) == 0 {
				if x.rank(e.loc.pack) > x.rank(best.loc.pack) {
					best = e
				}
				continue
			}
			if have && !emit() {
				return
			}
			best, have = e, true
		}
		if have {
			emit()
		}
	}
}
