package restore

import "golang.org/x/sys/unix"

// topDirFlag is FS_TOPDIR_FL (linux/fs.h, chattr +T): ext4's Orlov
// allocator treats a folder with it as the top of a hierarchy and places
// each folder made in it in a block group of its own choosing (the one
// with the fewest folders among those with more free inodes and blocks
// than average) instead of next to its parent.
const topDirFlag = 0x00020000

// spreadFolders marks target as the top of a folder hierarchy for the
// time of the restore (where the file system knows the flag and lets this
// process set it) and returns the function that restores target's flags
// as they were.
//
// Why: ext4 puts a new file's inode in its folder's group, and a new
// folder's near its parent's, so a restore lands where the target's
// neighbours are; after a large tree there was deleted (the previous
// restore), ext4 without a journal examines every inode freed in the last
// 60 s, on every file created, before it takes a free one
// (recently_deleted in fs/ext4/ialloc.c): that was 40% of a restore's CPU
// time and most of its system time (docs/PERFORMANCE.md). The flag changes
// where the folders go, nothing that is restored.
func spreadFolders(target string) (undo func()) {
	noop := func() {}
	fd, err := unix.Open(target, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return noop
	}
	flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	if err != nil || flags&topDirFlag != 0 ||
		unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(int32(flags|topDirFlag))) != nil {
		unix.Close(fd)
		return noop
	}
	return func() {
		// Back to the flags found, unless someone changed them meanwhile.
		if cur, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS); err == nil && cur == flags|topDirFlag {
			_ = unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(int32(flags)))
		}
		unix.Close(fd)
	}
}
