package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"runtime"
	"slices"
	"sync"
)

// persistRewriteFiles and persistRewriteShare decide when an open that
// read index files the cache did not cover writes a new cache: always
// when the index fits in memory (the file is small), else once the new
// files are this many, or hold this share of the cached entries — so that
// a large cache is not rewritten for each small backup, and an open reads
// at most a few small index files beside it.
const (
	persistRewriteFiles = 16
	persistRewriteShare = 16 // 1/16
)

// persistCacheFor returns the repository's persistent index cache, or nil
// when none is configured.
func (r *Repository) persistCacheFor() *persistCache {
	if r.idx.cfg.persistDir == "" || r.idx.cfg.noDisk {
		return nil
	}
	role := persistRoleFull
	if r.writeOnly {
		role = persistRoleWriteOnly
	}
	return newPersistCache(r.idx.cfg.persistDir, r.cacheKey, r.cfg.ID, role)
}

// usePersisted loads the cache file of pc into the empty index when every
// index file it covers is among names (the index files listed at open)
// and it was written with the same view of the packs (the same trusted
// keys and condemned packs, which decide between a blob's places). It
// returns the positions in names of the files the cache does not cover;
// an error means the cache is not used and the index is left empty.
func (x *index) usePersisted(pc *persistCache, names []string) (fresh []int, err error) {
	f, aead, m, err := pc.open()
	if err != nil {
		return nil, err
	}
	s := &diskSegment{aead: aead, f: f, base: persistPrelude, keep: true, n: m.n, per: m.per, packs: len(m.packs), first: m.first, filter: m.filter, hashes: m.hashes}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	pos := make(map[string]int32, len(names))
	for i, n := range names {
		pos[n] = int32(i)
	}
	covered := make([]bool, len(names))
	for _, name := range m.files {
		i, ok := pos[name]
		if !ok {
			return nil, fmt.Errorf("%w: it covers %s, which is gone", errPersistUnusable, name)
		}
		covered[i] = true
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.packs) != 0 || len(x.segs) != 0 {
		return nil, fmt.Errorf("%w: the index is not empty", errPersistUnusable)
	}
	packs := make([]packInfo, len(m.packs))
	for i, p := range m.packs {
		info := packInfo{id: p.id, keyID: p.keyID, size: p.size, blobs: int(p.blobs), file: -1, condemned: x.condemned[p.id]}
		if p.file != noFile {
			info.file = pos[m.files[p.file]]
		}
		if x.packFlags(&info) != p.flags {
			return nil, fmt.Errorf("%w: keys or prune markers changed since it was written", errPersistUnusable)
		}
		packs[i] = info
	}
	byID := make([]int32, len(packs))
	for i := range byID {
		byID[i] = int32(i)
	}
	slices.SortFunc(byID, func(a, b int32) int { return bytes.Compare(packs[a].id[:], packs[b].id[:]) })
	for i := 1; i < len(byID); i++ {
		if packs[byID[i]].id == packs[byID[i-1]].id {
			return nil, fmt.Errorf("%w: a pack listed twice", errPersistUnusable)
		}
	}
	var seg segment
	switch {
	case m.n == 0:
		s.close()
	case m.n*idxEntryMem <= x.cfg.loadedMax():
		// Small enough to hold: read it whole, as a load would.
		e := make([]idxEntry, 0, m.n)
		for ent, err := range s.all {
			if err != nil {
				return nil, err
			}
			e = append(e, ent)
		}
		s.close()
		seg = &memSegment{e: e}
	default:
		if x.cache == nil || len(m.first)*8 > x.cfg.memory/8 {
			return nil, fmt.Errorf("%w: written for a larger memory bound", errPersistUnusable)
		}
		if len(s.filter)*8 > x.cfg.memory/4-x.cache.filterUsed {
			s.filter = nil // correct without it, only slower
		}
		s.c = x.cache
		x.cache.filterUsed += len(s.filter) * 8
		seg = s
	}
	x.packs, x.byID = packs, byID
	x.count, x.raw = m.n, m.raw
	if seg != nil {
		x.segs = append(x.segs, &segInfo{segment: seg, loaded: true})
	}
	for i := range names {
		if !covered[i] {
			fresh = append(fresh, i)
		}
	}
	return fresh, nil
}

// packFlags returns the flags a cache records for a pack.
func (x *index) packFlags(p *packInfo) byte {
	var f byte
	if x.isTrusted(p.keyID) {
		f |= packTrusted
	}
	if p.condemned {
		f |= packCondemned
	}
	return f
}

// persistJob is a cache file to write at open: the cache, the index
// files listed, which of them were read, and whether it was written.
type persistJob struct {
	pc      *persistCache
	names   []string
	read    []bool
	written bool
}

// errPersistWrite wraps an error writing the cache while the places of
// the index files are sorted into it: the open must load them again.
var errPersistWrite = errors.New("writing the local index cache failed")

