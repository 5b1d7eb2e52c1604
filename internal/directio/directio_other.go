//go:build !linux

package directio

import (
	"errors"
	"os"
)

const flagDirect = 0 // no direct I/O: every Writer writes through

var errInvalid = errors.New("direct I/O not supported")

// open is os.OpenFile.
func open(path string, flags int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(path, flags, perm.Perm())
}

func clearDirect(*os.File) error { return nil }

var setDirect = func(*os.File) error { return errInvalid }
