//go:build unix

package storage

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFilesArePrivate checks that shards (key slots are shards too) are
// created 0600 and folders 0700 under the usual umask, and that a
// stricter umask still applies.
func TestFilesArePrivate(t *testing.T) {
	for _, tc := range []struct {
		umask     int
		file, dir fs.FileMode
	}{
		{0o022, 0o600, 0o700},
		{0o000, 0o600, 0o700},
		{0o077, 0o600, 0o700},
		{0o277, 0o400, 0o500}, // no owner write: only the check of the modes works
	} {
		old := syscall.Umask(tc.umask)
		root := filepath.Join(t.TempDir(), "repo")
		s, err := Open(context.Background(), []string{root}, WithCreate(), WithShards(2, 1))
		if err == nil {
			err = s.Put(context.Background(), "keys/ab/slot", []byte("a key slot"))
			_ = s.Close()
		}
		syscall.Umask(old)
		if tc.umask&0o200 != 0 {
			// The folder cannot be written: only its mode is checked.
			fi, statErr := os.Stat(root)
			require.NoError(t, statErr)
			assert.Equal(t, tc.dir, fi.Mode().Perm(), "umask %03o: site folder", tc.umask)
			require.NoError(t, os.Chmod(root, 0o700))
			continue
		}
		require.NoError(t, err, "umask %03o", tc.umask)
		n := 0
		require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			require.NoError(t, err)
			fi, err := d.Info()
			require.NoError(t, err)
			want := tc.file
			if d.IsDir() {
				want = tc.dir
			} else {
				n++
			}
			assert.Equal(t, want, fi.Mode().Perm(), "umask %03o: %s", tc.umask, p)
			return nil
		}))
		assert.Equal(t, 3, n, "three shard files")
	}
}
