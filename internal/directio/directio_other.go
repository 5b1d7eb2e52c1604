//go:build !linux

package directio

import (
	"errors"
	"os"
)

const flagDirect = 0 // no direct I/O: every Writer writes through

var errInvalid = errors.New("direct I/O not supported")

func clearDirect(*os.File) error { return nil }

var setDirect = func(*os.File) error { return errInvalid }
