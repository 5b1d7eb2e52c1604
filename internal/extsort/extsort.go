// Package extsort sorts key/value pairs that may not fit in memory: pairs
// are gathered in a buffer of bounded size, sorted, spilled to temporary run
// files when the buffer is full, and merged back in key order. Memory is
// bounded by the configured limit (plus one read buffer per run), never by
// the number of pairs.
package extsort

import (
	"bufio"
	"bytes"
	"cmp"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
)

// DefaultMemory is the buffer size used when none is given (64 MiB).
const DefaultMemory = 64 << 20

// maxFanIn is the most run files merged at once; beyond it, runs are first
// merged into one.
const maxFanIn = 64

// Read buffers of the runs during a merge: together a quarter of the
// memory limit, each between minRunBuffer and maxRunBuffer.
const (
	minRunBuffer = 16 << 10
	maxRunBuffer = 1 << 20
)

// entryOverhead is the memory an entry costs besides its bytes.
const entryOverhead = 24

// Sorter sorts key/value pairs by key (bytes.Compare); pairs with equal keys
// keep the order in which they were added. It is not safe for concurrent
// use. Close it to remove its temporary files.
type Sorter struct {
	dir   string
	limit int

	chunks  [][]byte // the pairs' bytes, in chunks that are never moved
	used    int      // bytes in chunks
	entries []entry
	runs    []string
	sorted  bool
	err     error
}

type entry struct {
	chunk, off int32
	klen, vlen int32
}

// chunkSize is the size of the buffer's chunks.
const chunkSize = 1 << 20

// New returns a sorter that keeps at most memory bytes of pairs in memory
// (DefaultMemory if memory ≤ 0) and spills to temporary files in dir
// (os.TempDir() if empty). Once pairs were spilled, Sorted spills the rest
// too and frees the buffer, so that the merge needs only the runs' read
// buffers (a quarter of memory at most, beyond 16 KiB per run): what the
// sorter holds does not depend on how many pairs were added.
func New(dir string, memory int) *Sorter {
	if memory <= 0 {
		memory = DefaultMemory
	}
	return &Sorter{dir: dir, limit: memory}
}

// Add copies one pair into the sorter.
func (s *Sorter) Add(key, value []byte) error {
	if s.err != nil {
		return s.err
	}
	if s.sorted {
		return errors.New("extsort: Add after Sorted")
	}
	n := len(key) + len(value)
	if n > 1<<30 {
		return errors.New("extsort: pair larger than 1 GiB")
	}
	if s.used+n+entryOverhead*(len(s.entries)+1) > s.limit && len(s.entries) > 0 {
		if err := s.spill(); err != nil {
			s.err = err
			return err
		}
	}
	last := len(s.chunks) - 1
	if last < 0 || len(s.chunks[last])+n > cap(s.chunks[last]) {
		s.chunks = append(s.chunks, make([]byte, 0, max(chunkSize, n)))
		last++
	}
	c := s.chunks[last]
	off := len(c)
	c = append(append(c, key...), value...)
	s.chunks[last] = c
	s.used += n
	s.entries = append(s.entries, entry{chunk: int32(last), off: int32(off), klen: int32(len(key)), vlen: int32(len(value))})
	return nil
}

// Spilled reports how many run files the sorter wrote.
func (s *Sorter) Spilled() int { return len(s.runs) }

func (s *Sorter) key(e entry) []byte { return s.chunks[e.chunk][e.off : e.off+e.klen] }

func (s *Sorter) value(e entry) []byte {
	return s.chunks[e.chunk][e.off+e.klen : e.off+e.klen+e.vlen]
}

// sortBuffer sorts the buffer by key, pairs of equal keys in the order
// they were added: the entries are in that order, which is that of their
// place in the chunks, so an unstable sort ordered by key and then place
// gives the stable order, without the stable sort's rotations (which
// moved entries O(n log² n) times).
func (s *Sorter) sortBuffer() {
	slices.SortFunc(s.entries, func(a, b entry) int {
		if c := bytes.Compare(s.key(a), s.key(b)); c != 0 {
			return c
		}
		if a.chunk != b.chunk {
			return cmp.Compare(a.chunk, b.chunk)
		}
		return cmp.Compare(a.off, b.off)
	})
}

// spill writes the sorted buffer to a new run file.
func (s *Sorter) spill() error {
	s.sortBuffer()
	name, err := s.writeRun(func(yield func([]byte, []byte) bool) {
		for _, e := range s.entries {
			if !yield(s.key(e), s.value(e)) {
				return
			}
		}
	}, nil)
	if err != nil {
		return err
	}
	// Keep the first chunk for the next run; the others go to the GC.
	clear(s.chunks[1:])
	s.chunks = s.chunks[:1]
	s.chunks[0] = s.chunks[0][:0]
	s.used = 0
	s.entries = s.entries[:0]
	s.runs = append(s.runs, name)
	if len(s.runs) >= maxFanIn {
		return s.compact()
	}
	return nil
}

// compact merges all run files into one.
func (s *Sorter) compact() error {
	readers, err := s.openRuns()
	if err != nil {
		return err
	}
	var mergeErr error
	name, err := s.writeRun(mergeRuns(readers, nil, &mergeErr), &mergeErr)
	closeRuns(readers)
	if err != nil {
		return err
	}
	for _, r := range s.runs {
		os.Remove(r)
	}
	s.runs = []string{name}
	return nil
}

