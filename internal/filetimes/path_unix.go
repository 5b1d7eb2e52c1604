//go:build unix

package filetimes

import (
	"time"

	"golang.org/x/sys/unix"
)

// SetPath sets the access and modification times of the entry at p (a
// file, a folder, or a symbolic link itself, not what it points at) to t.
func SetPath(p string, t time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
}
