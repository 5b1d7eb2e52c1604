// Package extsort sorts key/value pairs that may not fit in memory: pairs
// are gathered in a buffer of bounded size, sorted, spilled to temporary run
// files when the buffer is full, and merged back in key order. Memory —
// the buffer, and the runs' read buffers when they are merged — is bounded
// by the configured limit (from 1 MiB up; beyond a spill's 256 KiB write
// buffer), never by the number of pairs. Sorters may share a Budget,
// which counts what they hold together.
package extsort

import (
	"errors"
	"iter"
	"os"
	"slices"
	"sync"
	"sync/atomic"
)

// DefaultMemory is the buffer size used when none is given (64 MiB).
const DefaultMemory = 64 << 20

// maxFanIn is the most run files merged at once; beyond it, runs are first
// merged into one.
const maxFanIn = 64

// Sorter sorts key/value pairs by key (bytes.Compare); pairs with equal keys
// keep the order in which they were added. It is not safe for concurrent
// use. Close it to remove its temporary files.
type Sorter struct {
	dir      string
	limit    int
	bg       bool
	budget   *Budget
	own      atomic.Int64 // bytes counted in budget
	segLimit int          // bytes of one segment of the buffer
	spillAt  int          // bytes of closed segments that start a spill
	chunkCap int          // size of the segments' chunks

	cur    *segment   // being filled
	closed []*segment // full, sorted (or queued to be), not yet spilled
	held   int        // bytes of the closed segments and those being spilled
	spills []spill    // in flight, oldest first
	last   chan struct{}
	sorted bool // finished: no more pairs
	read   bool // Sorted was called
	names  []string
	bufSz  int // read buffer of each of names in the merge

	mu     sync.Mutex
	runs   []string // changed by spills only, which run one at a time
	free   [][]byte // chunks of spilled segments, for the next segments
	noFree bool     // finished: spilled chunks are let go
	err    error
	failed atomic.Bool
}

// spill is a spill of segments handed to the background; its bytes are
// counted in held until waitSpill (in the budget, until they are written).
type spill struct {
	done chan struct{}
	size int
}

// Option configures a Sorter.
type Option func(*Sorter)

// Background makes the sorter sort and spill on background goroutines
// while pairs are still being added, so that on a machine with more than
// one core the sorting overlaps with what produces the pairs, and Sorted
// has a merge to do rather than a sort. The buffer is then cut into
// segments of an eighth of the memory, each sorted once full; once half
// the memory is held by full segments, they are merged into a run file
// while the other half fills (Add waits only when both halves are full).
// Once anything was spilled, Finish (or Sorted) spills the segments still
// in memory too and the merge reads the run files alone (their read
// buffers a quarter of the memory): the same pairs come out in the same
// order as without the option, within the same memory.
func Background() Option { return func(s *Sorter) { s.bg = true } }

// New returns a sorter that keeps at most memory bytes of pairs in memory
// (DefaultMemory if memory ≤ 0; with Shared, what the budget has free)
// and spills to temporary files in dir (os.TempDir() if empty). Without
// Background, once pairs were spilled, Sorted spills the rest too and
// frees the buffer, so that the merge needs only the runs' read buffers
// (a quarter of memory at most, for a memory of 1 MiB or more): what the
// sorter holds does not depend on how many pairs were added.
func New(dir string, memory int, opts ...Option) *Sorter {
	s := &Sorter{dir: dir}
	for _, o := range opts {
		o(s)
	}
	switch {
	case s.budget != nil:
		free := max(s.budget.Free(), minShared)
		if memory <= 0 || memory > free {
			memory = free
		}
	case memory <= 0:
		memory = DefaultMemory
	}
	if s.budget == nil {
		s.budget = NewBudget(memory)
	}
	s.limit = memory
	s.segLimit, s.spillAt = memory, memory
	if s.bg {
		s.segLimit, s.spillAt = max(memory/8, 1), memory/2
	}
	s.chunkCap = min(chunkSize, max(s.segLimit/8, 4<<10))
	return s
}

