package repo

import (
	"context"

	"github.com/custodia-backup/custodia/internal/bufpool"
	"github.com/klauspost/compress/zstd"
)

// SealScratch is the buffer in which a goroutine that saves blobs one
// after another seals them, kept from one blob to the next. A blob's
// sealed bytes live only until SaveBlob has copied them into their pack,
// so one goroutine's blobs can share a buffer; a fresh pooled buffer per
// blob missed the pool for most chunks (their sizes vary) and was 40 % of
// a file backup's allocations and most of its garbage collections
// (docs/PERFORMANCE.md). The zero value is ready to use; one SealScratch
// must not be used by two goroutines at once.
type SealScratch struct {
	buf []byte
}

// SaveBlobScratch is SaveBlob sealing the blob in s's buffer. The buffer
// holds blobs of up to twice the chunker's average size; a larger blob is
// sealed in a pooled buffer, as SaveBlob does. s may be nil.
func (r *Repository) SaveBlobScratch(ctx context.Context, t BlobType, id ID, data []byte, compress bool, s *SealScratch) (bool, error) {
	var enc *zstd.Encoder
	if compress {
		enc = r.encoder
	}
	return r.saveBlob(ctx, t, id, data, enc, s)
}

// sealBlobWith seals a blob in s's buffer when it has room for it, else
// (or with s nil) in a pooled buffer; release gives the buffer back.
func (r *Repository) sealBlobWith(s *SealScratch, h BlobHandle, data []byte, enc *zstd.Encoder) []byte {
	limit := sealedRoom(2 * r.cfg.Chunker.Avg)
	n := sealedRoom(len(data))
	if s == nil || n > limit {
		return r.sealBlob(h, data, enc)
	}
	if s.buf == nil {
		// A payload that compresses by less than 1/32 is stored raw, so
		// sealing in place needs no room beyond sealedRoom; zstd's
		// output before that check may exceed it by a little, and then
		// sealBlobIn seals into a pooled buffer instead.
		s.buf = make([]byte, limit)
	}
	return r.sealBlobIn(s.buf[:n], false, h, data, enc)
}

// release gives back the buffer of a blob sealed by sealBlobWith: s's own
// buffer stays with s, a pooled one goes back to the pool.
func (s *SealScratch) release(sealed []byte) {
	if s != nil && len(s.buf) > 0 && cap(sealed) > 0 && &sealed[:1][0] == &s.buf[0] {
		return
	}
	bufpool.Put(sealed)
}
