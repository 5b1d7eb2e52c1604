package restore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
)

func snapshotOf(t *testing.T, dir string) (*repo.Repository, *repo.Snapshot, string) {
	t.Helper()
	src, _ := fixture.SourceTree(t, "ledger", 1)
	r, _ := fixture.NewRepo(t, dir)
	res, err := backup.Files(context.Background(), r, []string{src})
	require.NoError(t, err)
	return r, res.Snapshot, src
}

func TestInclude(t *testing.T) {
	ctx := context.Background()
	r, s, _ := snapshotOf(t, "")
	target := t.TempDir()
	res, err := restore.Snapshot(ctx, r, s, target, restore.WithInclude("*.jsonl", "ledger/deep", "latest.json"))
	require.NoError(t, err)
	var got []string
	require.NoError(t, filepath.Walk(target, func(p string, fi os.FileInfo, err error) error {
		require.NoError(t, err)
		if !fi.IsDir() {
			rel, _ := filepath.Rel(target, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	}))
	assert.ElementsMatch(t, []string{"ledger/customers/customers.jsonl", "ledger/latest.json", "ledger/deep/a/b/c/d/e/f/g/note.txt"}, got)
	assert.Equal(t, uint64(2), res.Files)

	_, err = restore.Snapshot(ctx, r, s, t.TempDir(), restore.WithInclude("*.nothing"))
	require.ErrorIs(t, err, restore.ErrNothingSelected)
	_, err = restore.Snapshot(ctx, r, s, t.TempDir(), restore.WithInclude("[bad"))
	require.Error(t, err)
}

func TestTargetChecks(t *testing.T) {
	ctx := context.Background()
	r, s, src := snapshotOf(t, "")
	target := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(target, "keep.txt"), []byte("mine"), 0o644))
	_, err := restore.Snapshot(ctx, r, s, target)
	require.ErrorIs(t, err, restore.ErrTargetNotEmpty)
	b, err := os.ReadFile(filepath.Join(target, "keep.txt"))
	require.NoError(t, err)
	assert.Equal(t, "mine", string(b), "nothing touched")

	// Overwrite replaces what is in the way, including a symlink where a
	// folder belongs (which must not be followed).
	outside := t.TempDir()
	require.NoError(t, os.Symlink(outside, filepath.Join(target, "ledger")))
	_, err = restore.Snapshot(ctx, r, s, target, restore.WithOverwrite())
	require.NoError(t, err)
	fixture.RequireSameTree(t, src, filepath.Join(target, "ledger"))
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	assert.Empty(t, entries, "restore followed a symlink out of the target")

	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = restore.Snapshot(ctx, r, s, filepath.Join(file, "sub"))
	require.Error(t, err)
}

func TestRestoreSurvivesLostShards(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r, s, src := snapshotOf(t, dir)
	// Delete two of the six shards (m = 2) of every object, different ones
	// for different objects.
	var n int
	require.NoError(t, filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		require.NoError(t, err)
		ext := filepath.Ext(p)
		if !fi.IsDir() && (ext == ".0" || ext == ".5") && filepath.Base(filepath.Dir(p)) != "keys" {
			n++
			return os.Remove(p)
		}
		return nil
	}))
	require.Positive(t, n)
	target := t.TempDir()
	_, err := restore.Snapshot(ctx, r, s, target)
	require.NoError(t, err)
	fixture.RequireSameTree(t, src, filepath.Join(target, "ledger"))
}

// TestFailedRestoreLeavesNoEmptyTarget shows that a restore that fails
// removes the target folders it created (parents included) when nothing
// was restored into them, and leaves an existing target alone.
func TestFailedRestoreLeavesNoEmptyTarget(t *testing.T) {
	ctx := context.Background()
	r, s, _ := snapshotOf(t, "")
	base := t.TempDir()
	target := filepath.Join(base, "a", "b", "restore")

	bogus := *s
	bogus.Tree = repo.ID{1, 2, 3}
	_, err := restore.Snapshot(ctx, r, &bogus, target)
	require.ErrorIs(t, err, repo.ErrBlobNotFound)
	assert.NoDirExists(t, filepath.Join(base, "a"), "the failed restore left the folders it created")

	_, err = restore.Snapshot(ctx, r, s, target, restore.WithInclude("*.nothing"))
	require.ErrorIs(t, err, restore.ErrNothingSelected)
	assert.NoDirExists(t, filepath.Join(base, "a"))

	existing := t.TempDir()
	_, err = restore.Snapshot(ctx, r, &bogus, existing)
	require.Error(t, err)
	assert.DirExists(t, existing, "a target that existed before stays")
}
