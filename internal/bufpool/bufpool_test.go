package bufpool

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGetPut(t *testing.T) {
	for _, n := range []int{0, 1, 4096, 4097, 1 << 20, 1<<20 + 1, 3 << 20} {
		b := Get(n)
		assert.Len(t, b, n)
		c := cap(b)
		assert.Equal(t, 0, c&(c-1), "capacity %d is a power of two", c)
		assert.GreaterOrEqual(t, c, n)
		Put(b)
		b2 := Get(n)
		assert.Equal(t, c, cap(b2), "a returned buffer is reused")
		Put(b2)
	}
	Put(make([]byte, 1000)) // foreign capacities are dropped
	for range 2 * perClass {
		Put(make([]byte, 0, 1<<16))
	}
	assert.Len(t, classes[16], perClass, "spares are bounded in number")
	for range 8 {
		Put(make([]byte, 0, 8<<20))
	}
	assert.LessOrEqual(t, spare.Load(), int64(budget), "spares are bounded in bytes")
}