// Add copies one pair into the sorter.
func (s *Sorter) Add(key, value []byte) error {
	if err := s.failure(); err != nil {
		return err
	}
	if s.sorted {
		return errors.New("extsort: Add after Finish or Sorted")
	}
	n := len(key) + len(value)
	if n > 1<<30 {
		return errors.New("extsort: pair larger than 1 GiB")
	}
	need := n + entryOverhead
	if s.cur != nil && len(s.cur.entries) > 0 && s.cur.size()+need > s.segLimit {
		s.closeSegment()
	}
	// Room for the pair: the segments held and the one being filled stay
	// within the limit.
	for s.held > 0 && s.held+s.curSize()+need > s.limit {
		if len(s.spills) == 0 {
			s.startSpill()
		}
		if err := s.waitSpill(); err != nil {
			return err
		}
	}
	if s.bg && s.held >= s.spillAt && len(s.spills) == 0 && len(s.closed) > 0 {
		s.startSpill()
	}
	if s.cur == nil {
		s.cur = &segment{}
	}
	s.cur.add(key, value, s.newChunk)
	s.take(need)
	return nil
}

// take counts n bytes more held by the sorter in its budget.
func (s *Sorter) take(n int) {
	s.own.Add(int64(n))
	s.budget.take(n)
}

// give counts n bytes the sorter let go.
func (s *Sorter) give(n int) {
	s.own.Add(-int64(n))
	s.budget.give(n)
}

func (s *Sorter) curSize() int {
	if s.cur == nil {
		return 0
	}
	return s.cur.size()
}

// closeSegment sorts the segment being filled and holds it until it is
// spilled or merged.
func (s *Sorter) closeSegment() {
	g := s.cur
	s.cur = nil
	s.held += g.size()
	s.closed = append(s.closed, g)
	s.submit(func() error { g.sort(); return nil })
}

// startSpill merges the closed segments into a run file.
func (s *Sorter) startSpill() {
	segs := s.closed
	s.closed = nil
	size := 0
	for _, g := range segs {
		size += g.size()
	}
	done := s.submit(func() error { return s.spillSegments(segs, size) })
	s.spills = append(s.spills, spill{done: done, size: size})
}

// waitSpill waits for the oldest spill in flight and releases its memory.
func (s *Sorter) waitSpill() error {
	sp := s.spills[0]
	<-sp.done
	s.spills = s.spills[1:]
	s.held -= sp.size
	return s.failure()
}

// spillSegments writes sorted segments of size bytes to a new run file,
// merged, and lets their bytes go. Their chunks are kept for the next
// segments unless the runs are then merged into one (whose read buffers
// take the place of the chunks) or no pair is to be added.
func (s *Sorter) spillSegments(segs []*segment, size int) error {
	var mergeErr error
	name, err := s.writeRun(mergeRuns(segmentRuns(segs), &mergeErr), &mergeErr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.runs = append(s.runs, name)
	n := len(s.runs)
	compact := n >= maxFanIn
	for _, g := range segs {
		for _, c := range g.chunks {
			if cap(c) == s.chunkCap && !compact && !s.noFree {
				s.free = append(s.free, c[:0])
			}
		}
		g.chunks, g.entries = nil, nil
	}
	s.mu.Unlock()
	s.give(size)
	if compact {
		return s.compact()
	}
	return nil
}

// compact merges all run files into one.
func (s *Sorter) compact() error {
	s.mu.Lock()
	names := slices.Clone(s.runs)
	s.mu.Unlock()
	size := s.compactBuffer(len(names))
	s.take(size * len(names))
	defer s.give(size * len(names))
	readers, err := s.openRuns(names, size)
	if err != nil {
		return err
	}
	var mergeErr error
	name, err := s.writeRun(mergeRuns(readers, &mergeErr), &mergeErr)
	closeRuns(readers)
	if err != nil {
		return err
	}
	for _, r := range names {
		os.Remove(r)
	}
	s.mu.Lock()
	s.runs = []string{name}
	s.mu.Unlock()
	return nil
}

// newChunk returns an empty chunk for at least n bytes of pairs.
func (s *Sorter) newChunk(n int) []byte {
	if n <= s.chunkCap {
		s.mu.Lock()
		if k := len(s.free); k > 0 {
			c := s.free[k-1]
			s.free = s.free[:k-1]
			s.mu.Unlock()
			return c
		}
		s.mu.Unlock()
	}
	return make([]byte, 0, max(n, s.chunkCap))
}

// closedChan is done from the start: a task run on the caller's goroutine.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// submit runs f after the tasks submitted before it: on a goroutine of its
// own with Background, else at once. The channel returned is closed when
// f is done. After a failure, later tasks do not run.
func (s *Sorter) submit(f func() error) chan struct{} {
	if !s.bg {
		if s.failure() == nil {
			if err := f(); err != nil {
				s.fail(err)
			}
		}
		return closedChan
	}
	prev, done := s.last, make(chan struct{})
	s.last = done
	go func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		if s.failed.Load() {
			return
		}
		if err := f(); err != nil {
			s.fail(err)
		}
	}()
	return done
}

