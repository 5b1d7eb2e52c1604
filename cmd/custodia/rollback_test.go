package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRestoreLatestWarnsOnRollback: once this machine saw a snapshot,
// "restore latest" from a repository that lost it restores the older one
// and exits 3 with one warning line.
func TestRestoreLatestWarnsOnRollback(t *testing.T) {
	c, dir := fastRepo(t)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "a.txt"), []byte("first"), 0o644)
	c.ok("backup", "--quiet", src)
	writeFile(t, filepath.Join(src, "a.txt"), []byte("second"), 0o644)
	c.ok("backup", "--quiet", src)
	snaps := c.snapshotsJSON()
	require.Len(t, snaps, 2)
	c.ok("restore", "--quiet", "latest", "--target", filepath.Join(t.TempDir(), "out"))

	// The site rolls back: the newest snapshot's shards disappear.
	newest := snaps[1].ID
	matches, err := filepath.Glob(filepath.Join(dir, "snapshots", newest+".*"))
	require.NoError(t, err)
	require.NotEmpty(t, matches)
	for _, m := range matches {
		require.NoError(t, os.Remove(m))
	}
	out := filepath.Join(t.TempDir(), "out")
	res := c.run("restore", "--quiet", "latest", "--target", out)
	require.Equal(t, exitDamage, res.code, "stderr: %s", res.stderr)
	require.Contains(t, res.stderr, "rolled back")
	got, err := os.ReadFile(filepath.Join(out, filepath.Base(src), "a.txt"))
	require.NoError(t, err)
	require.Equal(t, "first", string(got))
}
