package directio

import (
	"os"

	"golang.org/x/sys/unix"
)

const flagDirect = unix.O_DIRECT

var errInvalid = unix.EINVAL

// setDirect turns O_DIRECT on for f; a file system without direct I/O
// refuses with EINVAL. A variable so that tests can fake the refusal.
var setDirect = func(f *os.File) error {
	fd := f.Fd()
	flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	_, err = unix.FcntlInt(fd, unix.F_SETFL, flags|unix.O_DIRECT)
	return err
}

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
