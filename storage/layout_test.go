package storage

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSiteTolerance(t *testing.T) {
	for _, tc := range []struct{ k, m, n, want int }{
		{4, 2, 1, 0},
		{4, 2, 2, 0}, // three shards per site
		{2, 2, 2, 1},
		{4, 4, 2, 1},
		{4, 2, 3, 1},
		{6, 2, 4, 1},
		{4, 4, 4, 2},
		{4, 2, 4, 1}, // 2,2,1,1
		{4, 2, 5, 1}, // 2,1,1,1,1
		{4, 2, 6, 2},
		{4, 2, 10, 2},
		{3, 0, 3, 0},
		{1, 1, 2, 1},
	} {
		assert.Equal(t, tc.want, SiteTolerance(tc.k, tc.m, tc.n), "%d+%d on %d sites", tc.k, tc.m, tc.n)
	}
	for n := 1; n <= 12; n++ {
		k, m := DefaultShards(n)
		require.NoError(t, CheckSiteLoss(k, m, n), "default for %d sites", n)
		if n >= 2 {
			assert.GreaterOrEqual(t, SiteTolerance(k, m, n), 1, "default for %d sites", n)
		}
	}
	err := CheckSiteLoss(4, 2, 2)
	require.ErrorIs(t, err, ErrSiteLoss)
	var se *SiteLossError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, SiteLossError{DataShards: 4, ParityShards: 2, Sites: 2}, *se)
	assert.Contains(t, err.Error(), "2+2 survives it")
	assert.NoError(t, CheckSiteLoss(4, 2, 1), "one site: no site to spare")
}

// With two sites and no explicit coding, losing either site loses nothing.
func TestTwoSitesSurviveLosingOne(t *testing.T) {
	ctx := context.Background()
	for lost := range 2 {
		dirs := fileDirs(t, 2)
		s := openStore(t, dirs)
		k, m := s.Shards()
		assert.Equal(t, []int{2, 2}, []int{k, m})
		data := randBytes(50_000, 5)
		require.NoError(t, s.Put(ctx, "packs/tw/o", data))
		require.NoError(t, os.RemoveAll(dirs[lost]))
		require.NoError(t, os.Mkdir(dirs[lost], 0o700))
		got, h, err := openStore(t, dirs).Get(ctx, "packs/tw/o")
		require.NoError(t, err, "site %d emptied", lost)
		assert.True(t, bytes.Equal(data, got))
		assert.NotEmpty(t, h.Bad, "the shards of the emptied site are reported")
	}
}
