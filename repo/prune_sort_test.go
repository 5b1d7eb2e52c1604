package repo

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// The spill sorter yields every record in order, whether it fits in
// memory or spills to many runs.
func TestSpillSorter(t *testing.T) {
	for _, n := range []int{0, 1, 7, 5000, 100_000} {
		for _, budget := range []int{1 << 20, 64 << 10} {
			s := newSpillSorter(33, budget, t.TempDir())
			rng := rand.New(rand.NewPCG(uint64(n), 3))
			var want [][]byte
			for range n {
				r := make([]byte, 33)
				for i := range r {
					r[i] = byte(rng.IntN(4)) // many duplicates
				}
				want = append(want, r)
				require.NoError(t, s.add(r))
			}
			var got [][]byte
			for r, err := range s.sorted() {
				require.NoError(t, err)
				got = append(got, bytes.Clone(r))
			}
			s.close()
			require.Len(t, got, n)
			for i := 1; i < len(got); i++ {
				require.LessOrEqual(t, bytes.Compare(got[i-1], got[i]), 0)
			}
			// Same multiset: sort the input the slow way and compare.
			sortBytes(want)
			require.Equal(t, want, got)
		}
	}
}

func sortBytes(b [][]byte) { slices.SortFunc(b, bytes.Compare) }

// Runs are merged level by level while records are added, so the run files
// held (and the read buffers of the final merge) grow with the logarithm
// of the records, not with their number, and the records still come out
// sorted and complete.
func TestSpillSorterMergesLevels(t *testing.T) {
	s := newSpillSorter(32, 32*1024, t.TempDir()) // 1,024 records a run
	defer s.close()
	k := s.fanIn()
	require.Equal(t, 4, k)
	rng := rand.New(rand.NewPCG(7, 9))
	const n = 300 * 1024 // 300 spills
	var sum [32]byte
	maxRuns := 0
	for range n {
		r := make([]byte, 32)
		for i := range r {
			r[i] = byte(rng.Uint32())
		}
		for i := range sum {
			sum[i] ^= r[i]
		}
		require.NoError(t, s.add(r))
		maxRuns = max(maxRuns, len(s.runs))
	}
	// 300 spills in base 4 is 10230: 1+0+2+3+0 runs, and never more than
	// (k-1) per level over the 5 levels of 300 spills.
	require.LessOrEqual(t, maxRuns, (k-1)*5)
	require.Len(t, s.runs, 6)
	for i := 1; i < len(s.runs); i++ {
		require.GreaterOrEqual(t, s.runs[i-1].level, s.runs[i].level)
	}
	var prev []byte
	var got [32]byte
	count := 0
	for r, err := range s.sorted() {
		require.NoError(t, err)
		if prev != nil {
			require.LessOrEqual(t, bytes.Compare(prev, r), 0)
		}
		prev = bytes.Clone(r)
		for i := range got {
			got[i] ^= r[i]
		}
		count++
	}
	require.Equal(t, n, count)
	require.Equal(t, sum, got)
	require.LessOrEqual(t, s.readBuffer(len(s.runs))*len(s.runs), max(s.budget/2, 16<<10*len(s.runs)))
}
