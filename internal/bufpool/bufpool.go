// Package bufpool recycles large byte buffers in size classes a quarter of
// a power of two apart. The spare buffers it keeps are bounded in number
// per class and in bytes overall, so memory held for reuse is bounded
// (unlike sync.Pool, whose contents survive a garbage collection and count
// as live heap).
package bufpool

import (
	"math/bits"
	"sync/atomic"
)

const (
	minShift = 12 // 4 KiB
	maxShift = 30 // 1 GiB
	// steps is the number of classes per power of two: a buffer's capacity
	// is at most 25% more than asked for (a shard of 2 MiB and its header
	// takes 2.5 MiB, not 4).
	steps = 4
	// perClass is how many spare buffers a class keeps at most.
	perClass = 4
	// budget bounds the bytes of all spare buffers. (32 MiB, enough for
	// the shard buffers of verify's packs in flight, made no measurable
	// difference to its speed and raised its peak RSS.)
	budget = 8 << 20
)

// spare counts the bytes of the spare buffers.
var spare atomic.Int64

var classes [(maxShift - minShift + 1) * steps]chan []byte

func init() {
	for i := range classes {
		classes[i] = make(chan []byte, perClass)
	}
}

// classOf returns the class of a buffer of n bytes and that class's size.
// Sizes are 2^e * (steps+j)/steps for j in 0..steps-1, from 4 KiB on.
func classOf(n int) (int, int) {
	if n <= 1<<minShift {
		return 0, 1 << minShift
	}
	e := bits.Len(uint(n-1)) - 1 // 2^e < n <= 2^(e+1)
	unit := 1 << (e - 2)         // a quarter of 2^e
	j := (n - (1 << e) + unit - 1) / unit
	if j == steps {
		return (e+1-minShift)*steps + 0, 1 << (e + 1)
	}
	return (e-minShift)*steps + j, 1<<e + j*unit
}

// Get returns a buffer of length n whose capacity is n rounded up to its
// size class (exactly n above the spare budget, whose buffers are never
// kept). Its contents are arbitrary.
func Get(n int) []byte {
	c, size := classOf(n)
	if c >= len(classes) || size > budget {
		return make([]byte, n) // never kept for reuse: no need to round up
	}
	select {
	case b := <-classes[c]:
		spare.Add(-int64(cap(b)))
		return b[:n]
	default:
		return make([]byte, n, size)
	}
}

// Put returns a buffer obtained from Get for reuse. Buffers of other
// capacities, and buffers beyond the spares a class keeps, are dropped.
func Put(b []byte) {
	n := cap(b)
	c, size := classOf(n)
	if n < 1<<minShift || size != n || c >= len(classes) {
		return
	}
	if spare.Add(int64(n)) > budget {
		spare.Add(-int64(n))
		return
	}
	select {
	case classes[c] <- b[:0]:
	default:
		spare.Add(-int64(n))
	}
}
