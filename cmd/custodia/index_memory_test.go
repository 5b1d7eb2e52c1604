package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/fixture"
)

// TestIndexMemoryFlag backs up and restores with the smallest index bound
// through the flag and the environment, and refuses a bound that is not a
// number of MiB as bad usage.
func TestIndexMemoryFlag(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "books")
	_, err := fixture.WriteTree(src, 1)
	require.NoError(t, err)
	c, _ := fastRepo(t)
	cacheDir := t.TempDir()
	c = c.with("CUSTODIA_INDEX_DIR", cacheDir)
	c.ok("backup", "--index-memory", "1", src)
	c.with("CUSTODIA_INDEX_MEMORY", "1").ok("backup", src)
	out := filepath.Join(t.TempDir(), "out")
	c.ok("restore", "latest", "--index-memory", "1", "--target", out)
	requireSameTree(t, src, filepath.Join(out, "books"))
	left, err := os.ReadDir(cacheDir)
	require.NoError(t, err)
	assert.Empty(t, left, "no cache file is left behind")

	requireOneLineError(t, c.with("CUSTODIA_INDEX_MEMORY", "lots").run("snapshots"), exitUsage, "CUSTODIA_INDEX_MEMORY")
	requireOneLineError(t, c.run("snapshots", "--index-memory", "-3"), exitUsage, "--index-memory")
}
