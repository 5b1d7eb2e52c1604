package repo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/custodia-backup/custodia/crypto"
)

// An index file (storage name "index/<hex id>") is a sealed envelope of kind
// "CIDX" under the index key whose payload is:
//
//	count uint32 BE  number of packs
//	count × pack:
//	  packID [32]byte
//	  keyID  [16]byte  data key of the pack's blobs
//	  n      uint32 BE
//	  n × entry (as in the pack trailer: type | id | offset | length | rawLength)
//
// Index files are written once and never changed. The in-memory index is the
// union of all of them.

// maxIndexPayload bounds a decoded index file (about 20 million entries).
const maxIndexPayload = 1 << 30

// IndexPack is one pack's part of an index file.
type IndexPack struct {
	ID      ID
	KeyID   crypto.KeyID
	Entries []PackEntry
}

func encodeIndexFile(packs []IndexPack) []byte {
	n := 4
	for _, p := range packs {
		n += 32 + 16 + 4 + len(p.Entries)*packEntrySize
	}
	b := make([]byte, 0, n)
	b = binary.BigEndian.AppendUint32(b, uint32(len(packs)))
	for _, p := range packs {
		b = append(b, p.ID[:]...)
		b = append(b, p.KeyID[:]...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(p.Entries)))
		b = appendPackEntries(b, p.Entries)
	}
	return b
}

func decodeIndexFile(b []byte) ([]IndexPack, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: index file of %d bytes", ErrMalformed, len(b))
	}
	count := binary.BigEndian.Uint32(b)
	b = b[4:]
	if uint64(count)*52 > uint64(len(b)) {
		return nil, fmt.Errorf("%w: index announces %d packs in %d bytes", ErrMalformed, count, len(b))
	}
	packs := make([]IndexPack, count)
	for i := range packs {
		if len(b) < 52 {
			return nil, fmt.Errorf("%w: index truncated", ErrMalformed)
		}
		p := &packs[i]
		copy(p.ID[:], b[:32])
		copy(p.KeyID[:], b[32:48])
		n := binary.BigEndian.Uint32(b[48:52])
		var err error
		p.Entries, b, err = decodePackEntries(b[52:], int(min(n, 1<<30)), maxPackSize)
		if err != nil {
			return nil, err
		}
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d stray bytes after index", ErrMalformed, len(b))
	}
	return packs, nil
}

// location is where a blob lives.
type location struct {
	pack      int32 // position in index.packs
	offset    uint32
	length    uint32
	rawLength uint32
}

type packInfo struct {
	id    ID
	keyID crypto.KeyID
	// size is the end of the last blob known in the pack (the blob area).
	size uint64
	// blobs counts the pack's blobs.
	blobs int
	// file is the position of the index file that first named the pack
	// in the list loaded at open, or -1.
	file int32
	// condemned is set when a prune marker condemns the pack: writers do
	// not deduplicate against it (docs/FORMAT.md §19.6).
	condemned bool
}

// index is the union of all index files and of the packs this session
// wrote; safe for concurrent use.
//
// Its blobs are held in sorted segments (index_entry.go), newest last,
// and the places added since the last flush in a small map (recent). A
// blob listed in several packs has one place: the first one added, unless
// a later pack ranks higher (rank). The segment built at open resolves
// this among the places it was given; a later place is added to recent
// only when it ranks higher than the place the index gives, so the newest
// place found is the blob's place.
//
// Memory is bounded by cfg.memory, not by the number of blobs, when a
// local cache folder is usable: segments that do not fit are written to
// it (index_cache.go).
type index struct {
	mu     sync.RWMutex
	segs   []*segInfo
	recent map[BlobHandle]location
	packs  []packInfo
	// packOf finds packs by ID: those added since open; the packs loaded
	// at open are found through byID, their positions sorted by ID (4
	// bytes a pack instead of about 65 in a map).
	packOf map[ID]int32
	byID   []int32
	// count and raw are the number of blobs and their plaintext bytes.
	count int
	raw   uint64
	// trusted reports whether a pack's data key is one a full-access
	// writer sealed with (a data key of the keyring), as opposed to a
	// write-only session key (docs/FORMAT.md §17.3). A blob listed in both
	// kinds of pack is read from the trusted one. nil trusts every key.
	trusted func(crypto.KeyID) bool
	// condemned are the packs prune markers condemn, set before loading.
	condemned map[ID]bool

	cfg indexConfig
	// load gathers the entries of the index files read at open.
	load *indexLoad
	// cache writes the segments that do not fit in memory; nil keeps
	// everything in memory.
	cache *indexCache
	// err is the first error met reading the cache, returned by Flush.
	err error
	// persistTo, set while the index files are loaded, is the persistent
	// cache that finishLoad writes the spilled places to directly
	// (index_persist_load.go).
	persistTo *persistJob
}

