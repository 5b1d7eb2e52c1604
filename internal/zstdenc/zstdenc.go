// Package zstdenc holds the zstd encoders custodia compresses with: one
// per level, shared by every caller, made when first needed. It knows
// nothing of what is compressed.
package zstdenc

import (
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
)

var encoders sync.Map // zstd.EncoderLevel → func() *zstd.Encoder

// Level returns the shared encoder of level for EncodeAll (safe for
// concurrent use, one encoder state per core).
func Level(level zstd.EncoderLevel) *zstd.Encoder {
	f, _ := encoders.LoadOrStore(level, sync.OnceValue(func() *zstd.Encoder { return newEncoder(level, runtime.GOMAXPROCS(0)) }))
	return f.(func() *zstd.Encoder)()
}

// New returns an encoder of level of its own, for one caller at a time,
// that writes exactly what Level's writes. A caller that compresses a
// large payload rarely uses it and drops it after, so that Level's
// encoders do not allocate and keep a history window (over 1 MiB each)
// for the rest of the process.
func New(level zstd.EncoderLevel) *zstd.Encoder { return newEncoder(level, 1) }

func newEncoder(level zstd.EncoderLevel, concurrency int) *zstd.Encoder {
	e, _ := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(level),
		zstd.WithEncoderConcurrency(concurrency),
		zstd.WithLowerEncoderMem(true),
		zstd.WithZeroFrames(true),
		// A 1 MiB window: chunks average 1 MiB, and a larger window only
		// made each encoder keep up to 9 MiB of history (one encoder per
		// core) for 0.03% of repository size on the shared dataset.
		zstd.WithWindowSize(1<<20),
		// Every payload is authenticated by its AEAD tag and re-hashed
		// against its ID on reading: zstd's own checksum adds nothing.
		zstd.WithEncoderCRC(false))
	return e
}
