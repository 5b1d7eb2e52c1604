//go:build unix

package restore_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/restore"
)

// modeTree makes a source tree whose files and folders have varied
// permissions (special bits included) and times.
func modeTree(t *testing.T) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "modes")
	require.NoError(t, os.MkdirAll(filepath.Join(src, "deep", "er"), 0o755))
	modes := map[string]os.FileMode{
		"rw-r--r--": 0o644, "rw-------": 0o600, "rwxr-xr-x": 0o755, "r--r--r--": 0o444,
		"rw-rw-rw-": 0o666, "none": 0, "setuid": 0o755 | os.ModeSetuid, "sticky": 0o644 | os.ModeSticky,
	}
	when := time.Date(2024, 3, 1, 12, 0, 0, 123456789, time.UTC)
	for name, mode := range modes {
		for _, dir := range []string{src, filepath.Join(src, "deep", "er")} {
			p := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(p, []byte(name), 0o600))
			require.NoError(t, os.Chmod(p, mode))
			require.NoError(t, os.Chtimes(p, when, when))
		}
	}
	require.NoError(t, os.Chmod(filepath.Join(src, "deep", "er"), 0o500))
	require.NoError(t, os.Chmod(filepath.Join(src, "deep"), 0o750))
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(src, "deep", "er"), 0o700) })
	return src
}

// TestRestoreModesWhateverTheUmask shows that files, created with their
// permissions, end with exactly them whatever the umask takes away.
func TestRestoreModesWhateverTheUmask(t *testing.T) {
	ctx := context.Background()
	src := modeTree(t)
	r, _ := fixture.NewRepo(t, "")
	res, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	for _, mask := range []int{0o022, 0o077, 0o000, 0o777} {
		old := syscall.Umask(mask)
		target := t.TempDir()
		out, err := restore.Snapshot(ctx, r, res.Snapshot, target)
		syscall.Umask(old)
		require.NoError(t, err)
		require.Empty(t, out.Errors)
		fixture.RequireSameTree(t, src, filepath.Join(target, "modes"))
		_ = os.Chmod(filepath.Join(target, "modes", "deep", "er"), 0o700) // for the cleanup
	}
}

// TestRestoreOwnersAsRoot shows that root restores every owner and group,
// also those of files it leaves out the chown for (owned by root), and
// also into a set-group-ID folder, whose group new files would take.
func TestRestoreOwnersAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root restores owners")
	}
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "owners")
	require.NoError(t, os.MkdirAll(filepath.Join(src, "sub"), 0o755))
	owners := map[string][2]int{"root": {0, 0}, "user": {1234, 5678}, "rootuser": {0, 5678}, "userroot": {1234, 0}}
	for name, o := range owners {
		for _, dir := range []string{src, filepath.Join(src, "sub")} {
			p := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(p, []byte(name), 0o644))
			require.NoError(t, os.Chown(p, o[0], o[1]))
		}
	}
	r, _ := fixture.NewRepo(t, "")
	res, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)

	target := t.TempDir()
	_, err = restore.Snapshot(ctx, r, res.Snapshot, target)
	require.NoError(t, err)
	fixture.RequireSameTree(t, src, filepath.Join(target, "owners"))

	sgid := t.TempDir()
	require.NoError(t, os.Chown(sgid, 0, 4321))
	require.NoError(t, os.Chmod(sgid, 0o755|os.ModeSetgid))
	_, err = restore.Snapshot(ctx, r, res.Snapshot, sgid)
	require.NoError(t, err)
	fixture.RequireSameTree(t, src, filepath.Join(sgid, "owners"))
}
