package repo

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIDMapBounded(t *testing.T) {
	m := newIDMap(100)
	for i := range 10_000 {
		k := ID{byte(i), byte(i >> 8)}
		m.put(k, ID{1, byte(i), byte(i >> 8)})
		require.LessOrEqual(t, m.len(), 100)
		v, ok := m.get(k)
		require.True(t, ok, "the entry just put is remembered")
		require.Equal(t, ID{1, byte(i), byte(i >> 8)}, v)
	}
	assert.GreaterOrEqual(t, m.len(), 50)
	assert.Equal(t, 2, newIDMap(0).max)
}
