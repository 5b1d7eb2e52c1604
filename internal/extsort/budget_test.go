package extsort

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBudgetShared reads a background sorter out while a second sorter,
// sharing its budget and made after Finish, is filled with a small pair
// for each pair read (as a table delta's spool is), with the first one's
// pairs fitting in memory or spilled and the second's fitting or spilled:
// what they hold together never passes the budget, and both sort.
func TestBudgetShared(t *testing.T) {
	const total = 1 << 20
	val := bytes.Repeat([]byte{'r'}, 120)
	for _, c := range []struct {
		name    string
		records int // pairs of the first sorter
		spool   int // bytes of each pair of the second
	}{
		{"in memory", 2000, 8},     // ~300 KiB, then ~100 KiB
		{"first spills", 20000, 8}, // ~3 MiB, then ~1 MiB
		{"both spill", 20000, 120},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := NewBudget(total)
			main := New(t.TempDir(), total, Background(), Shared(b))
			defer main.Close()
			for i := range c.records {
				require.NoError(t, main.Add(fmt.Appendf(nil, "k%08d", (i*7919)%c.records), val))
			}
			require.NoError(t, main.Finish())
			held := total - b.Free()
			if c.records > 10000 {
				assert.Positive(t, main.Spilled())
				assert.LessOrEqual(t, held, total/4, "the merge holds read buffers only")
			} else {
				assert.Zero(t, main.Spilled())
				assert.Greater(t, held, 200<<10, "the segments are kept for the merge")
			}
			spool := New(t.TempDir(), total, Shared(b))
			defer spool.Close()
			assert.Equal(t, total-held, spool.limit, "the second sorter gets what the first does not hold")
			n := 0
			var prev []byte
			for p, err := range main.Sorted() {
				require.NoError(t, err)
				require.True(t, prev == nil || bytes.Compare(prev, p.Key) < 0)
				prev = append(prev[:0], p.Key...)
				require.NoError(t, spool.Add(p.Key, bytes.Repeat([]byte{'s'}, c.spool)))
				n++
			}
			require.Equal(t, c.records, n)
			assert.Equal(t, total-int(spool.own.Load()), b.Free(), "the first sorter let everything go")
			if c.spool > 100 {
				assert.Positive(t, spool.Spilled())
			}
			n, prev = 0, nil
			for p, err := range spool.Sorted() {
				require.NoError(t, err)
				require.True(t, prev == nil || bytes.Compare(prev, p.Key) < 0)
				prev = append(prev[:0], p.Key...)
				n++
			}
			assert.Equal(t, c.records, n)
			assert.LessOrEqual(t, b.Peak(), total)
			assert.Greater(t, b.Peak(), total/4)
			assert.Equal(t, total, b.Free(), "nothing is held once both are read")
		})
	}
}

// TestBudgetCountsWhatIsHeld: a sorter's budget counts the pairs in its
// buffer and its merge's read buffers, and nothing once closed, with or
// without Sorted.
func TestBudgetCountsWhatIsHeld(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			for _, read := range []bool{false, true} {
				b := NewBudget(256 << 10)
				s := New(t.TempDir(), 0, append([]Option{Shared(b)}, mode.opts...)...)
				require.Equal(t, 256<<10, s.limit)
				require.NoError(t, s.Add([]byte("key"), []byte("value")))
				assert.Equal(t, 3+5+entryOverhead, b.Peak())
				for i := range 20000 {
					require.NoError(t, s.Add(fmt.Appendf(nil, "k%06d", (i*7919)%20000), bytes.Repeat([]byte{'v'}, 30)))
				}
				assert.LessOrEqual(t, b.Peak(), 256<<10)
				assert.Greater(t, b.Peak(), 128<<10)
				if read {
					require.NoError(t, s.Finish())
					assert.Equal(t, s.Spilled()*s.runBuffer(s.Spilled()), 256<<10-b.Free(), "the merge's read buffers")
					assert.Error(t, s.Add([]byte("late"), nil))
					assert.Len(t, sortAll(t, s), 20001)
					assert.Equal(t, 256<<10, b.Free())
				}
				require.NoError(t, s.Close())
				assert.Equal(t, 256<<10, b.Free())
			}
		})
	}
}

// TestReadBuffersFitQuarter: the read buffers of a merge of maxFanIn
// runs, or of a compaction, fit in a quarter of the memory from 1 MiB up.
func TestReadBuffersFitQuarter(t *testing.T) {
	for _, limit := range []int{1 << 20, 3 << 20, 4 << 20, 64 << 20} {
		s := New(t.TempDir(), limit)
		for _, n := range []int{1, 2, 17, maxFanIn} {
			assert.LessOrEqual(t, n*s.runBuffer(n), limit/4, "limit %d, %d runs", limit, n)
			assert.LessOrEqual(t, n*s.compactBuffer(n), limit/4, "limit %d, %d runs", limit, n)
		}
		s.Close()
	}
}
