//go:build unix

package classify

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) the process has used, so that
// throughput can be reported per core on a loaded machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
