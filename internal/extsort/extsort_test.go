package extsort

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sortAll(t *testing.T, s *Sorter) [][2]string {
	t.Helper()
	var out [][2]string
	for p, err := range s.Sorted() {
		require.NoError(t, err)
		out = append(out, [2]string{string(p.Key), string(p.Value)})
	}
	return out
}

// modes are the sorter's two ways of working.
var modes = []struct {
	name string
	opts []Option
}{{"foreground", nil}, {"background", []Option{Background()}}}

func TestSortInMemoryAndSpilled(t *testing.T) {
	for _, mode := range modes {
		for _, mem := range []int{1 << 20, 4 << 10, 200} {
			t.Run(fmt.Sprint(mode.name, mem), func(t *testing.T) {
				testSortInMemoryAndSpilled(t, mem, mode.opts)
			})
		}
	}
}

func testSortInMemoryAndSpilled(t *testing.T, mem int, opts []Option) {
	dir := t.TempDir()
	s := New(dir, mem, opts...)
	rng := rand.New(rand.NewPCG(1, 2))
	var want [][2]string
	for i := range 5000 {
		k := fmt.Sprintf("k%05d", rng.IntN(3000))
		v := fmt.Sprintf("v%d", i)
		want = append(want, [2]string{k, v})
		require.NoError(t, s.Add([]byte(k), []byte(v)))
	}
	// Equal keys keep the order in which they were added.
	slices.SortStableFunc(want, func(a, b [2]string) int { return bytes.Compare([]byte(a[0]), []byte(b[0])) })
	got := sortAll(t, s)
	assert.Equal(t, want, got)
	if mem < 1<<20 {
		assert.NotZero(t, s.Spilled())
	}
	require.NoError(t, s.Close())
	left, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, left, "Close removes the run files")
}

func TestSortManyRunsCompacts(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) { testSortManyRunsCompacts(t, mode.opts) })
	}
}

func testSortManyRunsCompacts(t *testing.T, opts []Option) {
	s := New(t.TempDir(), 64, opts...)
	defer s.Close()
	n := maxFanIn*3 + 7
	for i := n - 1; i >= 0; i-- {
		require.NoError(t, s.Add(fmt.Appendf(nil, "%06d", i), bytes.Repeat([]byte{'x'}, 40)))
	}
	assert.LessOrEqual(t, s.Spilled(), maxFanIn)
	got := sortAll(t, s)
	require.Len(t, got, n)
	for i, p := range got {
		assert.Equal(t, fmt.Sprintf("%06d", i), p[0])
	}
}

func TestSortedOnce(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) { testSortedOnce(t, mode.opts) })
	}
}

func testSortedOnce(t *testing.T, opts []Option) {
	s := New("", 0, opts...)
	defer s.Close()
	require.NoError(t, s.Add([]byte("a"), nil))
	assert.Len(t, sortAll(t, s), 1)
	for _, err := range s.Sorted() {
		assert.Error(t, err)
	}
	assert.Error(t, s.Add([]byte("b"), nil))
}

// TestMergeHoldsOnlyReadBuffers checks that once pairs were spilled, the
// merge frees the sort buffer (the rest is spilled too) and that the runs'
// read buffers together stay within a quarter of the memory limit, however
// many runs there are: what the merge holds does not grow with the pairs.
func TestMergeHoldsOnlyReadBuffers(t *testing.T) {
	const limit = 4 << 20
	for _, runs := range []int{2, 9, 40} {
		t.Run(fmt.Sprint(runs), func(t *testing.T) {
			s := New(t.TempDir(), limit)
			defer s.Close()
			val := bytes.Repeat([]byte{'v'}, 1000)
			// Fill runs-1 buffers and half of one more.
			n := (runs-1)*limit/(1000+8+entryOverhead) + limit/2/(1000+8+entryOverhead)
			for i := range n {
				require.NoError(t, s.Add(fmt.Appendf(nil, "%08d", (i*7919)%n), val))
			}
			require.Equal(t, runs-1, s.Spilled())
			require.NotEmpty(t, s.cur.entries, "half a buffer is still in memory")
			got := 0
			var prev []byte
			for p, err := range s.Sorted() {
				require.NoError(t, err)
				if got == 0 {
					assert.Nil(t, s.cur, "the buffer is freed for the merge")
					assert.Empty(t, s.closed)
					assert.Empty(t, s.free)
					assert.Equal(t, runs, s.Spilled(), "the rest was spilled as one more run")
					assert.LessOrEqual(t, runs*s.runBuffer(runs), max(limit/4, runs*minRunBuffer))
				}
				require.Positive(t, bytes.Compare(p.Key, prev))
				prev = append(prev[:0], p.Key...)
				got++
			}
			assert.Equal(t, n, got)
		})
	}
}

// Equal keys keep the order in which they were added when their pairs lie
// in different chunks of the buffer.
func TestSortStableAcrossChunks(t *testing.T) {
	s := New(t.TempDir(), 64<<20)
	defer s.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	var want [][2]string
	pad := bytes.Repeat([]byte{'x'}, 1000)
	for i := range 4000 {
		k := fmt.Sprintf("k%03d", rng.IntN(300))
		v := fmt.Sprintf("v%d-%s", i, pad)
		want = append(want, [2]string{k, v})
		require.NoError(t, s.Add([]byte(k), []byte(v)))
	}
	require.Greater(t, len(s.cur.chunks), 2, "the pairs span chunks")
	slices.SortStableFunc(want, func(a, b [2]string) int { return bytes.Compare([]byte(a[0]), []byte(b[0])) })
	assert.Equal(t, want, sortAll(t, s))
	assert.Zero(t, s.Spilled())
}

// TestCompactBuffersWithinASixteenth: merging maxFanIn runs into one while
// pairs are still added reads them through buffers of a sixteenth of the
// memory in all (at least minRunBuffer each), and still sorts.
func TestCompactBuffersWithinASixteenth(t *testing.T) {
	for _, limit := range []int{1 << 20, 16 << 20, 64 << 20} {
		s := New(t.TempDir(), limit)
		assert.LessOrEqual(t, maxFanIn*s.compactBuffer(maxFanIn), max(limit/16, maxFanIn*minRunBuffer), "limit %d", limit)
		assert.Less(t, s.compactBuffer(maxFanIn), s.runBuffer(maxFanIn)+1)
		s.Close()
	}
}
