package restore

import (
	"os"
	"time"

	"github.com/custodia-backup/custodia/internal/wintimes"
)

// setFileTimes sets the access and modification times of an open file to
// t, through its handle, to the 100 ns of Windows file times. It does not
// set the creation time, which snapshots do not hold.
func setFileTimes(f *os.File, t time.Time) error { return wintimes.SetFile(f, t) }

// setPathTimes sets the access and modification times of the entry at p
// (a folder, or a symbolic link itself rather than what it points at) to
// t. It does not set the creation time.
func setPathTimes(p string, t time.Time) error { return wintimes.SetPath(p, t) }
