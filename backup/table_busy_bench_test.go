package backup_test

import (
	"runtime"
	"runtime/metrics"
	"time"
)

// procTime samples the Go runtime's accounting of its processors (Ps):
// the time they ran goroutines or the garbage collector's own work,
// excluding idle time and the collector's idle-time marking (which only
// fills time nothing else wanted). Unlike the process's CPU time, a P
// counts as busy while its thread waits for a core that another process
// holds, so busy time over wall time is how many cores the backup's
// pipeline keeps busy, the figure a quiet machine would see, even when it
// is measured on a shared one.
type procTime struct {
	wall time.Time
	busy float64 // seconds
}

var procSamples = []metrics.Sample{
	{Name: "/cpu/classes/total:cpu-seconds"},
	{Name: "/cpu/classes/idle:cpu-seconds"},
	{Name: "/cpu/classes/gc/mark/idle:cpu-seconds"},
}

// readProcTime returns the processors' busy time so far, with wall as the
// instant it stands for. The runtime brings these figures up to date only
// when a garbage collection starts or ends, so it runs one first; its
// few milliseconds count as busy, not as wall time.
func readProcTime() procTime {
	wall := time.Now()
	runtime.GC()
	s := make([]metrics.Sample, len(procSamples))
	copy(s, procSamples)
	metrics.Read(s)
	return procTime{wall: wall, busy: s[0].Value.Float64() - s[1].Value.Float64() - s[2].Value.Float64()}
}

// coresBusy returns the average number of Ps busy since start.
func (start procTime) coresBusy() float64 {
	end := readProcTime()
	wall := end.wall.Sub(start.wall).Seconds()
	if wall <= 0 {
		return 0
	}
	return (end.busy - start.busy) / wall
}
