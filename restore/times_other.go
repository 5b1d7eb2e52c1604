//go:build unix && !linux

package restore

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// setFileTimes sets the access and modification times of the file f (by
// its path, never following a symbolic link put in its place) to t.
func setFileTimes(f *os.File, t time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
	return unix.UtimesNanoAt(unix.AT_FDCWD, f.Name(), ts, unix.AT_SYMLINK_NOFOLLOW)
}
