package repo

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/custodia-backup/custodia/crypto"
)

// The meta of a persistent index cache file (docs/FORMAT.md §13.3): what
// it covers, its pack table, sparse index and Bloom filter.

// persistMeta is the sealed part of a cache file after its blocks.
type persistMeta struct {
	repo   ID
	role   byte
	n      int // entries (blobs), one per handle
	per    int // records per block
	raw    uint64
	files  []string // index files covered
	packs  []persistPack
	first  []uint64 // sparse index: first eight ID bytes of each block
	filter []uint64 // Bloom filter; empty for none
	hashes int
}

// persistPack is a pack of the table, in the order of pack ordinals.
type persistPack struct {
	id    ID
	keyID crypto.KeyID
	size  uint64
	blobs uint32
	file  uint32 // position in files, or noFile
	flags byte   // packTrusted | packCondemned when the cache was written
}

const (
	noFile        = ^uint32(0)
	packTrusted   = 1
	packCondemned = 2
	// persistPackSize is a pack's size in the meta.
	persistPackSize = 32 + 16 + 8 + 4 + 4 + 1
)

func (m *persistMeta) encode() []byte {
	size := 32 + 1 + 8 + 4 + 8 + 4 + 4 + len(m.packs)*persistPackSize + 4 + 8*len(m.first) + 4 + 1 + 8*len(m.filter)
	for _, f := range m.files {
		size += 2 + len(f)
	}
	b := make([]byte, 0, size)
	b = append(b, m.repo[:]...)
	b = append(b, m.role)
	b = binary.BigEndian.AppendUint64(b, uint64(m.n))
	b = binary.BigEndian.AppendUint32(b, uint32(m.per))
	b = binary.BigEndian.AppendUint64(b, m.raw)
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.files)))
	for _, f := range m.files {
		b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
		b = append(b, f...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.packs)))
	for _, p := range m.packs {
		b = append(b, p.id[:]...)
		b = append(b, p.keyID[:]...)
		b = binary.BigEndian.AppendUint64(b, p.size)
		b = binary.BigEndian.AppendUint32(b, p.blobs)
		b = binary.BigEndian.AppendUint32(b, p.file)
		b = append(b, p.flags)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.first)))
	for _, f := range m.first {
		b = binary.BigEndian.AppendUint64(b, f)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.filter)))
	b = append(b, byte(m.hashes))
	for _, w := range m.filter {
		b = binary.BigEndian.AppendUint64(b, w)
	}
	return b
}

// metaReader reads the fields of a meta, remembering the first error.
type metaReader struct {
	b   []byte
	err error
}

func (r *metaReader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		if r.err == nil {
			r.err = fmt.Errorf("%w: cache meta truncated", errPersistUnusable)
		}
		return make([]byte, max(n, 0))
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *metaReader) u8() byte    { return r.take(1)[0] }
func (r *metaReader) u16() int    { return int(binary.BigEndian.Uint16(r.take(2))) }
func (r *metaReader) u32() uint32 { return binary.BigEndian.Uint32(r.take(4)) }
func (r *metaReader) u64() uint64 { return binary.BigEndian.Uint64(r.take(8)) }

// count reads a u32 count of items of at least size bytes each, refusing
// one the remaining bytes cannot hold.
func (r *metaReader) count(size int) int {
	n := r.u32()
	if r.err == nil && uint64(n)*uint64(size) > uint64(len(r.b)) {
		r.err = fmt.Errorf("%w: cache meta announces %d items in %d bytes", errPersistUnusable, n, len(r.b))
		return 0
	}
	return int(n)
}

// decodePersistMeta decodes and checks a meta. It never trusts a count
// beyond the bytes given.
func decodePersistMeta(b []byte) (*persistMeta, error) {
	r := &metaReader{b: b}
	m := &persistMeta{}
	copy(m.repo[:], r.take(32))
	m.role = r.u8()
	n := r.u64()
	m.per = int(r.u32())
	m.raw = r.u64()
	if r.err == nil && (n > 1<<40 || m.per < 1 || m.per > 1<<24) {
		return nil, fmt.Errorf("%w: cache meta of %d entries in blocks of %d", errPersistUnusable, n, m.per)
	}
	m.n = int(n)
	m.files = make([]string, r.count(2))
	for i := range m.files {
		f := string(r.take(r.u16()))
		if r.err == nil && !strings.HasPrefix(f, indexPrefix) {
			return nil, fmt.Errorf("%w: cache covers %q, not an index file", errPersistUnusable, f)
		}
		m.files[i] = f
	}
	m.packs = make([]persistPack, r.count(persistPackSize))
	var blobs uint64
	for i := range m.packs {
		p := &m.packs[i]
		copy(p.id[:], r.take(32))
		copy(p.keyID[:], r.take(16))
		p.size = r.u64()
		p.blobs = r.u32()
		p.file = r.u32()
		p.flags = r.u8()
		blobs += uint64(p.blobs)
		if r.err == nil && (p.flags > packTrusted|packCondemned || p.file != noFile && int64(p.file) >= int64(len(m.files))) {
			return nil, fmt.Errorf("%w: cache pack %d of file %d, flags %d", errPersistUnusable, i, p.file, p.flags)
		}
	}
	m.first = make([]uint64, r.count(8))
	for i := range m.first {
		m.first[i] = r.u64()
	}
	m.filter = make([]uint64, r.count(8))
	m.hashes = int(r.u8())
	for i := range m.filter {
		m.filter[i] = r.u64()
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d stray bytes after the cache meta", errPersistUnusable, len(r.b))
	}
	if blocks := (m.n + m.per - 1) / m.per; len(m.first) != blocks || blobs != n {
		return nil, fmt.Errorf("%w: cache of %d entries with %d blocks and %d pack blobs", errPersistUnusable, m.n, len(m.first), blobs)
	}
	if len(m.filter) > 0 && (m.hashes < 1 || m.hashes > 8) {
		return nil, fmt.Errorf("%w: cache filter of %d hashes", errPersistUnusable, m.hashes)
	}
	if len(m.filter) == 0 {
		m.filter = nil
	}
	return m, nil
}

// blocksSize is the size of a file's blocks of m.n records.
func (m *persistMeta) blocksSize(overhead int) int64 {
	full := m.n / m.per
	size := int64(full) * int64(m.per*idxRecordSize+overhead)
	if rest := m.n - full*m.per; rest > 0 {
		size += int64(rest*idxRecordSize + overhead)
	}
	return size
}
