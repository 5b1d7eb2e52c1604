//go:build unix

package restore

import "golang.org/x/sys/unix"

// oNoFollow makes creating a file fail on a symbolic link put in its place.
const oNoFollow = unix.O_NOFOLLOW
