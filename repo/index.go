package repo

import (
	"encoding/binary"
	"fmt"
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

// index is the in-memory union of all index files; safe for concurrent use.
type index struct {
	mu     sync.RWMutex
	blobs  map[BlobHandle]location
	packs  []packInfo
	packOf map[ID]int32
	// trusted reports whether a pack's data key is one a full-access
	// writer sealed with (a data key of the keyring), as opposed to a
	// write-only session key (docs/FORMAT.md §17.3). A blob listed in both
	// kinds of pack is read from the trusted one. nil trusts every key.
	trusted func(crypto.KeyID) bool
	// condemned are the packs prune markers condemn, set before loading.
	condemned map[ID]bool
}

func newIndex() *index {
	return &index{blobs: make(map[BlobHandle]location), packOf: make(map[ID]int32)}
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
	pi, ok := x.packOf[p.ID]
	if !ok {
		pi = int32(len(x.packs))
		x.packs = append(x.packs, packInfo{id: p.ID, keyID: p.KeyID, file: file, condemned: x.condemned[p.ID]})
		x.packOf[p.ID] = pi
	}
	info := &x.packs[pi]
	for _, e := range p.Entries {
		old, dup := x.blobs[e.Handle]
		// A blob of a trusted pack replaces one listed in an untrusted
		// pack: a write-only writer's lying entry (§17.3) never hides the
		// copy a full-access writer stored. Among equals, a live pack
		// replaces a condemned one (§19.6).
		if !dup || x.rank(pi) > x.rank(old.pack) {
			x.blobs[e.Handle] = location{pack: pi, offset: e.Offset, length: e.Length, rawLength: e.RawLength}
			info.blobs++
			if dup {
				x.packs[old.pack].blobs--
			}
		}
		info.size = max(info.size, uint64(e.Offset)+uint64(e.Length))
	}
}

func (x *index) has(h BlobHandle) bool {
	x.mu.RLock()
	_, ok := x.blobs[h]
	x.mu.RUnlock()
	return ok
}

// hasTrusted reports whether the blob is listed in a trusted pack.
func (x *index) hasTrusted(h BlobHandle) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	loc, ok := x.blobs[h]
	return ok && x.isTrusted(x.packs[loc.pack].keyID)
}

// live returns the position of the pack holding h when that pack is not
// condemned by a prune marker and, if trustedOnly, is trusted.
func (x *index) live(h BlobHandle, trustedOnly bool) (int32, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	loc, ok := x.blobs[h]
	if !ok || x.packs[loc.pack].condemned || trustedOnly && !x.isTrusted(x.packs[loc.pack].keyID) {
		return 0, false
	}
	return loc.pack, true
}

func (x *index) lookup(h BlobHandle) (location, packInfo, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	loc, ok := x.blobs[h]
	if !ok {
		return location{}, packInfo{}, false
	}
	return loc, x.packs[loc.pack], true
}
