// Package bufpool recycles large byte buffers in power-of-two size classes.
// The spare buffers it keeps are bounded in number per class and in bytes
// overall, so memory held for reuse is bounded (unlike sync.Pool, whose
// contents survive a garbage collection and count as live heap).
package bufpool

import (
	"math/bits"
	"sync/atomic"
)

const (
	minShift = 12 // 4 KiB
	maxShift = 30 // 1 GiB
	// perClass is how many spare buffers a class keeps at most.
	perClass = 4
	// budget bounds the bytes of all spare buffers.
	budget = 8 << 20
)

// spare counts the bytes of the spare buffers.
var spare atomic.Int64

var classes [maxShift + 1]chan []byte

func init() {
	for i := minShift; i <= maxShift; i++ {
		classes[i] = make(chan []byte, perClass)
	}
}

func class(n int) int {
	if n <= 1<<minShift {
		return minShift
	}
	return bits.Len(uint(n - 1))
}

// Get returns a buffer of length n whose capacity is n rounded up to a
// power of two. Its contents are arbitrary.
func Get(n int) []byte {
	c := class(n)
	if c > maxShift {
		return make([]byte, n)
	}
	select {
	case b := <-classes[c]:
		spare.Add(-int64(cap(b)))
		return b[:n]
	default:
		return make([]byte, n, 1<<c)
	}
}

// Put returns a buffer obtained from Get for reuse. Buffers of other
// capacities, and buffers beyond the spares a class keeps, are dropped.
func Put(b []byte) {
	c := cap(b)
	if c < 1<<minShift || c&(c-1) != 0 || c > 1<<maxShift {
		return
	}
	if spare.Add(int64(c)) > budget {
		spare.Add(-int64(c))
		return
	}
	select {
	case classes[bits.Len(uint(c))-1] <- b[:0]:
	default:
		spare.Add(-int64(c))
	}
}
