package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/fixture"
)

// TestUnchangedFilesKeepParentXattrs takes an unchanged file's extended
// attributes from a parent snapshot that read them, and only from such a
// parent: one made without them is not trusted, and an attribute set since
// (which changes the file's ctime) is read.
func TestUnchangedFilesKeepParentXattrs(t *testing.T) {
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "books")
	require.NoError(t, os.Mkdir(src, 0o755))
	invoice := filepath.Join(src, "invoice.xml")
	require.NoError(t, os.WriteFile(invoice, []byte("<invoice/>"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "notes.txt"), []byte("notes"), 0o644))
	if err := unix.Lsetxattr(invoice, "user.custodia.origin", []byte("scanner-3"), 0); errors.Is(err, unix.ENOTSUP) {
		t.Skip("the file system of the temporary folder has no extended attributes")
	} else {
		require.NoError(t, err)
	}
	r, _ := fixture.NewRepo(t, "")
	origin := func(res *backup.Result) string {
		t.Helper()
		root, err := r.LoadTree(ctx, res.Snapshot.Tree)
		require.NoError(t, err)
		dir, ok := root.Find("books")
		require.True(t, ok)
		tree, err := r.LoadTree(ctx, *dir.Subtree)
		require.NoError(t, err)
		n, ok := tree.Find("invoice.xml")
		require.True(t, ok)
		for _, x := range n.Xattrs {
			if x.Name == "user.custodia.origin" {
				return string(x.Value)
			}
		}
		return ""
	}
	run := func(opts ...backup.Option) *backup.Result {
		t.Helper()
		res, err := backup.Files(ctx, r, []string{src}, opts...)
		require.NoError(t, err)
		require.Empty(t, res.Notes)
		return res
	}

	without := run(backup.WithoutXattrs())
	assert.False(t, without.Snapshot.XattrsRead)
	assert.Empty(t, origin(without))

	with := run()
	require.NotNil(t, with.Snapshot.Parent)
	assert.Equal(t, without.Snapshot.ID, *with.Snapshot.Parent)
	assert.Equal(t, uint64(2), with.Snapshot.Stats.FilesSkipped)
	assert.True(t, with.Snapshot.XattrsRead)
	assert.Equal(t, "scanner-3", origin(with), "attributes taken from a parent made without them")

	again := run()
	assert.Equal(t, uint64(2), again.Snapshot.Stats.FilesSkipped)
	assert.True(t, again.Snapshot.XattrsRead)
	assert.Equal(t, with.Snapshot.Tree, again.Snapshot.Tree, "an unchanged tree stored differently")

	require.NoError(t, unix.Lsetxattr(invoice, "user.custodia.origin", []byte("scanner-4"), 0))
	changed := run()
	assert.Equal(t, "scanner-4", origin(changed), "an attribute set since the parent was not read")

	none := run(backup.WithoutXattrs())
	assert.False(t, none.Snapshot.XattrsRead)
	assert.Empty(t, origin(none), "attributes kept from the parent though left out")
}
