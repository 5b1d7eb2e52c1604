package repo

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/bits"
	"os"
	"runtime"
	"sort"
	"sync"
)

// indexCache writes the index segments that do not fit in the memory
// bound to files in a local folder (docs/FORMAT.md §13.2). Each file is a
// sequence of blocks of sorted records, each block sealed with AES-256-GCM
// under a key drawn at random when the index is made and never stored:
// the files are readable only by this process, and a file changed under
// it fails to open instead of giving a wrong place. On Unix a file is
// unlinked as soon as it is created, so nothing is left behind by a crash;
// elsewhere it is removed when the index is closed or collected.
// Kept in memory per file: the first eight ID bytes of each block's first
// record (the sparse index) and a Bloom filter.
type indexCache struct {
	dir    string
	memory int
	aead   cipher.AEAD
	seq    uint32 // files made, the first part of each block's nonce
	// filterUsed is the memory of the filters of the live files, at most
	// memory/4. Guarded by the index's lock.
	filterUsed int
}

// newIndexCache returns a cache writing to dir (os.TempDir() if empty)
// with a fresh key. It creates no file until a segment is written.
func newIndexCache(dir string, memory int) *indexCache {
	var key [32]byte
	_, _ = rand.Read(key[:]) // never fails (crypto/rand)
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err) // a 32-byte key is always accepted
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	if dir == "" {
		dir = os.TempDir()
	}
	return &indexCache{dir: dir, memory: memory, aead: aead}
}

// Bloom filter sizing: bits per entry wanted, and the share of the bound
// all filters may take.
const filterBitsPerEntry = 10

// blockRecords is how many records a block of a file of n records holds:
// 16 (784 bytes, a lookup 2.5× faster than with 64), or more so that the
// sparse index stays within memory/16.
func blockRecords(n, memory int) int {
	return max(16, (n*8*16+memory-1)/max(memory, 1))
}

// write makes a file of the sorted entries of seq (at most n of them, in
// an index of packs packs).
func (c *indexCache) write(n, packs int, seq iter.Seq2[idxEntry, error]) (_ segment, err error) {
	f, err := os.CreateTemp(c.dir, "custodia-index-*")
	if err != nil {
		return nil, fmt.Errorf("index cache: %w", err)
	}
	c.seq++
	per := blockRecords(n, c.memory)
	s := &diskSegment{c: c, aead: c.aead, f: f, per: per, seq: c.seq, packs: packs, first: make([]uint64, 0, (n+per-1)/per)}
	// Unlink at once where the system allows it; else when the segment is
	// closed or collected.
	s.unlinked = os.Remove(f.Name()) == nil
	if !s.unlinked {
		runtime.AddCleanup(s, func(f *os.File) {
			f.Close()
			os.Remove(f.Name())
		}, f)
	}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	s.sizeFilter(n, c.memory/4-c.filterUsed)
	w := bufio.NewWriterSize(f, 256<<10)
	if err := s.fill(w, n, seq); err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("index cache: %w", err)
	}
	return s, nil
}

// fill writes the sorted entries of seq (at most n) to w as sealed blocks
// of s.per records, filling the sparse index and the filter.
func (s *diskSegment) fill(w io.Writer, n int, seq iter.Seq2[idxEntry, error]) error {
	per := s.per
	plain := make([]byte, 0, per*idxRecordSize)
	sealed := make([]byte, 0, per*idxRecordSize+s.aead.Overhead())
	flush := func() error {
		sealed = s.aead.Seal(sealed[:0], s.nonce(len(s.first)-1), plain, nil)
		plain = plain[:0]
		_, err := w.Write(sealed)
		return err
	}
	for e, err := range seq {
		if err != nil {
			return err
		}
		if s.n >= n {
			return fmt.Errorf("index cache: more than the %d entries announced", n)
		}
		if len(plain) == 0 {
			s.first = append(s.first, binary.BigEndian.Uint64(e.id[:8]))
		}
		plain = appendIdxRecord(plain, &e)
		s.filterAdd(e.id, e.typ)
		s.n++
		if len(plain) == per*idxRecordSize {
			if err := flush(); err != nil {
				return fmt.Errorf("index cache: %w", err)
			}
		}
	}
	if len(plain) > 0 {
		if err := flush(); err != nil {
			return fmt.Errorf("index cache: %w", err)
		}
	}
	return nil
}

// diskSegment is a segment in a cache file.
type diskSegment struct {
	c    *indexCache
	aead cipher.AEAD
	f    *os.File
	// base is the offset of block 0; keep is set for a file of the
	// persistent cache (index_persist.go), which close leaves in place.
	base     int64
	keep     bool
	unlinked bool
	n, per   int
	seq      uint32
	packs    int      // ordinals of records are below it
	first    []uint64 // first eight ID bytes of each block's first record
	filter   []uint64 // Bloom filter bits; nil when there was no room
	hashes   int
	bufs     sync.Pool
}

func (s *diskSegment) nonce(block int) []byte {
	var n [12]byte
	binary.BigEndian.PutUint32(n[:4], s.seq)
	binary.BigEndian.PutUint64(n[4:], uint64(block))
	return n[:]
}

func (s *diskSegment) blockSize() int { return s.per*idxRecordSize + s.aead.Overhead() }

