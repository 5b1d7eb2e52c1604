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

// open is os.OpenFile without the attempt to register the file with the
// runtime's poller, which fails for regular files and costs four fcntl
// calls and an epoll_ctl on every open (os.NewFile asks one fcntl). Only
// perm's permission bits are used.
func open(path string, flags int, perm os.FileMode) (*os.File, error) {
	for {
		fd, err := unix.Open(path, flags|unix.O_CLOEXEC, uint32(perm.Perm()))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return os.NewFile(uintptr(fd), path), nil
	}
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