// writeRun writes pairs to a new temporary file and returns its name.
func (s *Sorter) writeRun(pairs iter.Seq2[[]byte, []byte], srcErr *error) (string, error) {
	f, err := os.CreateTemp(s.dir, "custodia-sort-*")
	if err != nil {
		return "", fmt.Errorf("extsort: %w", err)
	}
	w := bufio.NewWriterSize(f, 256<<10)
	var hdr [2 * binary.MaxVarintLen64]byte
	for k, v := range pairs {
		n := binary.PutUvarint(hdr[:], uint64(len(k)))
		n += binary.PutUvarint(hdr[n:], uint64(len(v)))
		w.Write(hdr[:n])
		w.Write(k)
		if _, err = w.Write(v); err != nil {
			break
		}
	}
	if err == nil && srcErr != nil {
		err = *srcErr
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("extsort: %w", err)
	}
	return f.Name(), nil
}

// run reads one run file.
type run struct {
	f    *os.File
	r    *bufio.Reader
	key  []byte
	val  []byte
	seq  int // run order, for stability
	done bool
}

func (r *run) next() error {
	kl, err := binary.ReadUvarint(r.r)
	if err == io.EOF {
		r.done = true
		return nil
	}
	if err != nil {
		return err
	}
	vl, err := binary.ReadUvarint(r.r)
	if err != nil {
		return err
	}
	if kl+vl > 1<<31 {
		return errors.New("extsort: damaged run file")
	}
	need := int(kl + vl)
	if cap(r.key) < need {
		r.key = make([]byte, need)
	}
	buf := r.key[:need]
	if _, err := io.ReadFull(r.r, buf); err != nil {
		return err
	}
	r.key, r.val = buf[:kl], buf[kl:]
	return nil
}

// runBuffer is the read buffer of each of n runs merged at once.
func (s *Sorter) runBuffer(n int) int {
	return min(maxRunBuffer, max(minRunBuffer, s.limit/4/max(n, 1)))
}

func (s *Sorter) openRuns() ([]*run, error) {
	var out []*run
	size := s.runBuffer(len(s.runs))
	for i, name := range s.runs {
		f, err := os.Open(name)
		if err != nil {
			closeRuns(out)
			return nil, fmt.Errorf("extsort: %w", err)
		}
		out = append(out, &run{f: f, r: bufio.NewReaderSize(f, size), seq: i})
	}
	return out, nil
}

func closeRuns(rs []*run) {
	for _, r := range rs {
		r.f.Close()
	}
}

type runHeap []*run

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if c := bytes.Compare(h[i].key, h[j].key); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*run)) }
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}

// mergeRuns yields the pairs of the runs and of the sorted in-memory
// entries (mem, last in order) by key. A read error is stored in *errp and
// ends the sequence.
func mergeRuns(runs []*run, mem *Sorter, errp *error) iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) {
		h := make(runHeap, 0, len(runs)+1)
		for _, r := range runs {
			if err := r.next(); err != nil {
				*errp = fmt.Errorf("extsort: %w", err)
				return
			}
			if !r.done {
				h = append(h, r)
			}
		}
		memPos := 0
		var memRun *run
		if mem != nil && len(mem.entries) > 0 {
			e := mem.entries[0]
			memRun = &run{key: mem.key(e), val: mem.value(e), seq: len(runs)}
			h = append(h, memRun)
		}
		heap.Init(&h)
		for h.Len() > 0 {
			r := h[0]
			if !yield(r.key, r.val) {
				return
			}
			if r == memRun {
				memPos++
				if memPos == len(mem.entries) {
					heap.Pop(&h)
					continue
				}
				e := mem.entries[memPos]
				r.key, r.val = mem.key(e), mem.value(e)
			} else if err := r.next(); err != nil {
				*errp = fmt.Errorf("extsort: %w", err)
				return
			} else if r.done {
				heap.Pop(&h)
				continue
			}
			heap.Fix(&h, 0)
		}
	}
}

// Sorted yields all pairs in key order. The slices are valid only until the
// next iteration step. An error ends the sequence. Sorted may be called
// once; no pair can be added afterwards.
func (s *Sorter) Sorted() iter.Seq2[Pair, error] {
	return func(yield func(Pair, error) bool) {
		if s.err != nil {
			yield(Pair{}, s.err)
			return
		}
		if s.sorted {
			yield(Pair{}, errors.New("extsort: Sorted called twice"))
			return
		}
		s.sorted = true
		if len(s.runs) > 0 && len(s.entries) > 0 {
			// Spill the rest, so that the merge holds only read buffers.
			if err := s.spill(); err != nil {
				s.err = err
				yield(Pair{}, err)
				return
			}
		}
		var mem *Sorter
		if len(s.runs) > 0 {
			s.chunks, s.entries = nil, nil
		} else {
			s.sortBuffer()
			mem = s
		}
		runs, err := s.openRuns()
		if err != nil {
			yield(Pair{}, err)
			return
		}
		defer closeRuns(runs)
		var mergeErr error
		for k, v := range mergeRuns(runs, mem, &mergeErr) {
			if !yield(Pair{Key: k, Value: v}, nil) {
				return
			}
		}
		if mergeErr != nil {
			yield(Pair{}, mergeErr)
		}
	}
}

// Pair is one key and value.
type Pair struct {
	Key, Value []byte
}

// Close removes the temporary files and frees the buffer.
func (s *Sorter) Close() error {
	var errs []error
	for _, r := range s.runs {
		if err := os.Remove(r); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	s.runs = nil
	s.chunks, s.entries = nil, nil
	return errors.Join(errs...)
}
