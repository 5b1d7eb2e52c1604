package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/testhook"
)

// TestSpecialFilesCLI backs up and restores, through the CLI, a tree with
// hard links, sparse files, extended attributes and an ACL, a named pipe,
// device nodes and other owners (as root), and checks every property;
// --no-xattrs leaves the attributes out at backup or at restore.
func TestSpecialFilesCLI(t *testing.T) {
	t.Parallel()
	src, _ := fixture.SourceTree(t, "books", 6, fixture.WithSpecialFiles())
	c, _ := fastRepo(t)
	c.ok("backup", "--tag", "full", src)
	out := filepath.Join(t.TempDir(), "out")
	c.ok("restore", "latest", "--tag", "full", "--target", out)
	requireSameTree(t, src, filepath.Join(out, "books"))

	if runtime.GOOS != "linux" {
		return // the tree has extended attributes on Linux only
	}
	attrs := func(dir string) map[string]string {
		snap, err := fixture.Snapshot(filepath.Join(dir, "books"))
		require.NoError(t, err)
		return snap["xattrs/invoice.xml"].Xattrs
	}
	require.NotEmpty(t, attrs(out))
	noAttrs := filepath.Join(t.TempDir(), "no-xattrs")
	c.ok("restore", "latest", "--tag", "full", "--no-xattrs", "--target", noAttrs)
	assert.Empty(t, attrs(noAttrs))

	c.ok("backup", "--tag", "bare", "--no-xattrs", "--force", src)
	bare := filepath.Join(t.TempDir(), "bare")
	c.ok("restore", "latest", "--tag", "bare", "--target", bare)
	assert.Empty(t, attrs(bare))
}

// TestChangingFileCLI backs up a file that a writer appends to during
// each read (a row lands after backup read the data and before it looks
// at the file's metadata again): exit status 3, a warning naming it, and
// the JSON summary lists it.
func TestChangingFileCLI(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "db")
	require.NoError(t, os.Mkdir(src, 0o755))
	db := filepath.Join(src, "ledger.db")
	require.NoError(t, fixture.RandomFile(db, 8<<20, 8))
	c, _ := fastRepo(t)

	f, err := os.OpenFile(db, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	defer f.Close()
	reads := 0
	defer testhook.OnFileRead(db, func() {
		reads++
		_, err := f.Write([]byte(strings.Repeat("row,", 64)))
		assert.NoError(t, err)
	})()
	res := c.run("backup", "--json", src)
	assert.Equal(t, 2, reads, "backup reads a changed file twice")
	require.Equal(t, exitDamage, res.code, "stderr: %s", res.stderr)
	assert.Contains(t, res.stderr, "changed while read")
	assert.Contains(t, res.stderr, db)
	var out backupJSON
	decodeJSON(t, res.stdout, &out)
	assert.Equal(t, []string{db}, out.Changed)
	assert.Equal(t, uint64(1), out.Stats.ChangedWhileRead)
}
