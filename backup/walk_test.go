package backup_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

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

// TestUnchangedListingKeepsParentNodes changes one folder of a backed-up
// tree at a time, at each place of its listing (the first entry, the
// last, a folder's mode, an entry gone, an entry added, a socket, which
// is left out): a listing keeps the parent's nodes only while its entries
// are the parent's, so each incremental's root tree is the one a backup
// without a parent makes of the same files.
func TestUnchangedListingKeepsParentNodes(t *testing.T) {
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "s")
	_, err := fixture.ManyFiles(src, 400, 20, 10, 300)
	require.NoError(t, err)
	r, _ := fixture.NewRepo(t, "")
	backupOf := func(opts ...backup.Option) *repo.Snapshot {
		t.Helper()
		res, err := backup.Files(ctx, r, []string{src}, append(opts, backup.WithWalkers(4), backup.WithWorkers(2))...)
		require.NoError(t, err)
		require.Empty(t, res.Errors)
		return res.Snapshot
	}
	folders := func() []string {
		var dirs []string
		require.NoError(t, filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
			if !d.IsDir() && filepath.Dir(p) != src && !slices.Contains(dirs, filepath.Dir(p)) {
				dirs = append(dirs, filepath.Dir(p)) // a folder of files
			}
			return err
		}))
		return dirs
	}
	entries := func(dir string) []os.DirEntry {
		es, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.NotEmpty(t, es)
		return es
	}
	firstFile := func(dir string) string {
		for _, e := range entries(dir) {
			if e.Type().IsRegular() {
				return filepath.Join(dir, e.Name())
			}
		}
		t.Fatalf("no file in %s", dir)
		return ""
	}
	dirs := folders()
	require.Greater(t, len(dirs), 7)
	changes := []struct {
		name   string
		change func()
	}{
		{"first entry rewritten", func() {
			es := entries(dirs[0])
			require.NoError(t, os.WriteFile(filepath.Join(dirs[0], es[0].Name()), []byte("new"), 0o644))
		}},
		{"last entry's time", func() {
			es := entries(dirs[1])
			when := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
			require.NoError(t, os.Chtimes(filepath.Join(dirs[1], es[len(es)-1].Name()), when, when))
		}},
		{"a folder's mode", func() { require.NoError(t, os.Chmod(dirs[2], 0o700)) }},
		{"a folder's mode, and so its parent's node", func() { require.NoError(t, os.Chmod(filepath.Dir(dirs[7]), 0o700)) }},
		{"an entry gone", func() { require.NoError(t, os.Remove(firstFile(dirs[3]))) }},
		{"an entry added", func() {
			require.NoError(t, os.WriteFile(filepath.Join(dirs[4], "zz-added"), []byte("added"), 0o644))
		}},
		{"an entry added first", func() {
			require.NoError(t, os.WriteFile(filepath.Join(dirs[5], "00-added"), []byte("added"), 0o644))
		}},
		{"a socket, left out", func() {
			l, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dirs[6], "s.sock"), Net: "unix"})
			require.NoError(t, err)
			l.SetUnlinkOnClose(false)
			t.Cleanup(func() { l.Close() })
		}},
	}
	parent := backupOf(backup.WithoutParent())
	for _, c := range changes {
		c.change()
		inc := backupOf(backup.WithParent(parent))
		fresh := backupOf(backup.WithoutParent())
		assert.Equal(t, fresh.Tree, inc.Tree, "after %s", c.name)
		assert.NotEqual(t, parent.Tree, inc.Tree, "after %s", c.name)
		same := backupOf(backup.WithParent(inc))
		assert.Equal(t, inc.Tree, same.Tree, "re-run after %s", c.name)
		assert.Zero(t, same.Stats.FilesNew+same.Stats.FilesChanged, "re-run after %s", c.name)
		parent = inc
	}
}
