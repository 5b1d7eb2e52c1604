//go:build unix

package source

import (
	"time"

	"golang.org/x/sys/unix"
)

// setTimes sets the access and modification times of the entry at p to t,
// of a symbolic link itself rather than of what it points at.
func setTimes(p string, t time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
}
