//go:build unix

package backup

import (
	"os"
	"syscall"
)

// openNoFollow opens the file at path for reading; a symbolic link put in
// its place is not followed (the open fails).
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
}
