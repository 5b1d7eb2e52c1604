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