// segInfo is a segment and whether it holds places loaded at open.
type segInfo struct {
	segment
	loaded bool
}

func newIndex() *index {
	x := &index{recent: make(map[BlobHandle]location), packOf: make(map[ID]int32)}
	x.configure(nil)
	return x
}

// configure sets the memory bound and the cache folder; the index is
// empty.
func (x *index) configure(opts []func(*indexConfig)) {
	c := defaultIndexConfig()
	for _, o := range opts {
		o(&c)
	}
	x.cfg, x.cache = c, nil
	if !c.noDisk {
		x.cache = newIndexCache(c.dir, c.memory)
	}
}

// isTrusted reports whether the blobs of packs sealed under id are trusted.
func (x *index) isTrusted(id crypto.KeyID) bool { return x.trusted == nil || x.trusted(id) }

func (x *index) add(p IndexPack) { x.addFrom(p, -1) }

// rank orders the places of a blob listed in several packs: a trusted
// pack first, then one no prune marker condemns.
func (x *index) rank(pi int32) int {
	r := 0
	if x.isTrusted(x.packs[pi].keyID) {
		r += 2
	}
	if !x.packs[pi].condemned {
		r++
	}
	return r
}

// addFrom adds a pack named by the index file at position file. A blob
// listed in several packs keeps its first place, unless this pack ranks
// higher (rank).
func (x *index) addFrom(p IndexPack, file int32) {
	x.mu.Lock()
	defer x.mu.Unlock()
	pi, ok := x.findPack(p.ID)
	if !ok {
		pi = int32(len(x.packs))
		x.packs = append(x.packs, packInfo{id: p.ID, keyID: p.KeyID, file: file, condemned: x.condemned[p.ID]})
		x.packOf[p.ID] = pi
	}
	info := &x.packs[pi]
	for _, e := range p.Entries {
		info.size = max(info.size, uint64(e.Offset)+uint64(e.Length))
	}
	if x.load != nil {
		x.load.add(x, pi, p.Entries)
		return
	}
	for _, e := range p.Entries {
		old, dup, err := x.getLocked(e.Handle)
		if err != nil {
			x.setErr(err)
		}
		// A blob of a trusted pack replaces one listed in an untrusted
		// pack: a write-only writer's lying entry (§17.3) never hides the
		// copy a full-access writer stored. Among equals, a live pack
		// replaces a condemned one (§19.6).
		if !dup || x.rank(pi) > x.rank(old.pack) {
			x.recent[e.Handle] = location{pack: pi, offset: e.Offset, length: e.Length, rawLength: e.RawLength}
			info.blobs++
			x.raw += uint64(e.RawLength)
			if dup {
				x.packs[old.pack].blobs--
				x.raw -= uint64(old.rawLength)
			} else {
				x.count++
			}
		}
	}
	if len(x.recent) >= x.cfg.recentMax() {
		x.flushRecentLocked()
	}
}

// findPack returns the position of the pack id. x.mu is held.
func (x *index) findPack(id ID) (int32, bool) {
	if pi, ok := x.packOf[id]; ok {
		return pi, true
	}
	i, ok := slices.BinarySearchFunc(x.byID, id, func(pi int32, id ID) int {
		return bytes.Compare(x.packs[pi].id[:], id[:])
	})
	if !ok {
		return 0, false
	}
	return x.byID[i], true
}

