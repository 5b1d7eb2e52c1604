package source

import (
	"time"

	"github.com/custodia-backup/custodia/internal/wintimes"
)

// setTimes sets the access and modification times of the entry at p to t,
// of a symbolic link itself rather than of what it points at. It does not
// set the creation time; the tree's times are whole minutes, which Windows
// file times (100 ns) hold exactly.
func setTimes(p string, t time.Time) error { return wintimes.SetPath(p, t) }
