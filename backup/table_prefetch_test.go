package backup

import (
	"errors"
	"fmt"
	"iter"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/table"
)

// entriesOf yields n entries with values of growing size, then err if not
// nil; the slices it yields are overwritten at the next step.
func entriesOf(n int, err error) iter.Seq2[table.Entry, error] {
	return func(yield func(table.Entry, error) bool) {
		var k, v []byte
		for i := range n {
			k = fmt.Appendf(k[:0], "key%08d", i)
			v = fmt.Appendf(v[:0], "%0*d", i%5000, i)
			if !yield(table.Entry{Key: k, Record: v}, nil) {
				return
			}
		}
		if err != nil {
			yield(table.Entry{}, err)
		}
	}
}

func TestPrefetchSameEntries(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		n   int
		err error
	}{{0, nil}, {1, nil}, {3000, nil}, {3000, boom}, {0, boom}} {
		t.Run(fmt.Sprint(tc.n, tc.err), func(t *testing.T) {
			var want, got []string
			var wantErr, gotErr error
			for e, err := range entriesOf(tc.n, tc.err) {
				if err != nil {
					wantErr = err
					break
				}
				want = append(want, string(e.Key)+"="+string(e.Record))
			}
			for e, err := range prefetch(entriesOf(tc.n, tc.err)) {
				if err != nil {
					gotErr = err
					break
				}
				got = append(got, string(e.Key)+"="+string(e.Record))
			}
			assert.Equal(t, want, got)
			require.ErrorIs(t, gotErr, wantErr)
		})
	}
}

// TestPrefetchStopEarly: a consumer that stops early stops the producer.
func TestPrefetchStopEarly(t *testing.T) {
	produced := 0
	src := func(yield func(table.Entry, error) bool) {
		for e, err := range entriesOf(100000, nil) {
			produced++
			if !yield(e, err) {
				return
			}
		}
	}
	n := 0
	for range prefetch(src) {
		if n++; n == 10 {
			break
		}
	}
	// prefetch waits for its goroutine before returning: produced is
	// final, and far from the whole source.
	assert.Less(t, produced, 100000)
}

// TestMergeEntries merges a short and a long sequence, with equal keys
// and errors on either side.
func TestMergeEntries(t *testing.T) {
	seq := func(keys []string, err error) iter.Seq2[table.Entry, error] {
		return func(yield func(table.Entry, error) bool) {
			for _, k := range keys {
				if !yield(table.Entry{Key: []byte(k), Record: []byte("r" + k)}, nil) {
					return
				}
			}
			if err != nil {
				yield(table.Entry{}, err)
			}
		}
	}
	collect := func(s iter.Seq2[table.Entry, error]) ([]string, error) {
		var out []string
		for e, err := range s {
			if err != nil {
				return out, err
			}
			out = append(out, string(e.Key)+"="+string(e.Record))
		}
		return out, nil
	}
	got, err := collect(mergeEntries(seq([]string{"b", "d", "x"}, nil), seq([]string{"a", "b", "c", "e", "f"}, nil)))
	require.NoError(t, err)
	assert.Equal(t, []string{"a=ra", "b=rb", "b=rb", "c=rc", "d=rd", "e=re", "f=rf", "x=rx"}, got)
	got, err = collect(mergeEntries(seq(nil, nil), seq([]string{"a", "b"}, nil)))
	require.NoError(t, err)
	assert.Equal(t, []string{"a=ra", "b=rb"}, got)
	got, err = collect(mergeEntries(seq([]string{"a", "b"}, nil), seq(nil, nil)))
	require.NoError(t, err)
	assert.Equal(t, []string{"a=ra", "b=rb"}, got)
	boom := errors.New("boom")
	got, err = collect(mergeEntries(seq([]string{"b"}, boom), seq([]string{"a", "c", "d"}, nil)))
	require.ErrorIs(t, err, boom)
	assert.Equal(t, []string{"a=ra", "b=rb"}, got)
	got, err = collect(mergeEntries(seq([]string{"c"}, nil), seq([]string{"a", "b"}, boom)))
	require.ErrorIs(t, err, boom)
	assert.Equal(t, []string{"a=ra", "b=rb"}, got)
	n := 0
	for range mergeEntries(seq([]string{"a", "c"}, nil), seq([]string{"b", "d"}, nil)) {
		if n++; n == 2 {
			break
		}
	}
	assert.Equal(t, 2, n)
}
