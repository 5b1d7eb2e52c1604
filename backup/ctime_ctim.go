//go:build linux || openbsd || solaris || illumos || aix || dragonfly

package backup

import (
	"syscall"
	"time"
)

// changeTime is the inode change time (ctime) of st.
func changeTime(st *syscall.Stat_t) time.Time {
	return time.Unix(int64(st.Ctim.Sec), int64(st.Ctim.Nsec))
}
