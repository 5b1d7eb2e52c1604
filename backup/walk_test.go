package backup_test

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

// TestParallelWalkSameTrees backs up one tree (every kind of entry, hard
// links included, and many small files in many folders) walked one folder
// at a time and walked in parallel, first in full and then against a
// parent: every walk gives the same root tree, so the same tree IDs all
// the way down.
func TestParallelWalkSameTrees(t *testing.T) {
	ctx := context.Background()
	src, _ := fixture.SourceTree(t, "books", 5, fixture.WithSpecialFiles())
	_, err := fixture.ManyFiles(filepath.Join(src, "many"), 3000, 60, 10, 3000)
	require.NoError(t, err)
	r, _ := fixture.NewRepo(t, "")
	seq := []backup.Option{backup.WithWalkers(1), backup.WithWorkers(1)}
	par := []backup.Option{backup.WithWalkers(8), backup.WithWorkers(3)}
	run := func(opts []backup.Option, more ...backup.Option) *repo.Snapshot {
		t.Helper()
		res, err := backup.Files(ctx, r, []string{src}, append(opts, more...)...)
		require.NoError(t, err)
		require.Empty(t, res.Errors)
		return res.Snapshot
	}

	full := run(seq, backup.WithoutParent())
	assert.Equal(t, full.Tree, run(par, backup.WithoutParent()).Tree, "a parallel first walk gives other trees")
	again := run(par, backup.WithParent(full))
	assert.Equal(t, full.Tree, again.Tree, "a parallel re-run gives other trees")
	assert.Zero(t, again.Stats.FilesNew+again.Stats.FilesChanged, "the re-run read a file again")
	assert.Equal(t, full.Stats.Files, again.Stats.Files)
	assert.Equal(t, full.Stats.Dirs, again.Stats.Dirs)
	againSeq := run(seq, backup.WithParent(full))
	assert.Equal(t, full.Tree, againSeq.Tree)
	assert.Equal(t, againSeq.Stats.FilesSkipped, again.Stats.FilesSkipped)

	// A changed file, a new folder and a removed file: both walks agree
	// again, and the snapshot restores to the source.
	p := filepath.Join(src, "many", "client-001", "year-0013", "invoice-000003.jsonl")
	require.NoError(t, os.WriteFile(p, fixture.InvoiceText(7, 5000), 0o644))
	require.NoError(t, os.Remove(filepath.Join(src, "many", "client-002", "year-0014", "invoice-000001.jsonl")))
	_, err = fixture.ManyFiles(filepath.Join(src, "many", "client-003", "new"), 50, 5, 10, 100)
	require.NoError(t, err)
	s1 := run(seq, backup.WithParent(full))
	s2 := run(par, backup.WithParent(full))
	assert.Equal(t, s1.Tree, s2.Tree)
	assert.NotEqual(t, full.Tree, s2.Tree)
	assert.Equal(t, uint64(51), s2.Stats.FilesNew+s2.Stats.FilesChanged)
	assert.Equal(t, s2.Tree, run(par, backup.WithoutParent()).Tree, "trees kept from the parent differ from those made afresh")

	target := t.TempDir()
	_, err = restore.Snapshot(ctx, r, s2, target)
	require.NoError(t, err)
	fixture.RequireSameTree(t, src, filepath.Join(target, "books"))
}