// sizeFilter gives the file a filter of 10 bits per entry, less when room
// (bytes, the filters' share of the bound not yet used) is short, none
// under one bit per entry.
func (s *diskSegment) sizeFilter(n, room int) {
	words := min(n*filterBitsPerEntry, room*8) / 64
	if words <= 0 || words*64 < n {
		return
	}
	s.filter = make([]uint64, words)
	if s.c != nil {
		s.c.filterUsed += words * 8
	}
	s.hashes = filterHashes(words, n)
}

// filterHashes is the number of hashes of a filter of words words for n
// entries: ln 2 × bits per entry, 1 to 8.
func filterHashes(words, n int) int {
	return min(8, max(1, (words*64*693/1000+n/2)/max(n, 1)))
}

// filterBits returns the two hashes of a handle; IDs are keyed hashes, so
// their bytes serve.
func filterBits(id *ID, t BlobType) (uint64, uint64) {
	return binary.LittleEndian.Uint64(id[8:16]) ^ uint64(t), binary.LittleEndian.Uint64(id[16:24]) | 1
}

func (s *diskSegment) filterAdd(id ID, t BlobType) {
	if s.filter == nil {
		return
	}
	h1, h2 := filterBits(&id, t)
	m := uint64(len(s.filter) * 64)
	for i := range s.hashes {
		b, _ := bits.Mul64(h1+uint64(i)*h2, m)
		s.filter[b/64] |= 1 << (b % 64)
	}
}

func (s *diskSegment) filterHas(id *ID, t BlobType) bool {
	if s.filter == nil {
		return true
	}
	h1, h2 := filterBits(id, t)
	m := uint64(len(s.filter) * 64)
	for i := range s.hashes {
		b, _ := bits.Mul64(h1+uint64(i)*h2, m)
		if s.filter[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}

// readBlock reads and opens block b into buf.
func (s *diskSegment) readBlock(b int, buf []byte) ([]byte, error) {
	size := s.blockSize()
	if b == len(s.first)-1 {
		size = (s.n-b*s.per)*idxRecordSize + s.aead.Overhead()
	}
	buf = buf[:size]
	if _, err := s.f.ReadAt(buf, s.base+int64(b)*int64(s.blockSize())); err != nil {
		return nil, fmt.Errorf("index cache: %w", err)
	}
	plain, err := s.aead.Open(buf[:0], s.nonce(b), buf, nil)
	if err != nil || len(plain)%idxRecordSize != 0 {
		if s.keep {
			// A persistent cache file changed after it was opened: the
			// next open rebuilds it.
			os.Remove(s.f.Name())
		}
		return nil, fmt.Errorf("%w: index cache block %d does not authenticate (the local cache file was changed)", ErrMalformed, b)
	}
	return plain, nil
}

func (s *diskSegment) getBuf() *[]byte {
	if p, ok := s.bufs.Get().(*[]byte); ok {
		return p
	}
	b := make([]byte, s.blockSize())
	return &b
}

func (s *diskSegment) get(h BlobHandle) (location, bool, error) {
	if s.f == nil || !s.filterHas(&h.ID, h.Type) {
		return location{}, false, nil
	}
	p := binary.BigEndian.Uint64(h.ID[:8])
	hi := sort.Search(len(s.first), func(i int) bool { return s.first[i] > p })
	if hi == 0 {
		return location{}, false, nil
	}
	// Blocks whose first record has the same eight bytes may be preceded
	// by one holding more of them.
	lo := max(0, sort.Search(len(s.first), func(i int) bool { return s.first[i] >= p })-1)
	var key [idxKeySize]byte
	appendIdxKey(key[:0], &h.ID, h.Type)
	bp := s.getBuf()
	defer s.bufs.Put(bp)
	for b := hi - 1; b >= lo; b-- {
		plain, err := s.readBlock(b, *bp)
		if err != nil {
			return location{}, false, err
		}
		m := len(plain) / idxRecordSize
		i := sort.Search(m, func(i int) bool {
			return bytes.Compare(plain[i*idxRecordSize:i*idxRecordSize+idxKeySize], key[:]) >= 0
		})
		if i < m && bytes.Equal(plain[i*idxRecordSize:i*idxRecordSize+idxKeySize], key[:]) {
			r := plain[i*idxRecordSize:]
			e, err := decodeIdxRecord(r[:idxKeySize], r[idxKeySize:idxRecordSize], s.packs)
			return e.loc, err == nil, err
		}
	}
	return location{}, false, nil
}

func (s *diskSegment) all(yield func(idxEntry, error) bool) {
	buf := make([]byte, s.blockSize())
	for b := range s.first {
		plain, err := s.readBlock(b, buf)
		if err != nil {
			yield(idxEntry{}, err)
			return
		}
		for r := plain; len(r) > 0; r = r[idxRecordSize:] {
			e, err := decodeIdxRecord(r[:idxKeySize], r[idxKeySize:idxRecordSize], s.packs)
			if !yield(e, err) || err != nil {
				return
			}
		}
	}
}

func (s *diskSegment) len() int    { return s.n }
func (s *diskSegment) memory() int { return len(s.first)*8 + len(s.filter)*8 }

func (s *diskSegment) close() error {
	if s.f == nil {
		return nil
	}
	if s.c != nil {
		s.c.filterUsed -= len(s.filter) * 8
	}
	s.filter, s.first = nil, nil
	err := s.f.Close()
	if !s.unlinked && !s.keep {
		if rerr := os.Remove(s.f.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	s.f = nil
	return err
}
