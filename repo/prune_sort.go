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
// is sorted and written to a temporary file as one run; runs are merged
// level by level as they pile up (fanIn at a time), and reading merges
// what is left. Its memory is the buffer plus at most half of it in read
// buffers of runs being merged, whatever the number of records. It is how
// prune handles more blob IDs than fit in memory.
type spillSorter struct {
	size   int    // bytes per record
	budget int    // bytes of buffered records before a spill
	dir    string // where runs go ("" for os.TempDir)
	buf    []byte
	runs   []sortRun
	n      int64
}

// sortRun is one sorted run file and its level: a spill is level 0, and
// fanIn runs of one level merge into one run of the next.
type sortRun struct {
	f     *os.File
	level int
}

// runReadBuffer is the largest read buffer of a run during a merge.
const runReadBuffer = 256 << 10

// fanIn is how many runs merge into one: their read buffers together take
// at most half the budget. With runs merged level by level, the runs open
// at once grow with the logarithm of the records, and every record is
// rewritten once per level.
func (s *spillSorter) fanIn() int { return max(4, s.budget/2/runReadBuffer) }

// readBuffer is the read buffer of each of n runs merged at once.
func (s *spillSorter) readBuffer(n int) int {
	return min(runReadBuffer, max(16<<10, s.budget/2/max(n, 1)))
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
	f, w, err := s.newRun()
	if err != nil {
		return err
	}
	if _, err := w.Write(s.buf); err != nil {
		f.Close()
		return fmt.Errorf("prune: write temporary file: %w", err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("prune: write temporary file: %w", err)
	}
	s.runs = append(s.runs, sortRun{f: f})
	s.buf = s.buf[:0]
	return s.mergeLevels()
}

// newRun creates an empty run file.
func (s *spillSorter) newRun() (*os.File, *bufio.Writer, error) {
	f, err := os.CreateTemp(s.dir, "custodia-prune-*.run")
	if err != nil {
		return nil, nil, fmt.Errorf("prune: temporary file: %w", err)
	}
	// The file is unlinked at once: only the open descriptor keeps it, so
	// nothing is left behind by a crash.
	_ = os.Remove(f.Name())
	return f, bufio.NewWriterSize(f, runReadBuffer), nil
}

// mergeLevels merges the last fanIn runs into one while they share a
// level, so the number of runs stays logarithmic in the records added.
func (s *spillSorter) mergeLevels() error {
	k := s.fanIn()
	for len(s.runs) >= k {
		tail := s.runs[len(s.runs)-k:]
		level := tail[0].level
		if tail[k-1].level != level {
			return nil
		}
		f, w, err := s.newRun()
		if err != nil {
			return err
		}
		files := make([]*os.File, k)
		for i, r := range tail {
			files[i] = r.f
		}
		for rec, err := range s.merge(files) {
			if err == nil {
				_, err = w.Write(rec)
			}
			if err != nil {
				f.Close()
				return fmt.Errorf("prune: merge temporary files: %w", err)
			}
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return fmt.Errorf("prune: write temporary file: %w", err)
		}
		for _, r := range files {
			r.Close()
		}
		s.runs = append(s.runs[:len(s.runs)-k], sortRun{f: f, level: level + 1})
	}
	return nil
}

// close releases the runs.
func (s *spillSorter) close() {
	for _, r := range s.runs {
		r.f.Close()
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
		files := make([]*os.File, len(s.runs))
		for i, r := range s.runs {
			files[i] = r.f
		}
		for rec, err := range s.merge(files) {
			if !yield(rec, err) || err != nil {
				return
			}
		}
	}
}

// merge yields the records of the sorted run files in ascending order,
// reading each from its start; the slice yielded is valid only until the
// next step.
func (s *spillSorter) merge(files []*os.File) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		h := &runHeap{}
		size := s.readBuffer(len(files))
		for _, f := range files {
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				yield(nil, err)
				return
			}
			r := &runReader{r: bufio.NewReaderSize(f, size), rec: make([]byte, s.size)}
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
