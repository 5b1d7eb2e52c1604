package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// gcPercent is the collector's target above the live heap: custodia's
// large buffers hold no pointers, so collecting often is cheap, and it
// keeps the peak memory of a file backup, restore or verify close to
// their bounded working set (docs/PERFORMANCE.md).
const gcPercent = 15

// gcPacer paces the garbage collector of the CLI: the heap may grow
// gcPercent above what is live, or up to a floor, whichever is more. The
// floor is 0 (none) unless a command raises it to memory its own bounds
// allow anyway: a table backup, whose sort memory (--sort-memory) a table
// read in key order never fills, lets the heap grow into it rather than
// collect every few megabytes of a small live heap (which cost 12–21 % of
// its CPU). After each collection the pacer sets the collector's
// percentage (debug.SetGCPercent) from the live heap it found.
type gcPacer struct {
	mu    sync.Mutex
	floor uint64
	last  int
	// unlockFloor: the next repository open sets the floor from the heap
	// its key derivation made (gc_unlock.go).
	unlockFloor bool
}

// limitMemory sets the CLI's garbage collection pacing and returns its
// pacer, or nil when the user's GOGC decides it. A GOMEMLIMIT set by the
// user is the Go runtime's, and caps the heap whatever the pacing.
func limitMemory(getenv func(string) string) *gcPacer {
	if getenv("GOGC") != "" {
		return nil
	}
	p := &gcPacer{last: gcPercent}
	debug.SetGCPercent(gcPercent)
	p.arm()
	return p
}

// runtimeHeapMinimum is the Go runtime's least heap goal at GOGC=100. The
// runtime scales it by the percentage: at GOGC=5000 no goal is below 200
// MiB, whatever the live heap.
const runtimeHeapMinimum = 4 << 20

// percentFor is the collector's percentage that makes the next heap goal
// the larger of gcPercent above live and floor. It is capped where the
// runtime's scaled heap minimum would pass the floor: a small live heap
// (1 MB after the key derivation's memory is collected) with a floor of
// 64 MiB would otherwise set GOGC to 5000 and a goal of 200 MiB (a table
// backup's peak RSS was 234 MB with the floor meant to keep it near 100).
func percentFor(live, floor uint64) int {
	if live == 0 || floor <= live+live*gcPercent/100 {
		return gcPercent
	}
	return int(max(min((floor-live)*100/live, floor*100/runtimeHeapMinimum, 10_000), gcPercent))
}

// setFloor raises (or, with 0, removes) the heap floor. A nil pacer (the
// user's GOGC, or tests running commands in-process) ignores it.
func (p *gcPacer) setFloor(n uint64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.floor = n
	p.mu.Unlock()
	p.tune()
}

// tune sets the collector's percentage from the live heap of the last
// collection.
func (p *gcPacer) tune() {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	live := uint64(0)
	if s[0].Value.Kind() == metrics.KindUint64 {
		live = s[0].Value.Uint64()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pct := percentFor(live, p.floor); pct != p.last {
		p.last = pct
		debug.SetGCPercent(pct)
	}
}

// gcSentinel is garbage at the next collection: its cleanup tunes the
// pacer and makes the next one. (A pointer keeps it out of the tiny
// allocator, whose blocks outlive their objects.)
type gcSentinel struct{ _ *byte }

func (p *gcPacer) arm() {
	runtime.AddCleanup(new(gcSentinel), func(p *gcPacer) {
		p.tune()
		p.arm()
	}, p)
}

// tableHeapFloor is the heap floor of a table backup whose sort may hold
// sortMiB MiB: that much. A table read in key order never fills the sort
// buffer, and its live heap (about 35–55 MiB) then leaves the collector
// room for tens of megabytes instead of a few; a table that fills the
// buffer collects at gcPercent above it, as before. (16 MiB more cost
// 20 MB of peak RSS for no CPU seen, docs/PERFORMANCE.md.)
func tableHeapFloor(sortMiB int) uint64 { return uint64(sortMiB) << 20 }
