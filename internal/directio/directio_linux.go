package directio

import (
	"os"

	"golang.org/x/sys/unix"
)

const flagDirect = unix.O_DIRECT

var errInvalid = unix.EINVAL

// clearDirect turns O_DIRECT off on f.
func clearDirect(f *os.File) error {
	fd := f.Fd()
	flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	_, err = unix.FcntlInt(fd, unix.F_SETFL, flags&^unix.O_DIRECT)
	return err
}
