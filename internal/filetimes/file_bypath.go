//go:build unix && !linux

package filetimes

import (
	"os"
	"time"
)

// SetFile sets the access and modification times of the file f to t, by
// its path (SetPath: never following a symbolic link put in its place).
func SetFile(f *os.File, t time.Time) error { return SetPath(f.Name(), t) }
