package backup

import "golang.org/x/sys/unix"

// errNoAttr is the error of reading an attribute that is not there.
const errNoAttr = unix.ENODATA