// persistLoad writes the sorted places of a load beyond the memory bound
// straight to the persistent cache file (x.persistTo), which then serves
// as the index's segment: one pass instead of a temporary cache file and
// a copy. It reports false, with nothing consumed, when there is no job
// or its file cannot be made; an error wraps errPersistWrite. x.mu is
// held.
func (x *index) persistLoad(l *indexLoad) (segment, bool, error) {
	job := x.persistTo
	if job == nil || x.cache == nil {
		return nil, false, nil
	}
	f, err := job.pc.create()
	if err != nil {
		return nil, false, nil
	}
	files, cover := job.covered()
	var metaErr error
	s, err := job.pc.writeTo(f, l.n, len(x.packs), x.cfg.memory, x.resolve(l.sorted(len(x.packs))), func(s *diskSegment) *persistMeta {
		m, err := x.persistMeta(job.pc, s, files, cover)
		metaErr = err
		return m
	})
	if err == nil && metaErr != nil {
		s.close()
		_ = os.Remove(job.pc.path())
		err = metaErr
	}
	if err != nil {
		return nil, true, fmt.Errorf("%w: %w", errPersistWrite, err)
	}
	job.written = true
	s.c = x.cache
	if len(s.filter)*8 > x.cfg.memory/4-x.cache.filterUsed {
		s.filter = nil
	}
	x.cache.filterUsed += len(s.filter) * 8
	return s, true, nil
}

// covered returns the index files read and each listed file's position
// among them (noFile for one not read).
func (j *persistJob) covered() ([]string, []uint32) {
	var files []string
	cover := make([]uint32, len(j.names))
	for i, name := range j.names {
		cover[i] = noFile
		if j.read[i] {
			cover[i] = uint32(len(files))
			files = append(files, name)
		}
	}
	return files, cover
}

// persistMeta returns the meta of a cache file of the index whose blocks
// s holds. x.mu is held.
func (x *index) persistMeta(pc *persistCache, s *diskSegment, files []string, cover []uint32) (*persistMeta, error) {
	m := &persistMeta{repo: pc.repo, role: pc.role, n: s.n, per: s.per, raw: x.raw, files: files, first: s.first, filter: s.filter, hashes: s.hashes}
	if s.n != x.count {
		return m, fmt.Errorf("index cache: %d entries written for %d blobs", s.n, x.count)
	}
	m.packs = make([]persistPack, len(x.packs))
	for i := range x.packs {
		p := &x.packs[i]
		file := noFile
		if p.file >= 0 && int(p.file) < len(cover) {
			file = cover[p.file]
		}
		m.packs[i] = persistPack{id: p.id, keyID: p.keyID, size: p.size, blobs: uint32(p.blobs), file: file, flags: x.packFlags(p)}
	}
	return m, nil
}

// reset empties the index, closing its segments.
func (x *index) reset() {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, s := range x.segs {
		s.close()
	}
	x.segs, x.recent = nil, make(map[BlobHandle]location)
	x.packs, x.packOf, x.byID = nil, make(map[ID]int32), nil
	x.count, x.raw, x.load, x.err, x.persistTo = 0, 0, nil, nil, nil
}

// persist writes the index as the cache file of pc, covering the files
// of names whose flag in read is set. An error is of the cache only: the
// index is unchanged.
func (x *index) persist(pc *persistCache, names []string, read []bool) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.flushRecentLocked()
	files, cover := (&persistJob{names: names, read: read}).covered()
	n := 0
	var seq iter.Seq2[idxEntry, error]
	for i, s := range x.segs {
		n += s.len()
		if i == 0 {
			seq = s.all
		} else {
			seq = mergeNewerSeq(seq, s.all)
		}
	}
	if seq == nil {
		seq = func(func(idxEntry, error) bool) {}
	}
	var metaErr error
	s, err := pc.writeFile(n, len(x.packs), x.cfg.memory, seq, func(s *diskSegment) *persistMeta {
		m, err := x.persistMeta(pc, s, files, cover)
		metaErr = err
		return m
	})
	if err == nil {
		err = s.close()
	}
	if metaErr != nil {
		// Not a cache a reader could use: let the next open rebuild.
		_ = os.Remove(pc.path())
		return metaErr
	}
	return err
}

// loadIndexCached loads the index from the cache of pc and the index
// files it does not cover. It reports false, with the index left empty,
// when the cache is not usable.
func (r *Repository) loadIndexCached(ctx context.Context, pc *persistCache, names []string) (bool, error) {
	fresh, err := r.idx.usePersisted(pc, names)
	if err != nil {
		return false, nil
	}
	pc.touch()
	cached, _ := r.idx.totals()
	read := make([]bool, len(names))
	for i := range read {
		read[i] = true
	}
	var (
		mu      sync.Mutex
		entries int
		files   int
	)
	err = parallel(ctx, len(fresh), runtime.GOMAXPROCS(0), func(ctx context.Context, k int) error {
		i := fresh[k]
		packs, err := r.readIndexFile(ctx, names[i])
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			mu.Lock()
			read[i] = false
			r.warnings = append(r.warnings, fmt.Errorf("index file skipped: %w", err))
			mu.Unlock()
			return nil
		}
		n := 0
		for _, p := range packs {
			r.idx.addFrom(p, int32(i))
			n += len(p.Entries)
		}
		mu.Lock()
		files++
		entries += n
		mu.Unlock()
		return nil
	})
	r.indexFilesRead = len(fresh)
	if err != nil {
		return true, err
	}
	if files > 0 && (cached*idxEntryMem <= r.idx.cfg.loadedMax() || files >= persistRewriteFiles || entries*persistRewriteShare >= cached) {
		_ = r.idx.persist(pc, names, read)
	}
	return true, nil
}
