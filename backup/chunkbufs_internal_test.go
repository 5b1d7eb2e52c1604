package backup

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestChunkBufs(t *testing.T) {
	p := newChunkBufs(2, 1<<20, 8<<20)
	a := p.get(1000)
	assert.Len(t, a, 1000)
	assert.Equal(t, 2<<20, cap(a), "one capacity for every chunk up to twice the average")
	p.put(a)
	b := p.get(2 << 20)
	assert.Same(t, &a[:1][0], &b[:1][0], "a returned buffer is reused")
	big := p.get(3 << 20)
	assert.Len(t, big, 3<<20)
	p.put(big)
	assert.Empty(t, p.free, "a larger chunk's buffer is not kept")
	for range 4 {
		p.put(make([]byte, 0, 2<<20))
	}
	assert.Len(t, p.free, 2, "spares are bounded")
	assert.Equal(t, 4<<20, cap(newChunkBufs(1, 4<<20, 4<<20).get(1)), "capped at the largest chunk")
}
