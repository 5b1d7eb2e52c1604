package table

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
)

// Page magics: the first four bytes of a record page (version 1, read
// only, and 2) and of an index page.
const (
	recordPageMagic   = "CRP1"
	recordPageMagicV2 = "CRP2"
	recordPageMagicV3 = "CRP3"
	indexPageMagic    = "CIX1"
)

// Index page kinds.
const (
	indexKindPages byte = 1 // sparse index of record pages
	indexKindDelta byte = 2 // delta index: changed keys since the full
)

// Delta operations.
const (
	opDelete byte = 0
	opPut    byte = 1
)

// Page is a decoded record page: records sorted by key, each in the
// canonical encoding of [AppendRecord] whatever the page's version. Keys
// point into the bytes it was decoded from.
type Page struct {
	keys [][]byte
	recs [][]byte
}

// Len returns the number of records.
func (p *Page) Len() int { return len(p.keys) }

// Key returns the key of the i-th record.
func (p *Page) Key(i int) []byte { return p.keys[i] }

// Record returns the encoded i-th record (see [DecodeRecord]).
func (p *Page) Record(i int) []byte { return p.recs[i] }

// Find returns the position of key, or false.
func (p *Page) Find(key []byte) (int, bool) {
	i := sort.Search(len(p.keys), func(i int) bool { return bytes.Compare(p.keys[i], key) >= 0 })
	return i, i < len(p.keys) && bytes.Equal(p.keys[i], key)
}

// appendPageHeader starts a version-1 record page (tests only: writers
// write version 2).
func appendPageHeader(dst []byte) []byte { return append(dst, recordPageMagic...) }

// appendPageRecord appends one key and encoded record to a version-1
// record page body.
func appendPageRecord(dst, key, rec []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	dst = append(dst, key...)
	dst = binary.AppendUvarint(dst, uint64(len(rec)))
	return append(dst, rec...)
}

// DecodePage parses a record page of version 2 (see [decodePageV2]) or 1:
//
//	"CRP1" || uvarint(count) || count × (uvarint(len(key)) || key || uvarint(len(record)) || record)
//
// with count ≥ 1 and keys strictly ascending. The records of a version-1
// page are checked and brought to the canonical encoding (encrypted values
// raw), so that a record reads the same from pages of either version.
func DecodePage(b []byte) (*Page, error) {
	if len(b) >= 4 && string(b[:4]) == recordPageMagicV2 {
		return decodePageV2(b[4:], nil)
	}
	if len(b) >= 4 && string(b[:4]) == recordPageMagicV3 {
		return decodePageV3(b[4:])
	}
	if len(b) < 4 || string(b[:4]) != recordPageMagic {
		return nil, fmt.Errorf("%w: not a record page", ErrMalformed)
	}
	n, b, err := uvarint(b[4:])
	if err != nil {
		return nil, err
	}
	if n == 0 || n > uint64(len(b))/3 {
		return nil, fmt.Errorf("%w: record page announces %d records in %d bytes", ErrMalformed, n, len(b))
	}
	p := &Page{keys: make([][]byte, n), recs: make([][]byte, n)}
	ends := make([]int, n)
	var buf []byte
	for i := range p.keys {
		if p.keys[i], b, err = lenBytes(b); err != nil {
			return nil, err
		}
		if len(p.keys[i]) == 0 || (i > 0 && bytes.Compare(p.keys[i-1], p.keys[i]) >= 0) {
			return nil, fmt.Errorf("%w: record page keys not ascending at %d", ErrMalformed, i)
		}
		var rec []byte
		if rec, b, err = lenBytes(b); err != nil {
			return nil, err
		}
		r, err := decodeRecord(rec, true)
		if err != nil {
			return nil, err
		}
		buf = AppendRecord(buf, r)
		ends[i] = len(buf)
	}
	return p.setRecords(b, buf, ends)
}

// setRecords points the page's records into buf, cut at ends, once the
// page's bytes are all read (rest is what is left of them).
func (p *Page) setRecords(rest, buf []byte, ends []int) (*Page, error) {
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d stray bytes after a record page", ErrMalformed, len(rest))
	}
	start := 0
	for i, end := range ends {
		p.recs[i] = buf[start:end:end]
		start = end
	}
	return p, nil
}

// PageRef is one entry of a sparse index: a record page, its first key and
// its number of records.
type PageRef struct {
	First   []byte
	Page    ID
	Records uint64
}

