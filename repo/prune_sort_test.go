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
