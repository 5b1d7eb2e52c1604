package repo

import (
	"bufio"
	"bytes"
	"container/heap"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
)

// spillSorter sorts fixed-size records (compared as bytes) in bounded
// memory: records gather in a buffer of at most budget bytes; a full buffer
// is sorted and written to a temporary file as one run; reading merges the
// runs. It is how prune handles more blob IDs than fit in memory.
type spillSorter struct {
	size   int    // bytes per record
	budget int    // bytes of buffered records before a spill
	dir    string // where runs go ("" for os.TempDir)
	buf    []byte
	runs   []*os.File
	n      int64
}

func newSpillSorter(size, budget int, dir string) *spillSorter {
	budget = max(budget/size*size, size*1024)
	return &spillSorter{size: size, budget: budget, dir: dir}
}

// add appends a record of exactly s.size bytes.
func (s *spillSorter) add(rec []byte) error {
	if len(rec) != s.size {
		panic(fmt.Sprintf("spillSorter: record of %d bytes, want %d", len(rec), s.size))
	}
	if s.buf == nil {
		s.buf = make([]byte, 0, min(s.budget, 1<<20))
	}
	s.buf = append(s.buf, rec...)
	s.n++
	if len(s.buf) >= s.budget {
		return s.spill()
	}
	return nil
}

// sortBuf sorts the buffered records in place. It sorts a permutation
// (4 bytes per record) and applies it by following its cycles, so the
// extra memory is a small fraction of the buffer.
func (s *spillSorter) sortBuf() {
	n := len(s.buf) / s.size
	rec := func(i int32) []byte { return s.buf[int(i)*s.size : (int(i)+1)*s.size] }
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(a, b int32) int { return bytes.Compare(rec(a), rec(b)) })
	// Position i must receive record perm[i].
	tmp := make([]byte, s.size)
	for i := range perm {
		if perm[i] < 0 || perm[i] == int32(i) {
			continue
		}
		copy(tmp, rec(int32(i)))
		j := int32(i)
		for {
			k := perm[j]
			perm[j] = -1
			if k == int32(i) {
				copy(rec(j), tmp)
				break
			}
			copy(rec(j), rec(k))
			j = k
		}
	}
}

func (s *spillSorter) spill() error {
	if len(s.buf) == 0 {
		return nil
	}
	s.sortBuf()
	f, err := os.CreateTemp(s.dir, "custodia-prune-*.run")
	if err != nil {
		return fmt.Errorf("prune: temporary file: %w", err)
	}
	// The file is unlinked at once: only the open descriptor keeps it, so
	// nothing is left behind by a crash.
	_ = os.Remove(f.Name())
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := w.Write(s.buf); err != nil {
		f.Close()
		return fmt.Errorf("prune: write temporary file: %w", err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("prune: write temporary file: %w", err)
	}
	s.runs = append(s.runs, f)
	s.buf = s.buf[:0]
	return nil
}

// close releases the runs.
func (s *spillSorter) close() {
	for _, f := range s.runs {
		f.Close()
	}
	s.runs = nil
	s.buf = nil
}

// sorted yields the records in ascending byte order (duplicates
// included); the slice yielded is valid only until the next step. It may
// be iterated once.
func (s *spillSorter) sorted() iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		if len(s.runs) == 0 {
			s.sortBuf()
			for i := 0; i+s.size <= len(s.buf); i += s.size {
				if !yield(s.buf[i:i+s.size], nil) {
					return
				}
			}
			return
		}
		if err := s.spill(); err != nil {
			yield(nil, err)
			return
		}
		s.buf = nil // merging needs only the runs' read buffers
		h := &runHeap{}
		for _, f := range s.runs {
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				yield(nil, err)
				return
			}
			r := &runReader{r: bufio.NewReaderSize(f, 256<<10), rec: make([]byte, s.size)}
			ok, err := r.next()
			if err != nil {
				yield(nil, err)
				return
			}
			if ok {
				h.items = append(h.items, r)
			}
		}
		heap.Init(h)
		out := make([]byte, s.size)
		for h.Len() > 0 {
			top := h.items[0]
			copy(out, top.rec)
			ok, err := top.next()
			if err != nil {
				yield(nil, err)
				return
			}
			if ok {
				heap.Fix(h, 0)
			} else {
				heap.Pop(h)
			}
			if !yield(out, nil) {
				return
			}
		}
	}
}

type runReader struct {
	r   *bufio.Reader
	rec []byte
}

func (r *runReader) next() (bool, error) {
	_, err := io.ReadFull(r.r, r.rec)
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("prune: read temporary file: %w", err)
	}
	return true, nil
}

type runHeap struct{ items []*runReader }

func (h *runHeap) Len() int           { return len(h.items) }
func (h *runHeap) Less(i, j int) bool { return bytes.Compare(h.items[i].rec, h.items[j].rec) < 0 }
func (h *runHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *runHeap) Push(x any)         { h.items = append(h.items, x.(*runReader)) }
func (h *runHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}
