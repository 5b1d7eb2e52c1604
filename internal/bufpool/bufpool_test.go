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
		assert.GreaterOrEqual(t, c, n)
		assert.LessOrEqual(t, c, max(4096, n+n/4), "capacity %d for %d bytes", c, n)
		Put(b)
		b2 := Get(n)
		assert.Equal(t, c, cap(b2), "a returned buffer is reused")
		Put(b2)
	}
	Put(make([]byte, 1000)) // foreign capacities are dropped
	for range 2 * perClass {
		Put(make([]byte, 0, 1<<16))
	}
	c16, _ := classOf(1 << 16)
	assert.Len(t, classes[c16], perClass, "spares are bounded in number")
	for range 8 {
		Put(make([]byte, 0, 8<<20))
		Put(make([]byte, 0, 10<<20))
	}
	assert.LessOrEqual(t, spare.Load(), int64(budget), "spares are bounded in bytes")
	big := Get(budget + 1)
	assert.Equal(t, budget+1, cap(big), "buffers above the budget are never kept, so not rounded up")
}

// Classes are a quarter of a power of two apart, contiguous and increasing:
// every size maps to the smallest class that holds it.
func TestClasses(t *testing.T) {
	prevClass, prevSize := -1, 0
	for n := 1; n <= 64<<20; n += 1 + n/97 {
		c, size := classOf(n)
		assert.GreaterOrEqual(t, size, n)
		assert.GreaterOrEqual(t, c, prevClass)
		if c == prevClass {
			assert.Equal(t, prevSize, size)
		} else if prevClass >= 0 {
			assert.Equal(t, prevClass+1, c, "no class skipped at %d", n)
			assert.Less(t, prevSize, n, "class %d (%d bytes) would hold %d", prevClass, prevSize, n)
		}
		c2, size2 := classOf(size)
		assert.Equal(t, c, c2, "a class size is in its own class")
		assert.Equal(t, size, size2)
		prevClass, prevSize = c, size
	}
	_, size := classOf(2<<20 + 88)
	assert.Equal(t, 5<<19, size, "a 2 MiB shard with its header takes 2.5 MiB")
}