// indexPacksByID moves the packs of packOf to byID. x.mu is held.
func (x *index) indexPacksByID() {
	for _, pi := range x.packOf {
		x.byID = append(x.byID, pi)
	}
	slices.SortFunc(x.byID, func(a, b int32) int { return bytes.Compare(x.packs[a].id[:], x.packs[b].id[:]) })
	x.byID = slices.Clip(x.byID)
	x.packOf = make(map[ID]int32)
}

// setErr keeps the first error met reading the cache. x.mu is held.
func (x *index) setErr(err error) {
	if x.err == nil {
		x.err = err
	}
}

// getLocked returns the place of h: the newest place found. x.mu is held.
func (x *index) getLocked(h BlobHandle) (location, bool, error) {
	if loc, ok := x.recent[h]; ok {
		return loc, true, nil
	}
	for i := len(x.segs) - 1; i >= 0; i-- {
		loc, ok, err := x.segs[i].get(h)
		if ok || err != nil {
			return loc, ok, err
		}
	}
	return location{}, false, nil
}

// get is getLocked for callers not holding x.mu. A cache read error is
// kept (Flush returns it) and reported as not found.
func (x *index) get(h BlobHandle) (location, bool) {
	x.mu.RLock()
	loc, ok, err := x.getLocked(h)
	x.mu.RUnlock()
	if err != nil {
		x.mu.Lock()
		x.setErr(err)
		x.mu.Unlock()
		return location{}, false
	}
	return loc, ok
}

func (x *index) has(h BlobHandle) bool {
	_, ok := x.get(h)
	return ok
}

// hasTrusted reports whether the blob is listed in a trusted pack.
func (x *index) hasTrusted(h BlobHandle) bool {
	loc, ok := x.get(h)
	return ok && x.isTrusted(x.pack(loc.pack).keyID)
}

// pack returns the pack at position pi.
func (x *index) pack(pi int32) packInfo {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.packs[pi]
}

// live returns the position of the pack holding h when that pack is not
// condemned by a prune marker and, if trustedOnly, is trusted.
func (x *index) live(h BlobHandle, trustedOnly bool) (int32, bool) {
	loc, ok := x.get(h)
	if !ok {
		return 0, false
	}
	p := x.pack(loc.pack)
	if p.condemned || trustedOnly && !x.isTrusted(p.keyID) {
		return 0, false
	}
	return loc.pack, true
}

func (x *index) lookup(h BlobHandle) (location, packInfo, bool) {
	loc, p, ok, _ := x.lookupErr(h)
	return loc, p, ok
}

// lookupErr is lookup that returns an error reading the cache.
// The error is also kept, as get keeps it, for Flush and Check to report.
func (x *index) lookupErr(h BlobHandle) (location, packInfo, bool, error) {
	x.mu.RLock()
	loc, ok, err := x.getLocked(h)
	var p packInfo
	if ok && err == nil {
		p = x.packs[loc.pack]
	}
	x.mu.RUnlock()
	if err != nil {
		x.mu.Lock()
		x.setErr(err)
		x.mu.Unlock()
		return location{}, packInfo{}, false, err
	}
	if !ok {
		return location{}, packInfo{}, false, nil
	}
	return loc, p, true, nil
}

// totals returns the number of blobs and their plaintext bytes.
func (x *index) totals() (blobs int, raw uint64) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.count, x.raw
}

// packList returns a copy of the packs.
func (x *index) packList() []packInfo {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return slices.Clone(x.packs)
}

// failed returns the first error met reading the cache.
func (x *index) failed() error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.err
}

// close frees the index's segments and removes its cache files.
func (x *index) close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	var errs []error
	for _, s := range x.segs {
		errs = append(errs, s.close())
	}
	x.segs, x.recent = nil, make(map[BlobHandle]location)
	return errors.Join(errs...)
}
