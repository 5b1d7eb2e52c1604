package zstdenc

import (
	"bytes"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLevelRoundTripAndShared(t *testing.T) {
	text := bytes.Repeat([]byte("invoice 2026-11 customer 4711 amount 1200.00\n"), 500)
	d, err := zstd.NewReader(nil)
	require.NoError(t, err)
	defer d.Close()
	for _, l := range []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault, zstd.SpeedBetterCompression} {
		e := Level(l)
		assert.Same(t, e, Level(l), "one encoder per level")
		c := e.EncodeAll(text, nil)
		assert.Less(t, len(c), len(text)/10)
		got, err := d.DecodeAll(c, nil)
		require.NoError(t, err)
		assert.Equal(t, text, got)
	}
	assert.NotSame(t, Level(zstd.SpeedFastest), Level(zstd.SpeedDefault))
}

// TestNewWritesWhatLevelWrites compresses payloads around zstd's block
// size (64 KiB at the fastest level, 128 KiB at the others, above which the history window is used) with Level's
// shared encoder and with encoders of their own: the bytes are the same.
func TestNewWritesWhatLevelWrites(t *testing.T) {
	line := []byte("0123456789abcdef0123456789abcdef pages of table customers, group 00000001\n")
	for _, l := range []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault, zstd.SpeedBetterCompression} {
		for _, n := range []int{100, 64 << 10, 64<<10 + 1, 128 << 10, 128<<10 + 1, 300 << 10, 1 << 20, 3 << 20} {
			var src []byte
			for i := 0; len(src) < n; i++ {
				src = append(src, line...)
				src = append(src, byte(i), byte(i>>8), byte(i*7))
			}
			src = src[:n]
			shared := Level(l).EncodeAll(src, nil)
			assert.Equal(t, shared, New(l).EncodeAll(src, nil), "level %v, %d bytes", l, n)
			assert.Equal(t, shared, Level(l).EncodeAll(src, nil), "level %v, %d bytes, again", l, n)
		}
	}
}
