//go:build unix

package backup

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenNoFollow: a file opens and reads as itself; a symbolic link in
// its place, or nothing there, fails as os.OpenFile would, named by path.
func TestOpenNoFollow(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "invoice.xml")
	require.NoError(t, os.WriteFile(file, []byte("<Invoice/>"), 0o600))

	f, err := openNoFollow(file)
	require.NoError(t, err)
	fi, err := f.Stat()
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular())
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	assert.Equal(t, "<Invoice/>", string(b))
	require.NoError(t, f.Close())

	link := filepath.Join(dir, "link.xml")
	require.NoError(t, os.Symlink(file, link))
	_, err = openNoFollow(link)
	var pe *os.PathError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, link, pe.Path)
	if runtime.GOOS == "linux" { // FreeBSD says EMLINK
		assert.ErrorIs(t, err, syscall.ELOOP)
	}

	_, err = openNoFollow(filepath.Join(dir, "missing.xml"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}
