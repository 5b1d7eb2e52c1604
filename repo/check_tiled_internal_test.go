package repo

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// verify skips a pack's storage object hash only when the trailer's blobs
// lie end to end from its start (every byte then sealed): a gap, an
// overlap or another order makes it read the pack again with the hash.
func TestTiled(t *testing.T) {
	e := func(off, n uint32) PackEntry { return PackEntry{Offset: off, Length: n} }
	assert.True(t, tiled(nil))
	assert.True(t, tiled([]PackEntry{e(0, 40), e(40, 17), e(57, 100)}))
	assert.False(t, tiled([]PackEntry{e(1, 40)}), "a gap before the first")
	assert.False(t, tiled([]PackEntry{e(0, 40), e(41, 17)}), "a gap")
	assert.False(t, tiled([]PackEntry{e(0, 40), e(39, 17)}), "an overlap")
	assert.False(t, tiled([]PackEntry{e(40, 17), e(0, 40)}), "another order")
	assert.False(t, tiled([]PackEntry{e(0, 40), e(0, 40)}), "twice in one place")
}
