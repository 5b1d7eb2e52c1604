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
