package storagetest_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/storage"
)

// A site down while writing: with degraded writes a Put completes when the
// shards written keep the object readable, the missing ones are counted
// against the site, and Repair completes them when the site is back.
func TestDegradedWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sites := []string{filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")}
	for _, s := range sites[:2] {
		require.NoError(t, os.Mkdir(s, 0o700))
	}
	data := payload(800, 1<<20)

	// Site c is down: 4+2 over three sites leaves 4 shards, k.
	st, err := storage.Open(ctx, sites, storage.WithAllowUnreachable())
	require.NoError(t, err)
	err = st.Put(ctx, "packs/p", data)
	require.ErrorIs(t, err, storage.ErrSiteUnreachable, "without degraded writes every shard is needed")
	require.Empty(t, st.WriteGaps())
	require.NoError(t, st.Close())

	survive, err := storage.Open(ctx, sites, storage.WithAllowUnreachable(), storage.WithDegradedWrites(true))
	require.NoError(t, err)
	err = survive.Put(ctx, "packs/s", data)
	require.ErrorIs(t, err, storage.ErrSiteUnreachable, "4 shards on two sites do not survive losing one more")
	require.Empty(t, survive.WriteGaps())
	left, err := filepath.Glob(filepath.Join(dir, "*", "packs", "s.*"))
	require.NoError(t, err)
	require.Empty(t, left, "a failed degraded Put leaves no shard behind")
	require.NoError(t, survive.Close())

	st, err = storage.Open(ctx, sites, storage.WithAllowUnreachable(), storage.WithDegradedWrites(false))
	require.NoError(t, err)
	require.NoError(t, st.Put(ctx, "packs/p", data))
	require.NoError(t, st.Put(ctx, "packs/q", bytes.Clone(data[:1000])))
	gaps := st.WriteGaps()
	require.Len(t, gaps, 1)
	require.Equal(t, int64(4), gaps[0].Shards, "two shards of each of two objects")
	require.Contains(t, gaps[0].Site, "/c")
	require.ErrorIs(t, gaps[0], storage.ErrDegraded)
	require.ErrorIs(t, gaps[0], storage.ErrSiteUnreachable)
	require.NotContains(t, gaps[0].Error(), "\n")
	got, h, err := st.Get(ctx, "packs/p")
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, got))
	require.NotEmpty(t, h.Bad, "the read sees the missing shards")
	require.NoError(t, st.Close())

	// Site c is back: Repair writes the missing shards.
	require.NoError(t, os.Mkdir(sites[2], 0o700))
	st, err = storage.Open(ctx, sites)
	require.NoError(t, err)
	defer st.Close()
	for _, name := range []string{"packs/p", "packs/q"} {
		_, err = st.Repair(ctx, name)
		require.NoError(t, err)
		h, err := st.Check(ctx, name, true)
		require.NoError(t, err)
		require.True(t, h.OK(), "%s after repair: %v", name, h)
	}
	require.Empty(t, st.WriteGaps())
}
