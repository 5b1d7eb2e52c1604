package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cacheFiles returns the index cache files under the cache folder dir.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "index-v1", "*", "*.idx"))
	require.NoError(t, err)
	return m
}

// The index is kept under CUSTODIA_CACHE_DIR (or --cache-dir) between
// commands, and not at all with --no-cache or CUSTODIA_NO_CACHE=1; a
// restore from the cached index gives back the files.
func TestCLIIndexCache(t *testing.T) {
	c, _ := fastRepo(t)
	src := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(src, "a.txt"), []byte("ledger 2024\n"), 0o600))

	off := c.with("CUSTODIA_CACHE_DIR", t.TempDir())
	off.ok("backup", "--quiet", "--no-cache", src)
	assert.Empty(t, cacheFiles(t, off.env["CUSTODIA_CACHE_DIR"]))
	off.with("CUSTODIA_NO_CACHE", "1").ok("snapshots")
	assert.Empty(t, cacheFiles(t, off.env["CUSTODIA_CACHE_DIR"]))
	requireOneLineError(t, off.with("CUSTODIA_NO_CACHE", "maybe").run("snapshots"), exitUsage, "CUSTODIA_NO_CACHE")

	c.ok("backup", "--quiet", src)
	files := cacheFiles(t, c.env["CUSTODIA_CACHE_DIR"])
	require.Len(t, files, 1)

	flag := t.TempDir()
	c.ok("snapshots", "--cache-dir", flag)
	assert.Len(t, cacheFiles(t, flag), 1, "--cache-dir wins over the environment")

	dst := filepath.Join(t.TempDir(), "out")
	c.ok("restore", "latest", "--target", dst)
	requireSameTree(t, src, filepath.Join(dst, filepath.Base(src)))
	assert.Equal(t, files, cacheFiles(t, c.env["CUSTODIA_CACHE_DIR"]))
}
