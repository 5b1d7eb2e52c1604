//go:build unix

package filetimes

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSetPathAndFile: times land to the nanosecond, on an open file and on
// a symbolic link itself, never on what the link points at.
func TestSetPathAndFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ledger.csv")
	require.NoError(t, os.WriteFile(file, []byte("a,b\n"), 0o600))
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	require.NoError(t, err)
	fileTime := time.Date(2021, 3, 4, 5, 6, 7, 123456789, time.UTC)
	require.NoError(t, SetFile(f, fileTime))
	require.NoError(t, f.Close())

	link := filepath.Join(dir, "latest.csv")
	require.NoError(t, os.Symlink(file, link))
	linkTime := time.Date(1999, 12, 31, 23, 59, 59, 1, time.UTC)
	require.NoError(t, SetPath(link, linkTime))

	fi, err := os.Lstat(file)
	require.NoError(t, err)
	assert.True(t, fi.ModTime().Equal(fileTime), "file: %v", fi.ModTime())
	li, err := os.Lstat(link)
	require.NoError(t, err)
	assert.True(t, li.ModTime().Equal(linkTime), "link: %v", li.ModTime())

	assert.Error(t, SetPath(filepath.Join(dir, "missing"), linkTime))
}