// wait waits for every task submitted.
func (s *Sorter) wait() {
	if s.last != nil {
		<-s.last
	}
}

func (s *Sorter) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.failed.Store(true)
	s.mu.Unlock()
}

func (s *Sorter) failure() error {
	if !s.failed.Load() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Spilled reports how many run files the sorter holds (each spill writes
// one; merging many into one counts as one).
func (s *Sorter) Spilled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.runs)
}

// Finish ends the adding of pairs and readies the merge: once anything
// was spilled, the segments still in memory are spilled too, the spills
// are waited for and the buffer's spare chunks let go, so that what the
// sorter holds from then on — the segments kept for the merge, or the
// runs' read buffers — is counted in its budget, and a sorter made after
// Finish with the same budget gets the rest. Sorted calls it if it was
// not called; it does nothing the second time.
func (s *Sorter) Finish() error {
	if s.sorted {
		return s.failure()
	}
	s.sorted = true
	if s.cur != nil && len(s.cur.entries) > 0 {
		s.closeSegment()
	}
	s.cur = nil
	s.mu.Lock()
	s.noFree, s.free = true, nil
	s.mu.Unlock()
	if len(s.closed) > 0 && (s.Spilled() > 0 || len(s.spills) > 0) {
		// Spill the rest, so that the merge holds only read buffers:
		// what follows the sort (a table's pages going to packs, another
		// sorter) then has the memory the buffer had, whatever the
		// table's size.
		s.startSpill()
	}
	s.wait()
	for _, sp := range s.spills {
		s.held -= sp.size
	}
	s.spills = nil
	if err := s.failure(); err != nil {
		return err
	}
	s.mu.Lock()
	s.names = slices.Clone(s.runs)
	s.mu.Unlock()
	s.bufSz = s.runBuffer(len(s.names))
	s.take(s.bufSz * len(s.names))
	return nil
}

// Sorted yields all pairs in key order. The slices are valid only until the
// next iteration step. An error ends the sequence. Sorted may be called
// once; no pair can be added afterwards. Once the sequence ends, the
// sorter holds nothing more in memory (nothing is counted in its budget).
func (s *Sorter) Sorted() iter.Seq2[Pair, error] {
	return func(yield func(Pair, error) bool) {
		if err := s.failure(); err != nil {
			yield(Pair{}, err)
			return
		}
		if s.read {
			yield(Pair{}, errors.New("extsort: Sorted called twice"))
			return
		}
		s.read = true
		defer s.release()
		if err := s.Finish(); err != nil {
			yield(Pair{}, err)
			return
		}
		runs, err := s.openRuns(s.names, s.bufSz)
		if err != nil {
			yield(Pair{}, err)
			return
		}
		defer closeRuns(runs)
		runs = append(runs, segmentRuns(s.closed)...)
		var mergeErr error
		for k, v := range mergeRuns(runs, &mergeErr) {
			if !yield(Pair{Key: k, Value: v}, nil) {
				return
			}
		}
		if mergeErr != nil {
			yield(Pair{}, mergeErr)
		}
	}
}

// release lets go of the segments kept for the merge and of what the
// sorter counts in its budget; no task is in flight.
func (s *Sorter) release() {
	s.closed = nil
	s.held = 0
	s.give(int(s.own.Load()))
}

// Pair is one key and value.
type Pair struct {
	Key, Value []byte
}

// Close removes the temporary files and frees the buffer.
func (s *Sorter) Close() error {
	s.wait()
	s.mu.Lock()
	names := s.runs
	s.runs, s.free = nil, nil
	s.mu.Unlock()
	var errs []error
	for _, r := range names {
		if err := os.Remove(r); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	s.cur, s.spills = nil, nil
	s.release()
	return errors.Join(errs...)
}
