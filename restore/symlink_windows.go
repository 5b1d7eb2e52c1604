package restore

import (
	"errors"

	"golang.org/x/sys/windows"
)

// symlinkRefused reports whether err says that this process may not make
// symbolic links at all: Windows lets only administrators, or anyone in
// Developer Mode, make them (ERROR_PRIVILEGE_NOT_HELD). The link is then
// reported and the restore goes on; what it does not do on Windows is
// make such a link some other way (a junction or a copy of the target).
func symlinkRefused(err error) bool {
	return errors.Is(err, windows.ERROR_PRIVILEGE_NOT_HELD)
}
