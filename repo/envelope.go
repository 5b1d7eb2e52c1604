package repo

import (
	"bytes"
	"fmt"
	"io"
	"slices"

	"github.com/klauspost/compress/zstd"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/internal/bufpool"
	"github.com/custodia-backup/custodia/internal/zstdenc"
)

// Envelope layout of every sealed metadata object (config, index files,
// snapshots, keyrings):
//
//	magic   [4]byte  object kind, e.g. "CCFG"
//	version uint8    1
//	keyID   [16]byte which key sealed it (crypto.KeyID)
//	sealed  []byte   crypto.AEAD output: nonce || ciphertext || tag
//
// The additional data of the AEAD is magic || version || keyID || name, where
// name is the object's storage name, so an object cannot be moved under
// another name or kind without detection. The plaintext starts with one
// encoding byte (encRaw or encZstd) followed by the payload.
const (
	envelopeVersion = 1
	envelopeHeader  = 4 + 1 + 16
)

// Magic numbers of the sealed object kinds.
const (
	magicConfig   = "CCFG"
	magicIndex    = "CIDX"
	magicSnapshot = "CSNP"
	magicKeyring  = "CKRG"
)

// Payload encodings, the first plaintext byte of every sealed blob and
// metadata object.
const (
	encRaw  byte = 0
	encZstd byte = 1
)

var (
	// zstdEncoder is the fastest level's encoder: the default for blobs,
	// and the one for metadata and for worthCompressing's samples.
	zstdEncoder    = zstdenc.Level(zstd.SpeedFastest)
	zstdDecoder, _ = zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(1<<30),
		zstd.WithDecodeAllCapLimit(true))
)

// Compression is a repository's zstd level for blobs (Config.Compression).
// Every level writes the same format; it trades backup speed for size.
type Compression string

// The compression levels. On the shared bookkeeping dataset (see
// docs/PERFORMANCE.md) the default level stores 3.5-6% less than the
// fastest and compresses 40-65% slower; better stores 5-16% less and
// takes 3-4 times as long.
const (
	CompressionFastest Compression = "fastest" // the default: a short backup window
	CompressionDefault Compression = "default" // zstd's default level, about what restic uses
	CompressionBetter  Compression = "better"  // smaller again, for slow or costly storage
)

// betterEncoders holds the encoders of the levels other than fastest,
// made when a repository first needs one.
var betterEncoders = map[Compression]zstd.EncoderLevel{
	CompressionDefault: zstd.SpeedDefault,
	CompressionBetter:  zstd.SpeedBetterCompression,
}

// encoder returns the encoder of level c; ok is false for an unknown level.
func (c Compression) encoder() (enc *zstd.Encoder, ok bool) {
	if c == "" || c == CompressionFastest {
		return zstdEncoder, true
	}
	if l, ok := betterEncoders[c]; ok {
		return zstdenc.Level(l), true
	}
	return nil, false
}

// encodePayload appends to dst the encoding byte and the payload,
// compressed with enc (nil: not compressed) when that saves at least 1/32
// of the size.
func encodePayload(dst, payload []byte, enc *zstd.Encoder) []byte {
	if enc != nil && len(payload) >= 256<<10 && !worthCompressing(payload) {
		enc = nil
	}
	if enc != nil && len(payload) >= 64 {
		start := len(dst)
		dst = append(dst, encZstd)
		dst = enc.EncodeAll(payload, dst)
		if len(dst)-start-1 <= len(payload)-len(payload)/32 {
			return dst
		}
		dst = dst[:start]
	}
	dst = append(dst, encRaw)
	return append(dst, payload...)
}

// worthCompressing compresses a sample from the middle of a large payload
// to skip whole-payload compression of incompressible data (scans, PDFs,
// archives).
func worthCompressing(payload []byte) bool {
	const sample = 32 << 10
	mid := len(payload)/2 - sample/2
	out := zstdEncoder.EncodeAll(payload[mid:mid+sample], bufpool.Get(sample + 1024)[:0])
	ok := len(out) < sample-sample/16
	bufpool.Put(out)
	return ok
}

