//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBackupSpecialFiles backs up a folder holding a named pipe next to
// regular files: the backup neither blocks on the pipe nor fails.
func TestBackupSpecialFiles(t *testing.T) {
	t.Parallel()
	c, _ := fastRepo(t)
	src := filepath.Join(t.TempDir(), "src")
	writeFile(t, filepath.Join(src, "a.txt"), []byte("a"), 0o644)
	require.NoError(t, syscall.Mkfifo(filepath.Join(src, "pipe"), 0o644))
	res := c.run("backup", src)
	require.Contains(t, []int{exitOK, exitDamage}, res.code, res.stderr)
	out := filepath.Join(t.TempDir(), "out")
	c.ok("restore", "latest", "--target", out)
	got, err := os.ReadFile(filepath.Join(out, "src", "a.txt"))
	require.NoError(t, err)
	assert.Equal(t, "a", string(got))
}
