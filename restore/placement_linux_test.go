package restore_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/restore"
)

const topDirFlag = 0x00020000 // FS_TOPDIR_FL

func dirFlags(t *testing.T, dir string) (uint32, error) {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	require.NoError(t, err)
	defer unix.Close(fd)
	return unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
}

// TestRestoreSpreadsFoldersWhileRestoring shows that the target is marked
// as the top of a folder hierarchy while the restore runs (where its file
// system has the flag) and has its own flags again afterwards, and that
// the restored tree is the source's.
func TestRestoreSpreadsFoldersWhileRestoring(t *testing.T) {
	ctx := context.Background()
	r, s, src := snapshotOf(t, "")
	target := t.TempDir()
	before, err := dirFlags(t, target)
	if err != nil {
		t.Skipf("the file system of %s has no attribute flags: %v", target, err)
	}
	// Whether this file system and process may set the flag at all.
	probe := t.TempDir()
	fd, err := unix.Open(probe, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	require.NoError(t, err)
	supported := unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(int32(before|topDirFlag))) == nil
	unix.Close(fd)

	var seen atomic.Uint32
	_, err = restore.Snapshot(ctx, r, s, target, restore.WithProgress(func(restore.Progress) {
		if f, err := dirFlags(t, target); err == nil {
			seen.Store(seen.Load() | f)
		}
	}, time.Millisecond))
	require.NoError(t, err)
	after, err := dirFlags(t, target)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the target's flags are its own again")
	if supported && before&topDirFlag == 0 {
		assert.NotZero(t, seen.Load()&topDirFlag, "the target was the top of a hierarchy during the restore")
	}
	fixture.RequireSameTree(t, src, filepath.Join(target, filepath.Base(src)))
}
