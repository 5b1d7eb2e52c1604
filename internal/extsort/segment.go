package extsort

import (
	"bytes"
	"cmp"
	"slices"
)

// entryOverhead is the memory an entry costs besides its bytes.
const entryOverhead = 24

// chunkSize is the largest size of a segment's chunks.
const chunkSize = 1 << 20

// segment is part of the sort buffer: pairs in chunks that are never
// moved, and one entry per pair, in the order the pairs were added until
// the segment is sorted.
type segment struct {
	chunks  [][]byte
	entries []entry
	used    int // bytes of pairs
}

type entry struct {
	chunk, off int32
	klen, vlen int32
}

// size is what the segment counts against the memory limit.
func (g *segment) size() int { return g.used + entryOverhead*len(g.entries) }

func (g *segment) key(e entry) []byte { return g.chunks[e.chunk][e.off : e.off+e.klen] }

func (g *segment) value(e entry) []byte {
	return g.chunks[e.chunk][e.off+e.klen : e.off+e.klen+e.vlen]
}

// add copies one pair into the segment; newChunk returns an empty chunk
// of at least n bytes.
func (g *segment) add(key, value []byte, newChunk func(n int) []byte) {
	n := len(key) + len(value)
	last := len(g.chunks) - 1
	if last < 0 || len(g.chunks[last])+n > cap(g.chunks[last]) {
		g.chunks = append(g.chunks, newChunk(n))
		last++
	}
	c := g.chunks[last]
	off := len(c)
	c = append(append(c, key...), value...)
	g.chunks[last] = c
	g.used += n
	g.entries = append(g.entries, entry{chunk: int32(last), off: int32(off), klen: int32(len(key)), vlen: int32(len(value))})
}

// sort orders the segment by key, pairs of equal keys in the order they
// were added: the entries are in that order, which is that of their place
// in the chunks, so an unstable sort ordered by key and then place gives
// the stable order, without the stable sort's rotations (which moved
// entries O(n log² n) times).
func (g *segment) sort() {
	slices.SortFunc(g.entries, func(a, b entry) int {
		if c := bytes.Compare(g.key(a), g.key(b)); c != 0 {
			return c
		}
		if a.chunk != b.chunk {
			return cmp.Compare(a.chunk, b.chunk)
		}
		return cmp.Compare(a.off, b.off)
	})
}
