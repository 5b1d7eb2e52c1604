package repo

import (
	"github.com/custodia-backup/custodia/internal/zstdenc"
	"github.com/klauspost/compress/zstd"
)

// A payload larger than an encoder's block size is compressed with its
// history window, which each of the shared encoders (one per core)
// allocates on first use and keeps: over 1 MiB each. A file backup's
// chunks need it anyway; a table backup's blobs are pages far below it,
// and only its rare large payloads (lists of record pages, the writer's
// index files, both growing with the table up to a bound) would make it
// keep that memory for the rest of the backup, which a small table never
// reaches. Those payloads are compressed by an encoder of their own,
// dropped after: the same bytes (zstdenc.New), a short-lived buffer.

// zstdBlockSize is the smallest block size of the encoders (zstdenc; 64
// KiB at the fastest level, 128 KiB at the others): an encoder of any
// level compresses a payload up to this size in one block, without its
// history window. At the other levels a payload of 64–128 KiB also gets an
// encoder of its own, which it did not need: the same bytes either way.
const zstdBlockSize = 64 << 10

// ownEncoder returns an encoder of the repository's compression level of
// its own (zstdenc.New), writing what r.encoder writes.
func (r *Repository) ownEncoder() *zstd.Encoder {
	l, ok := betterEncoders[r.cfg.Compression]
	if !ok { // fastest, or an unknown level compressed at the fastest
		l = zstd.SpeedFastest
	}
	return zstdenc.New(l)
}

// envelopeEncoder returns the encoder of a metadata payload of n bytes
// that a writer stores rarely (its index files): the shared fastest
// encoder, or one of its own above the block size.
func envelopeEncoder(n int) *zstd.Encoder {
	if n > zstdBlockSize {
		return zstdenc.New(zstd.SpeedFastest)
	}
	return zstdEncoder
}
