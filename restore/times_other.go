//go:build !linux

package restore

import (
	"os"
	"time"
)

// setFileTimes sets the access and modification times of the file f to t.
func setFileTimes(f *os.File, t time.Time) error {
	return os.Chtimes(f.Name(), t, t)
}
