package repo_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
)

func allSnapshots(t *testing.T, r *repo.Repository) []*repo.Snapshot {
	t.Helper()
	var out []*repo.Snapshot
	for s, err := range r.Snapshots(context.Background()) {
		require.NoError(t, err)
		out = append(out, s)
	}
	return out
}

func TestCopySnapshots(t *testing.T) {
	ctx := context.Background()
	src, _ := newRepo(t, "", repo.WithPackSize(1<<20))
	a := saveFiles(t, src, "h", 1, 2, 3)
	b := saveFiles(t, src, "h", 2, 3, 4, 5)
	dstDir := t.TempDir()
	dst, dstStore := newRepo(t, dstDir, repo.WithPackSize(2<<20))

	snaps := allSnapshots(t, src)
	rep, err := repo.CopySnapshots(ctx, src, dst, snaps[:1], true)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Copied)
	assert.Equal(t, 1, rep.Verified)
	assert.Equal(t, uint64(3), rep.BlobsNew)

	// An interrupted copy: the blobs of b made it, its snapshot did not.
	rep, err = repo.CopySnapshots(ctx, src, dst, snaps, false)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Copied)
	assert.Equal(t, 1, rep.Skipped)
	assert.Equal(t, uint64(2), rep.BlobsNew, "blobs 2 and 3 were deduplicated")
	require.NoError(t, dstStore.Delete(ctx, "snapshots/"+b.String()))
	rep, err = repo.CopySnapshots(ctx, src, dst, snaps, true)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Copied)
	assert.Equal(t, uint64(0), rep.BlobsNew, "resumed: nothing uploaded again")
	assert.Equal(t, 2, rep.Verified)

	// A snapshot write cut short in the destination is written again.
	for i := range 3 {
		require.NoError(t, deleteShard(dstStore, dstDir, "snapshots/"+a.String(), i))
	}
	rep, err = repo.CopySnapshots(ctx, src, dst, snaps, true)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Copied)

	// IDs and metadata kept; content restores byte for byte.
	got := allSnapshots(t, dst)
	require.Len(t, got, 2)
	for i := range got {
		assert.Equal(t, snaps[i].ID, got[i].ID)
		assert.Equal(t, snaps[i].Host, got[i].Host)
		assert.True(t, snaps[i].Time.Equal(got[i].Time))
		assert.Equal(t, snaps[i].Paths, got[i].Paths)
		assert.NotEqual(t, snaps[i].Tree, got[i].Tree, "the destination's keys give other IDs")
	}
	requireRestorable(t, dstStore)
}

// TestCopyWithLittleMemory: with room for two remembered trees, shared
// trees are copied again when met again, to the same result.
func TestCopyWithLittleMemory(t *testing.T) {
	ctx := context.Background()
	src, _ := newRepo(t, "", repo.WithPackSize(1<<20))
	for i := range uint64(4) {
		saveFiles(t, src, "h", 1, 2, 3, 10+i)
	}
	dst, dstStore := newRepo(t, "")
	rep, err := repo.CopySnapshots(ctx, src, dst, allSnapshots(t, src), true, repo.WithCopyMemory(1))
	require.NoError(t, err)
	assert.Equal(t, 4, rep.Copied)
	assert.Equal(t, 4, rep.Verified)
	assert.Equal(t, uint64(7), rep.BlobsNew, "blobs met again are not stored again")
	requireRestorable(t, dstStore)
}
