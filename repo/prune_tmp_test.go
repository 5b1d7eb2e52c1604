package repo_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// TestPruneRemovesStaleTemporaries: prune removes the temporary files of
// interrupted shard writes older than its margin, reports them, and
// leaves younger ones and every other file; a dry run removes none.
func TestPruneRemovesStaleTemporaries(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// No removal at the first write: only prune removes them here.
	st, err := storage.Open(ctx, []string{dir}, storage.WithCreate(), storage.WithStaleTemporaryAge(-1))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	r, err := repo.Init(ctx, st, password, fastArgon)
	require.NoError(t, err)
	saveFiles(t, r, "h", 1)

	snaps := filepath.Join(dir, "snapshots")
	stale := filepath.Join(snaps, strings.Repeat("ab", 32)+".0.1f.tmp")
	fresh := filepath.Join(snaps, strings.Repeat("cd", 32)+".1.2e.tmp")
	other := filepath.Join(snaps, "notes.tmp") // not a shard's temporary file
	for _, f := range []string{stale, fresh, other} {
		require.NoError(t, os.WriteFile(f, []byte("half a shard"), 0o600))
	}
	old := time.Now().Add(-3 * time.Hour)
	require.NoError(t, os.Chtimes(stale, old, old))
	require.NoError(t, os.Chtimes(other, old, old))

	rep, err := r.Prune(ctx, repo.PruneOptions{Margin: 2 * time.Hour, DryRun: true})
	require.NoError(t, err)
	assert.Zero(t, rep.TemporariesRemoved)
	assert.FileExists(t, stale)

	rep, err = r.Prune(ctx, repo.PruneOptions{Margin: 2 * time.Hour})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.TemporariesRemoved)
	assert.NoFileExists(t, stale)
	assert.FileExists(t, fresh, "younger than the margin: a write may be in progress")
	assert.FileExists(t, other)

	entries, err := r.Audit(ctx, time.Time{})
	require.NoError(t, err)
	last := entries[len(entries)-1]
	assert.Equal(t, "prune", last.Op)
	assert.Equal(t, "1", last.Args["temporaries_removed"])

	rep, err = r.Prune(ctx, repo.PruneOptions{Margin: 2 * time.Hour})
	require.NoError(t, err)
	assert.Zero(t, rep.TemporariesRemoved)
	require.NoError(t, r.Close(ctx))
	requireRestorable(t, st)
}
