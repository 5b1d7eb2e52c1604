package extsort

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
)

// Read buffers of the runs during a merge: together a quarter of the
// memory limit, each between minRunBuffer and maxRunBuffer (maxFanIn of
// the smallest fit in a quarter of 1 MiB).
const (
	minRunBuffer = 4 << 10
	maxRunBuffer = 1 << 20
)

// run is one sorted sequence of a merge: a run file, or a sorted segment
// of the buffer.
type run struct {
	f   *os.File
	r   *bufio.Reader
	seg *segment
	pos int // next entry of seg

	key  []byte
	val  []byte
	seq  int // place among the runs merged, for stability
	done bool
}

func (r *run) next() error {
	if r.seg != nil {
		if r.pos == len(r.seg.entries) {
			r.done = true
			return nil
		}
		e := r.seg.entries[r.pos]
		r.pos++
		r.key, r.val = r.seg.key(e), r.seg.value(e)
		return nil
	}
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

// runBuffer is the read buffer of each of n runs merged at once by
// Sorted.
func (s *Sorter) runBuffer(n int) int {
	return min(maxRunBuffer, max(minRunBuffer, s.limit/4/max(n, 1)))
}

// compactBuffer is the read buffer of each of n runs merged into one while
// pairs are still added (compact): a sixteenth of the memory in all, as
// the buffer may be full meanwhile (a quarter, 4 MiB of 16, was the one
// thing a large table's sort held beyond its bound that a small one's
// never did).
func (s *Sorter) compactBuffer(n int) int {
	return min(maxRunBuffer, max(minRunBuffer, s.limit/16/max(n, 1)))
}

// openRuns opens the run files names, in order, each with a read buffer of
// size bytes.
func (s *Sorter) openRuns(names []string, size int) ([]*run, error) {
	var out []*run
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			closeRuns(out)
			return nil, fmt.Errorf("extsort: %w", err)
		}
		out = append(out, &run{f: f, r: bufio.NewReaderSize(f, size)})
	}
	return out, nil
}

func closeRuns(rs []*run) {
	for _, r := range rs {
		if r.f != nil {
			r.f.Close()
		}
	}
}

// segmentRuns returns runs reading the sorted segments.
func segmentRuns(segs []*segment) []*run {
	out := make([]*run, len(segs))
	for i, g := range segs {
		out[i] = &run{seg: g}
	}
	return out
}

// less orders runs by their current key, then by their place.
func less(a, b *run) bool {
	if c := bytes.Compare(a.key, b.key); c != 0 {
		return c < 0
	}
	return a.seq < b.seq
}

// down restores the heap order of h from i down.
func down(h []*run, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		j := l
		if r := l + 1; r < len(h) && less(h[r], h[l]) {
			j = r
		}
		if !less(h[j], h[i]) {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

// mergeRuns yields the pairs of runs by key, pairs of equal keys in the
// order of the runs. A read error is stored in *errp and ends the
// sequence.
func mergeRuns(runs []*run, errp *error) iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) {
		h := make([]*run, 0, len(runs))
		for i, r := range runs {
			r.seq = i
			if err := r.next(); err != nil {
				*errp = fmt.Errorf("extsort: %w", err)
				return
			}
			if !r.done {
				h = append(h, r)
			}
		}
		for i := len(h)/2 - 1; i >= 0; i-- {
			down(h, i)
		}
		for len(h) > 0 {
			r := h[0]
			if !yield(r.key, r.val) {
				return
			}
			if err := r.next(); err != nil {
				*errp = fmt.Errorf("extsort: %w", err)
				return
			}
			if r.done {
				last := len(h) - 1
				h[0] = h[last]
				h[last] = nil
				h = h[:last]
			}
			down(h, 0)
		}
	}
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
