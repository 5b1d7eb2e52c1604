package repo_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// A two-site repository with the default coding survives the loss of
// either site, metadata included (issue 8, trap 1).
func TestTwoSiteRepositorySurvivesLosingASite(t *testing.T) {
	ctx := context.Background()
	for lost := range 2 {
		dirs := []string{t.TempDir(), t.TempDir()}
		st, err := storage.Open(ctx, dirs, storage.WithCreate())
		require.NoError(t, err)
		r, err := repo.Init(ctx, st, password, fastArgon)
		require.NoError(t, err)
		assert.Equal(t, []int{2, 2}, []int{r.Config().DataShards, r.Config().ParityShards})
		data := randomBytes(t, 200<<10)
		id := r.BlobID(data)
		_, err = r.SaveBlob(ctx, repo.DataBlob, id, data, false)
		require.NoError(t, err)
		tid, err := r.SaveTree(ctx, &repo.Tree{Nodes: []repo.Node{{Name: "f", Type: repo.NodeFile, Content: []repo.ID{id}}}})
		require.NoError(t, err)
		require.NoError(t, r.Flush(ctx))
		sid, err := r.SaveSnapshot(ctx, &repo.Snapshot{Kind: repo.KindFiles, Tree: tid, Host: "h"})
		require.NoError(t, err)
		stats, err := r.RepoStats(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, stats.SiteTolerance)
		require.NoError(t, st.Close())

		require.NoError(t, os.RemoveAll(dirs[lost]))
		require.NoError(t, os.Mkdir(dirs[lost], 0o700))
		st, err = storage.Open(ctx, dirs)
		require.NoError(t, err)
		r, err = repo.Open(ctx, st, password)
		require.NoError(t, err, "site %d emptied", lost)
		snap, err := r.LoadSnapshot(ctx, sid)
		require.NoError(t, err)
		got, err := r.LoadBlob(ctx, repo.BlobHandle{Type: repo.DataBlob, ID: id}, nil)
		require.NoError(t, err)
		assert.Equal(t, tid, snap.Tree)
		assert.True(t, bytes.Equal(data, got))
		require.NoError(t, st.Close())
	}
}

// Init refuses a coding that one site's loss would defeat, unless told.
func TestInitRefusesLayoutsThatCannotLoseASite(t *testing.T) {
	ctx := context.Background()
	dirs := []string{t.TempDir(), t.TempDir()}
	st, err := storage.Open(ctx, dirs, storage.WithShards(4, 2))
	require.NoError(t, err)
	defer st.Close()
	_, err = repo.Init(ctx, st, password, fastArgon)
	var se *storage.SiteLossError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 2, se.Sites)
	assert.NotContains(t, err.Error(), "--", "library errors name no CLI flag")
	r, err := repo.Init(ctx, st, password, fastArgon, repo.WithAllowSiteLoss())
	require.NoError(t, err)
	stats, err := r.RepoStats(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, stats.SiteTolerance)
}
