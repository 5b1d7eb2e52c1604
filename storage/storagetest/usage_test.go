package storagetest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/storage"
)

// Usage counts each site's shard blobs and bytes; an offline site is
// reported as such.
func TestUsage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sites := []string{filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c"), filepath.Join(dir, "d")}
	st, err := storage.Open(ctx, sites, storage.WithCreate(), storage.WithShards(4, 2))
	require.NoError(t, err)
	require.NoError(t, st.Put(ctx, "packs/one", make([]byte, 4000)))
	require.NoError(t, st.Put(ctx, "packs/two", make([]byte, 8000)))
	u, err := st.Usage(ctx)
	require.NoError(t, err)
	require.Len(t, u, 4)
	// 4+2 over four sites: shards 0 and 4 on a, 1 and 5 on b, 2 on c, 3 on d.
	for i, want := range []int64{4, 4, 2, 2} {
		require.True(t, u[i].Online)
		require.Equal(t, want, u[i].Objects, "site %d", i)
		require.Equal(t, want/2*(2*storage.HeaderSize+1000+2000), u[i].Bytes, "site %d", i)
	}
	require.NoError(t, st.Close())

	require.NoError(t, os.RemoveAll(sites[3]))
	st, err = storage.Open(ctx, sites, storage.WithAllowUnreachable())
	require.NoError(t, err)
	defer st.Close()
	u, err = st.Usage(ctx)
	require.NoError(t, err)
	require.False(t, u[3].Online)
	require.Zero(t, u[3].Objects)
}