// DeltaEntry is one entry of a delta index: a key changed since the full
// snapshot, with the page and position of its newest version, or deleted.
type DeltaEntry struct {
	Key     []byte
	Deleted bool
	Page    ID
	Ordinal uint64
}

func appendIndexHeader(dst []byte, kind byte) []byte {
	return append(append(dst, indexPageMagic...), kind)
}

func appendPageRef(dst []byte, r PageRef) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(r.First)))
	dst = append(dst, r.First...)
	dst = append(dst, r.Page[:]...)
	return binary.AppendUvarint(dst, r.Records)
}

func appendDeltaEntry(dst []byte, e DeltaEntry) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(e.Key)))
	dst = append(dst, e.Key...)
	if e.Deleted {
		return append(dst, opDelete)
	}
	dst = append(dst, opPut)
	dst = append(dst, e.Page[:]...)
	return binary.AppendUvarint(dst, e.Ordinal)
}

// DecodePageIndex parses an index page of kind 1 (sparse index):
//
//	"CIX1" || 0x01 || uvarint(count) || count × (uvarint(len(first)) || first || page ID[32] || uvarint(records))
func DecodePageIndex(b []byte) ([]PageRef, error) {
	n, b, err := indexHeader(b, indexKindPages, 35)
	if err != nil {
		return nil, err
	}
	out := make([]PageRef, n)
	for i := range out {
		r := &out[i]
		if r.First, b, err = lenBytes(b); err != nil {
			return nil, err
		}
		if len(r.First) == 0 || (i > 0 && bytes.Compare(out[i-1].First, r.First) >= 0) {
			return nil, fmt.Errorf("%w: index keys not ascending at %d", ErrMalformed, i)
		}
		if len(b) < 32 {
			return nil, fmt.Errorf("%w: truncated index entry", ErrMalformed)
		}
		copy(r.Page[:], b)
		if r.Records, b, err = uvarint(b[32:]); err != nil {
			return nil, err
		}
		if r.Records == 0 {
			return nil, fmt.Errorf("%w: index entry of an empty page", ErrMalformed)
		}
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d stray bytes after an index page", ErrMalformed, len(b))
	}
	return out, nil
}

// DecodeDeltaIndex parses an index page of kind 2 (delta index):
//
//	"CIX1" || 0x02 || uvarint(count) || count × (uvarint(len(key)) || key || 0x00)
//	                                  or        (uvarint(len(key)) || key || 0x01 || page ID[32] || uvarint(ordinal))
func DecodeDeltaIndex(b []byte) ([]DeltaEntry, error) {
	n, b, err := indexHeader(b, indexKindDelta, 3)
	if err != nil {
		return nil, err
	}
	out := make([]DeltaEntry, n)
	for i := range out {
		e := &out[i]
		if e.Key, b, err = lenBytes(b); err != nil {
			return nil, err
		}
		if len(e.Key) == 0 || (i > 0 && bytes.Compare(out[i-1].Key, e.Key) >= 0) {
			return nil, fmt.Errorf("%w: delta keys not ascending at %d", ErrMalformed, i)
		}
		if len(b) < 1 {
			return nil, fmt.Errorf("%w: truncated delta entry", ErrMalformed)
		}
		switch op := b[0]; op {
		case opDelete:
			e.Deleted = true
			b = b[1:]
		case opPut:
			if len(b) < 33 {
				return nil, fmt.Errorf("%w: truncated delta entry", ErrMalformed)
			}
			copy(e.Page[:], b[1:33])
			if e.Ordinal, b, err = uvarint(b[33:]); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%w: delta operation %d", ErrMalformed, op)
		}
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d stray bytes after a delta page", ErrMalformed, len(b))
	}
	return out, nil
}

// indexHeader checks an index page's magic and kind and returns its entry
// count, bounded by the bytes left (each entry takes at least minEntry).
func indexHeader(b []byte, kind byte, minEntry int) (uint64, []byte, error) {
	if len(b) < 5 || string(b[:4]) != indexPageMagic {
		return 0, nil, fmt.Errorf("%w: not an index page", ErrMalformed)
	}
	if b[4] != kind {
		return 0, nil, fmt.Errorf("%w: index page of kind %d, want %d", ErrMalformed, b[4], kind)
	}
	n, b, err := uvarint(b[5:])
	if err != nil {
		return 0, nil, err
	}
	if n == 0 || n > uint64(len(b)/minEntry) {
		return 0, nil, fmt.Errorf("%w: index page announces %d entries in %d bytes", ErrMalformed, n, len(b))
	}
	return n, b, nil
}
