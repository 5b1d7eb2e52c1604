package table

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/custodia-backup/custodia/internal/zstdenc"
	"github.com/custodia-backup/custodia/repo"
)

// Version 3 of record pages keeps the encrypted values apart from the rest
// and compresses only the rest (docs/FORMAT.md §25.4):
//
//	"CRP3" || method u8 || uvarint(len(text)) || uvarint(len(stored)) || stored || sealed
//
// text is a version-2 page after its magic, except that each encrypted
// value (kind 5) is written as its kind and length only; sealed holds
// those values' bytes, one after the other in the order of the text.
// stored is text itself (method 0), one zstd frame of it (method 1) or one
// S2 block of it (method 2), at most maxRatio times smaller. A repository
// at the fastest level (the default) writes S2, about three times less CPU
// than zstd's fastest level for a larger page; the other levels write
// zstd at that level. The page is stored as a blob without the
// repository's compression: ciphertext does not compress, and the text has
// been.

// Compression methods of a version-3 page's text.
const (
	textRaw  byte = 0
	textZstd byte = 1
	textS2   byte = 2
)

// maxRatio bounds how much smaller than its text a version-3 page's
// compressed text may be, so that a reader never makes a buffer more than
// maxRatio times the page's size; a writer stores the text raw instead.
const maxRatio = 1024

// maxText bounds the text of a version-3 page (an object's size, FORMAT.md
// §23).
const maxText = 1 << 30

// textCompressor compresses the text of version-3 pages by one method.
type textCompressor struct {
	method byte
	zstd   *zstd.Encoder // method textZstd
}

// compress returns text compressed, in scratch's memory when it is large
// enough.
func (c textCompressor) compress(scratch, text []byte) []byte {
	if c.method == textS2 {
		if n := s2.MaxEncodedLen(len(text)); n > cap(scratch) {
			scratch = make([]byte, n)
		}
		return s2.Encode(scratch[:cap(scratch)], text)
	}
	return c.zstd.EncodeAll(text, scratch[:0])
}

// textEncoders compress the text of version-3 pages at the repository's
// level (repo.Config.Compression), made when first needed.
var textEncoders = map[repo.Compression]func() textCompressor{
	repo.CompressionFastest: func() textCompressor { return textCompressor{method: textS2} },
	repo.CompressionDefault: func() textCompressor {
		return textCompressor{method: textZstd, zstd: zstdenc.Level(zstd.SpeedDefault)}
	},
	repo.CompressionBetter: func() textCompressor {
		return textCompressor{method: textZstd, zstd: zstdenc.Level(zstd.SpeedBetterCompression)}
	},
}

// fastestZstd is zstd's fastest level, which version-3 pages were written
// with at the fastest repository level before S2 (kept for tests).
func fastestZstd() textCompressor {
	return textCompressor{method: textZstd, zstd: zstdenc.Level(zstd.SpeedFastest)}
}

// textEncoder returns the compressor of level c (the fastest for "" or a
// level this build does not know).
func textEncoder(c repo.Compression) textCompressor {
	if f, ok := textEncoders[c]; ok {
		return f()
	}
	return textEncoders[repo.CompressionFastest]()
}

var (
	textDecoder = sync.OnceValue(func() *zstd.Decoder {
		d, _ := zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(0),
			zstd.WithDecoderMaxMemory(maxText),
			zstd.WithDecodeAllCapLimit(true))
		return d
	})
)

// appendPageV3 appends the version-3 page of text and sealed to dst, its
// text compressed with enc; scratch is a buffer to reuse for the
// compressed text, returned grown.
func appendPageV3(dst []byte, enc textCompressor, scratch, text, sealed []byte) ([]byte, []byte) {
	stored, method := enc.compress(scratch, text), enc.method
	scratch = stored
	if len(stored) >= len(text) || uint64(len(stored))*maxRatio < uint64(len(text)) {
		stored, method = text, textRaw
	}
	dst = append(dst, recordPageMagicV3...)
	dst = append(dst, method)
	dst = binary.AppendUvarint(dst, uint64(len(text)))
	dst = binary.AppendUvarint(dst, uint64(len(stored)))
	dst = append(dst, stored...)
	return append(dst, sealed...), scratch
}

// decodePageV3 parses a version-3 record page after its magic.
func decodePageV3(b []byte) (*Page, error) {
	if len(b) < 1 {
		return nil, fmt.Errorf("%w: truncated record page", ErrMalformed)
	}
	method := b[0]
	textLen, b, err := uvarint(b[1:])
	if err != nil {
		return nil, err
	}
	stored, sealed, err := lenBytes(b)
	if err != nil {
		return nil, err
	}
	var text []byte
	switch method {
	case textRaw:
		if textLen != uint64(len(stored)) {
			return nil, fmt.Errorf("%w: raw page text of %d bytes announced as %d", ErrMalformed, len(stored), textLen)
		}
		text = stored
	case textZstd:
		if textLen > maxText || textLen > uint64(len(stored))*maxRatio || textLen <= uint64(len(stored)) {
			return nil, fmt.Errorf("%w: page text of %d bytes compressed to %d", ErrMalformed, textLen, len(stored))
		}
		text, err = textDecoder().DecodeAll(stored, make([]byte, 0, textLen))
		if err != nil {
			return nil, fmt.Errorf("%w: page text: %v", ErrMalformed, err)
		}
		if uint64(len(text)) != textLen {
			return nil, fmt.Errorf("%w: page text of %d bytes announced as %d", ErrMalformed, len(text), textLen)
		}
	case textS2:
		// The block starts with its decoded length: checked before any
		// buffer is made.
		n, err := s2.DecodedLen(stored)
		if err != nil || uint64(n) != textLen || textLen > maxText || textLen > uint64(len(stored))*maxRatio || textLen <= uint64(len(stored)) {
			return nil, fmt.Errorf("%w: page text of %d bytes compressed to %d", ErrMalformed, textLen, len(stored))
		}
		if text, err = s2.Decode(make([]byte, textLen), stored); err != nil {
			return nil, fmt.Errorf("%w: page text: %v", ErrMalformed, err)
		}
		if uint64(len(text)) != textLen {
			return nil, fmt.Errorf("%w: page text of %d bytes announced as %d", ErrMalformed, len(text), textLen)
		}
	default:
		return nil, fmt.Errorf("%w: page text compression %d", ErrMalformed, method)
	}
	return decodePageV2(text, &sealed)
}
