package repo

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// idxEntry is one blob's place as the index holds it: 52 bytes in memory,
// against about 100 for an entry of a Go map of BlobHandle to location.
type idxEntry struct {
	id  ID
	typ BlobType
	loc location
}

func (e *idxEntry) handle() BlobHandle { return BlobHandle{Type: e.typ, ID: e.id} }

// idxEntryMem is the memory an idxEntry takes in a slice.
const idxEntryMem = 52

// cmpHandle orders blob handles by ID, then type: the order of sorted
// index segments, so that the first bytes of an ID find its block.
func cmpHandle(aID *ID, aT BlobType, bID *ID, bT BlobType) int {
	if c := bytes.Compare(aID[:], bID[:]); c != 0 {
		return c
	}
	return cmp.Compare(aT, bT)
}

func cmpEntry(a, b idxEntry) int { return cmpHandle(&a.id, a.typ, &b.id, b.typ) }

// idxRecordSize is an entry's size in a local index cache file and in the
// sort runs of a load (docs/FORMAT.md §13.2): ID [32] ‖ type [1] ‖ pack
// ordinal, offset, length, raw length (uint32 BE each).
const (
	idxKeySize    = 33
	idxRecordSize = idxKeySize + 16
)

// appendIdxKey appends the sort key of an entry: ID ‖ type.
func appendIdxKey(b []byte, id *ID, t BlobType) []byte {
	return append(append(b, id[:]...), byte(t))
}

// appendIdxValue appends the place of an entry.
func appendIdxValue(b []byte, l location) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(l.pack))
	b = binary.BigEndian.AppendUint32(b, l.offset)
	b = binary.BigEndian.AppendUint32(b, l.length)
	return binary.BigEndian.AppendUint32(b, l.rawLength)
}

func appendIdxRecord(b []byte, e *idxEntry) []byte {
	return appendIdxValue(appendIdxKey(b, &e.id, e.typ), e.loc)
}

// decodeIdxRecord decodes one record; packs is the number of packs the
// index knows, which a record's ordinal must stay below.
func decodeIdxRecord(key, val []byte, packs int) (idxEntry, error) {
	var e idxEntry
	if len(key) != idxKeySize || len(val) != idxRecordSize-idxKeySize {
		return e, fmt.Errorf("%w: index cache record of %d+%d bytes", ErrMalformed, len(key), len(val))
	}
	copy(e.id[:], key[:32])
	e.typ = BlobType(key[32])
	p := binary.BigEndian.Uint32(val)
	if !e.typ.valid() || p > math.MaxInt32 || int64(p) >= int64(packs) {
		return e, fmt.Errorf("%w: index cache record of type %d in pack %d of %d", ErrMalformed, key[32], p, packs)
	}
	e.loc = location{
		pack:      int32(p),
		offset:    binary.BigEndian.Uint32(val[4:]),
		length:    binary.BigEndian.Uint32(val[8:]),
		rawLength: binary.BigEndian.Uint32(val[12:]),
	}
	return e, nil
}

// segment is one sorted, immutable part of the index: at most one place
// per blob.
type segment interface {
	// get returns the place of h in this segment.
	get(h BlobHandle) (location, bool, error)
	// all yields the entries in order; an error ends the sequence.
	all(yield func(idxEntry, error) bool)
	// len is the number of entries.
	len() int
	// memory is the heap the segment holds.
	memory() int
	// close frees the segment (a file of a disk segment).
	close() error
}

// memSegment is a segment held as a sorted slice.
type memSegment struct{ e []idxEntry }

func (s *memSegment) get(h BlobHandle) (location, bool, error) {
	i, ok := slices.BinarySearchFunc(s.e, h, func(e idxEntry, h BlobHandle) int {
		return cmpHandle(&e.id, e.typ, &h.ID, h.Type)
	})
	if !ok {
		return location{}, false, nil
	}
	return s.e[i].loc, true, nil
}

func (s *memSegment) all(yield func(idxEntry, error) bool) {
	for _, e := range s.e {
		if !yield(e, nil) {
			return
		}
	}
}

func (s *memSegment) len() int     { return len(s.e) }
func (s *memSegment) memory() int  { return cap(s.e) * idxEntryMem }
func (s *memSegment) close() error { s.e = nil; return nil }
