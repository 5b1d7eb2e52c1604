package repo_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
)

// TestRollbackGuard: once the newest snapshot was seen, "latest" warns
// with a typed error when the repository goes back to an older one.
func TestRollbackGuard(t *testing.T) {
	ctx := context.Background()
	w, st := newRepo(t, "")
	tree, err := w.SaveTree(ctx, &repo.Tree{})
	require.NoError(t, err)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []repo.ID
	for i := range 2 {
		id, err := w.SaveSnapshot(ctx, &repo.Snapshot{Time: t0.Add(time.Duration(i) * time.Hour), Host: "h", Kind: repo.KindFiles, Paths: []string{"/a"}, Tree: tree})
		require.NoError(t, err)
		ids = append(ids, id)
	}

	dir := t.TempDir()
	r, err := repo.Open(ctx, st, password, repo.WithRollbackGuard(dir))
	require.NoError(t, err)
	s, err := r.FindSnapshot(ctx, "latest")
	require.NoError(t, err)
	assert.Equal(t, ids[1], s.ID)
	fi, err := os.Stat(filepath.Join(dir, r.Config().ID.String()))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// The site drops the newest snapshot.
	require.NoError(t, st.Delete(ctx, "snapshots/"+ids[1].String()))
	r, err = repo.Open(ctx, st, password, repo.WithRollbackGuard(dir))
	require.NoError(t, err)
	s, err = r.FindSnapshot(ctx, "latest")
	require.ErrorIs(t, err, repo.ErrRollback)
	var rb *repo.RollbackError
	require.True(t, errors.As(err, &rb))
	assert.Equal(t, ids[0], s.ID, "the snapshot found comes with the warning")
	assert.True(t, rb.Latest.Equal(t0))
	assert.True(t, rb.Seen.Equal(t0.Add(time.Hour)))

	// Another machine, which never saw the newer snapshot, cannot tell.
	r, err = repo.Open(ctx, st, password, repo.WithRollbackGuard(t.TempDir()))
	require.NoError(t, err)
	_, err = r.FindSnapshot(ctx, "latest")
	require.NoError(t, err)
}