// decodePayload reverses encodePayload, appending the payload to dst.
// maxSize bounds the decoded size.
func decodePayload(dst, enc []byte, maxSize int) ([]byte, error) {
	if len(enc) == 0 {
		return nil, fmt.Errorf("%w: empty payload", ErrMalformed)
	}
	switch enc[0] {
	case encRaw:
		if len(enc)-1 > maxSize {
			return nil, fmt.Errorf("%w: payload of %d bytes exceeds %d", ErrMalformed, len(enc)-1, maxSize)
		}
		return append(dst, enc[1:]...), nil
	case encZstd:
		// Memory is bounded by maxSize, never by what the payload claims: a
		// frame that announces its size gets exactly that much room (and
		// decoding cannot exceed it); one that does not (zstd omits the size
		// of inputs under 256 bytes) is decoded as a stream cut at maxSize.
		var hdr zstd.Header
		if err := hdr.Decode(enc[1:]); err != nil {
			return nil, fmt.Errorf("%w: zstd header: %v", ErrMalformed, err)
		}
		if !hdr.HasFCS {
			return decodeZstdStream(dst, enc[1:], maxSize)
		}
		if hdr.FrameContentSize > uint64(maxSize) {
			return nil, fmt.Errorf("%w: zstd frame announces %d bytes, more than %d", ErrMalformed, hdr.FrameContentSize, maxSize)
		}
		n := int(hdr.FrameContentSize)
		out, err := zstdDecoder.DecodeAll(enc[1:], slices.Grow(dst, n)[:len(dst)])
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %v", ErrMalformed, err)
		}
		if len(out)-len(dst) != n {
			return nil, fmt.Errorf("%w: zstd frame decodes to %d bytes, announces %d", ErrMalformed, len(out)-len(dst), n)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%w: unknown payload encoding %d", ErrMalformed, enc[0])
	}
}

// decodeZstdStream decodes zstd frames that do not announce their size,
// failing once the output would exceed maxSize.
func decodeZstdStream(dst, src []byte, maxSize int) ([]byte, error) {
	d, err := zstd.NewReader(bytes.NewReader(src), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(8<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: zstd: %v", ErrMalformed, err)
	}
	defer d.Close()
	var out bytes.Buffer
	out.Write(dst)
	n, err := out.ReadFrom(io.LimitReader(d, int64(maxSize)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: zstd: %v", ErrMalformed, err)
	}
	if n > int64(maxSize) {
		return nil, fmt.Errorf("%w: payload exceeds %d bytes", ErrMalformed, maxSize)
	}
	return out.Bytes(), nil
}

func envelopeAD(magic string, keyID crypto.KeyID, name string) []byte {
	ad := make([]byte, 0, envelopeHeader+len(name))
	ad = append(ad, magic...)
	ad = append(ad, envelopeVersion)
	ad = append(ad, keyID[:]...)
	return append(ad, name...)
}

// sealEnvelope seals payload as a metadata object of the given kind stored
// under name.
func sealEnvelope(magic string, k *sealKey, name string, payload []byte) []byte {
	return sealEnvelopeWith(magic, k, name, payload, zstdEncoder)
}

// sealEnvelopeWith is sealEnvelope compressing with enc, an encoder of
// the fastest level (encoder_once.go).
func sealEnvelopeWith(magic string, k *sealKey, name string, payload []byte, enc *zstd.Encoder) []byte {
	ad := envelopeAD(magic, k.id, name)
	out := make([]byte, 0, envelopeHeader+len(payload)/2+crypto.Overhead+16)
	out = append(out, ad[:envelopeHeader]...)
	plain := encodePayload(nil, payload, enc)
	return k.aead.Seal(out, plain, ad)
}

// envelopeKeyID returns the key ID of a sealed object after checking its
// header.
func envelopeKeyID(magic string, b []byte) (crypto.KeyID, error) {
	var id crypto.KeyID
	if len(b) < envelopeHeader+crypto.Overhead+1 {
		return id, fmt.Errorf("%w: %s object of %d bytes is too short", ErrMalformed, magic, len(b))
	}
	if !bytes.Equal(b[:4], []byte(magic)) {
		return id, fmt.Errorf("%w: bad magic %q, want %q", ErrMalformed, b[:4], magic)
	}
	if b[4] != envelopeVersion {
		return id, fmt.Errorf("%w: %s object version %d", ErrUnsupported, magic, b[4])
	}
	copy(id[:], b[5:envelopeHeader])
	return id, nil
}

// openEnvelope authenticates and decodes a sealed metadata object. keys
// resolves the key ID found in its header.
func openEnvelope(magic string, b []byte, name string, keys func(crypto.KeyID) (*sealKey, error), maxSize int) ([]byte, error) {
	id, err := envelopeKeyID(magic, b)
	if err != nil {
		return nil, err
	}
	k, err := keys(id)
	if err != nil {
		return nil, err
	}
	plain, err := k.aead.Open(nil, b[envelopeHeader:], envelopeAD(magic, id, name))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, name, err)
	}
	return decodePayload(nil, plain, maxSize)
}
