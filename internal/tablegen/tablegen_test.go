package tablegen

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShuffledReader reads versions of a table in order and shuffled: the
// same lines, each once, not in the same order.
func TestShuffledReader(t *testing.T) {
	g := Gen{Seed: 3}
	for _, c := range []struct{ n, v int }{{1, 1}, {2, 1}, {1000, 1}, {1000, 3}, {4096, 2}} {
		in, err := io.ReadAll(g.Reader(c.n, c.v))
		require.NoError(t, err)
		sh, err := io.ReadAll(g.ShuffledReader(c.n, c.v))
		require.NoError(t, err)
		a, b := strings.Split(string(in), "\n"), strings.Split(string(sh), "\n")
		require.Equal(t, Header, b[0])
		if c.n >= 1000 {
			assert.NotEqual(t, a, b, "%d records, version %d", c.n, c.v)
		}
		slices.Sort(a)
		slices.Sort(b)
		assert.Equal(t, a, b, "%d records, version %d", c.n, c.v)
		assert.Equal(t, string(g.CSV(c.n, c.v)), string(in))
	}
}
