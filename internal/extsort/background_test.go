package extsort

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBackgroundSameAsForeground sorts the same pairs, with many equal keys,
// both ways and at several memory limits: the same pairs in the same order.
func TestBackgroundSameAsForeground(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	type pair struct{ k, v []byte }
	var pairs []pair
	for i := range 20000 {
		k := fmt.Appendf(nil, "k%04d", rng.IntN(2000))
		v := bytes.Repeat([]byte{byte('a' + i%26)}, rng.IntN(200))
		v = fmt.Appendf(v, "#%d", i)
		pairs = append(pairs, pair{k, v})
	}
	for _, mem := range []int{4 << 10, 64 << 10, 1 << 20, 64 << 20} {
		t.Run(fmt.Sprint(mem), func(t *testing.T) {
			var outs [2][][2]string
			for i, mode := range modes {
				s := New(t.TempDir(), mem, mode.opts...)
				for _, p := range pairs {
					require.NoError(t, s.Add(p.k, p.v))
				}
				outs[i] = sortAll(t, s)
				require.NoError(t, s.Close())
			}
			require.Len(t, outs[1], len(pairs))
			assert.Equal(t, outs[0], outs[1])
		})
	}
}

// TestBackgroundWithinLimit checks that in the background the segments held
// (being filled, sorted, waiting, being spilled) never pass the memory
// limit, and that the merge's segments and read buffers stay within it.
func TestBackgroundWithinLimit(t *testing.T) {
	const limit = 1 << 20
	s := New(t.TempDir(), limit, Background())
	defer s.Close()
	rng := rand.New(rand.NewPCG(7, 8))
	val := bytes.Repeat([]byte{'v'}, 300)
	n := 10 * limit / (300 + 8 + entryOverhead)
	peak := 0
	for range n {
		require.NoError(t, s.Add(fmt.Appendf(nil, "%08d", rng.IntN(n)), val))
		peak = max(peak, s.held+s.curSize())
	}
	assert.LessOrEqual(t, peak, limit)
	assert.Greater(t, peak, limit/2, "both halves were used")
	assert.GreaterOrEqual(t, s.Spilled(), 9)
	got := 0
	var prev []byte
	for p, err := range s.Sorted() {
		require.NoError(t, err)
		if got == 0 {
			inMem := 0
			for _, g := range s.closed {
				inMem += g.size()
			}
			runs := s.Spilled() + len(s.closed)
			assert.LessOrEqual(t, inMem+s.Spilled()*s.runBuffer(s.Spilled()), limit, "%d runs", runs)
			assert.Empty(t, s.free, "no spare chunks are kept for the merge")
		}
		require.GreaterOrEqual(t, bytes.Compare(p.Key, prev), 0)
		prev = append(prev[:0], p.Key...)
		got++
	}
	assert.Equal(t, n, got)
}

// TestBackgroundSpillError: a spill that fails in the background fails a
// later Add or Sorted with its error, and Close still cleans up.
func TestBackgroundSpillError(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			s := New(filepath.Join(t.TempDir(), "missing"), 4<<10, mode.opts...)
			var err error
			for i := 0; i < 5000 && err == nil; i++ {
				err = s.Add(fmt.Appendf(nil, "%06d", 5000-i), []byte("value"))
			}
			if err == nil {
				for _, e := range s.Sorted() {
					if e != nil {
						err = e
						break
					}
				}
			}
			require.ErrorIs(t, err, os.ErrNotExist)
			require.NoError(t, s.Close())
		})
	}
}

// TestBackgroundCloseWithoutSorted: Close waits for the spills in flight
// and removes every run file.
func TestBackgroundCloseWithoutSorted(t *testing.T) {
	dir := t.TempDir()
	s := New(dir, 8<<10, Background())
	for i := range 5000 {
		require.NoError(t, s.Add(fmt.Appendf(nil, "%06d", (i*7919)%5000), []byte("some value")))
	}
	require.NoError(t, s.Close())
	left, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, left)
}

// TestBackgroundMergeHoldsOnlyReadBuffers: once a background sort spilled,
// Sorted spills the segments still in memory too, so that the merge holds
// no segment and no free chunk, only the runs' read buffers.
func TestBackgroundMergeHoldsOnlyReadBuffers(t *testing.T) {
	s := New(t.TempDir(), 256<<10, Background())
	defer s.Close()
	for i := range 20000 {
		require.NoError(t, s.Add(fmt.Appendf(nil, "k%08d", (i*7919)%20000), bytes.Repeat([]byte{'v'}, 40)))
	}
	n := 0
	var prev []byte
	for p, err := range s.Sorted() {
		require.NoError(t, err)
		if n == 0 {
			assert.Greater(t, s.Spilled(), 0)
			assert.Empty(t, s.closed, "segments kept in memory for the merge")
			s.mu.Lock()
			assert.Empty(t, s.free)
			s.mu.Unlock()
		}
		require.True(t, prev == nil || bytes.Compare(prev, p.Key) < 0)
		prev = append(prev[:0], p.Key...)
		n++
	}
	assert.Equal(t, 20000, n)
}
