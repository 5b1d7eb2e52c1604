package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/zeebo/blake3"
)

// Shard blob layout (format version 1). Every shard blob is a fixed
// HeaderSize-byte header followed by ShardLen bytes of shard data:
//
//	offset size field
//	0      4    magic "CSHD"
//	4      1    version (1)
//	5      1    data shards k (1..255)
//	6      1    parity shards m (0..254, k+m <= 255)
//	7      1    shard index i (0..k+m-1)
//	8      8    object length in bytes (uint64 big endian)
//	16     8    shard length L = ceil(object length / k) (uint64 big endian)
//	24     32   object hash: BLAKE3 derive_key(objectHashContext, frame(name) || object)
//	56     32   shard hash:  BLAKE3 derive_key(shardHashContext, frame(name) || header[0:56] || shard data)
//	88     L    shard data
//
// frame(name) is the uint64 big-endian byte length of the object name
// followed by the name's bytes. docs/FORMAT.md (storage section) is the
// normative description.
const (
	// HeaderSize is the size in bytes of the header at the start of every
	// shard blob.
	HeaderSize = 88

	// MaxShards is the largest supported total shard count k+m.
	MaxShards = 255

	// MaxObjectSize is the largest object Put accepts (1 GiB). Objects are
	// held in memory while they are coded.
	MaxObjectSize = 1 << 30

	shardMagic   = "CSHD"
	shardVersion = 1

	hashedHeaderLen = 56 // header bytes covered by the shard hash

	objectHashContext = "custodia storage v1 object hash"
	shardHashContext  = "custodia storage v1 shard hash"
)

// ShardHeader is the decoded header of one shard blob.
type ShardHeader struct {
	Version      uint8    // format version, always 1
	DataShards   int      // k
	ParityShards int      // m
	Index        int      // this shard's index, 0..k+m-1
	ObjectLen    uint64   // length of the whole object in bytes
	ShardLen     uint64   // length of every shard's data in bytes
	ObjectHash   [32]byte // BLAKE3 (public context, unkeyed) of the object name and bytes
	Hash         [32]byte // BLAKE3 (public context, unkeyed) of the name, header[0:56] and the shard data
}

// shardLen returns ceil(objLen/k) without overflow.
func shardLen(objLen uint64, k int) uint64 {
	q := objLen / uint64(k)
	if objLen%uint64(k) != 0 {
		q++
	}
	return q
}

func writeFrame(h *blake3.Hasher, name string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(name)))
	_, _ = h.Write(n[:])
	_, _ = h.WriteString(name)
}

// objectHash is the object hash stored in every shard header of an object.
func objectHash(name string, object []byte) [32]byte {
	h := blake3.NewDeriveKey(objectHashContext)
	writeFrame(h, name)
	_, _ = h.Write(object)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// shardHash is the hash that ends a shard header.
func shardHash(name string, hdr56, data []byte) [32]byte {
	h := blake3.NewDeriveKey(shardHashContext)
	writeFrame(h, name)
	_, _ = h.Write(hdr56)
	_, _ = h.Write(data)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// putHeaderFields writes header bytes [0:56] (everything but the shard hash).
func putHeaderFields(dst []byte, h *ShardHeader) {
	copy(dst[0:4], shardMagic)
	dst[4] = shardVersion
	dst[5] = byte(h.DataShards)
	dst[6] = byte(h.ParityShards)
	dst[7] = byte(h.Index)
	binary.BigEndian.PutUint64(dst[8:16], h.ObjectLen)
	binary.BigEndian.PutUint64(dst[16:24], h.ShardLen)
	copy(dst[24:56], h.ObjectHash[:])
}

// encodeShardHeader fills dst[0:HeaderSize] with the header of the shard
// holding data, computing the shard hash (which is also stored in h.Hash).
func encodeShardHeader(dst []byte, name string, h *ShardHeader, data []byte) {
	h.Version = shardVersion
	putHeaderFields(dst, h)
	h.Hash = shardHash(name, dst[:hashedHeaderLen], data)
	copy(dst[hashedHeaderLen:HeaderSize], h.Hash[:])
}

// EncodeShard returns the complete shard blob (header followed by data) for
// shard h.Index of object name. h.Version and h.Hash are filled in; the other
// fields must be consistent (see DecodeShard) or an error wrapping
// ErrInvalidShards is returned.
func EncodeShard(name string, h ShardHeader, data []byte) ([]byte, error) {
	h.Version = shardVersion
	if err := h.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidShards, err)
	}
	if uint64(len(data)) != h.ShardLen {
		return nil, fmt.Errorf("%w: data is %d bytes, header says %d", ErrInvalidShards, len(data), h.ShardLen)
	}
	out := make([]byte, HeaderSize+len(data))
	encodeShardHeader(out, name, &h, data)
	copy(out[HeaderSize:], data)
	return out, nil
}

// validate checks the internal consistency of the header fields.
func (h *ShardHeader) validate() error {
	switch {
	case h.Version != shardVersion:
		return fmt.Errorf("unsupported version %d", h.Version)
	case h.DataShards < 1:
		return fmt.Errorf("data shard count %d < 1", h.DataShards)
	case h.ParityShards < 0 || h.DataShards+h.ParityShards > MaxShards:
		return fmt.Errorf("shard counts %d+%d exceed %d", h.DataShards, h.ParityShards, MaxShards)
	case h.Index < 0 || h.Index >= h.DataShards+h.ParityShards:
		return fmt.Errorf("shard index %d out of range 0..%d", h.Index, h.DataShards+h.ParityShards-1)
	case h.ShardLen != shardLen(h.ObjectLen, h.DataShards):
		return fmt.Errorf("shard length %d does not match object length %d / %d data shards", h.ShardLen, h.ObjectLen, h.DataShards)
	}
	return nil
}

// parseShardHeader decodes and checks the structure of a shard header
// without verifying its hash (which needs the shard data).
func parseShardHeader(b []byte) (ShardHeader, error) {
	var h ShardHeader
	if len(b) < HeaderSize {
		return h, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrShardCorrupt, len(b), HeaderSize)
	}
	if !bytes.Equal(b[0:4], []byte(shardMagic)) {
		return h, fmt.Errorf("%w: bad magic %q", ErrShardCorrupt, b[0:4])
	}
	h.Version = b[4]
	h.DataShards = int(b[5])
	h.ParityShards = int(b[6])
	h.Index = int(b[7])
	h.ObjectLen = binary.BigEndian.Uint64(b[8:16])
	h.ShardLen = binary.BigEndian.Uint64(b[16:24])
	copy(h.ObjectHash[:], b[24:56])
	copy(h.Hash[:], b[56:88])
	if err := h.validate(); err != nil {
		return h, fmt.Errorf("%w: %v", ErrShardCorrupt, err)
	}
	return h, nil
}

// DecodeShard decodes a complete shard blob b of object name, verifies its
// structure, length and shard hash, and returns the header and the shard
// data (a sub-slice of b). Any malformed or damaged input yields an error
// wrapping ErrShardCorrupt; DecodeShard never panics.
func DecodeShard(name string, b []byte) (ShardHeader, []byte, error) {
	if len(b) < HeaderSize {
		_, err := parseShardHeader(b)
		return ShardHeader{}, nil, err
	}
	h, err := decodeShardParts(name, b[:HeaderSize], b[HeaderSize:])
	if err != nil {
		return h, nil, err
	}
	return h, b[HeaderSize:], nil
}

// decodeShardParts is DecodeShard of a shard read as its header and its
// data in separate buffers.
func decodeShardParts(name string, hdr, data []byte) (ShardHeader, error) {
	h, err := parseShardHeader(hdr)
	if err != nil {
		return h, err
	}
	if uint64(len(data)) != h.ShardLen {
		return h, fmt.Errorf("%w: %d data bytes, header says %d", ErrShardCorrupt, len(data), h.ShardLen)
	}
	if shardHash(name, hdr[:hashedHeaderLen], data) != h.Hash {
		return h, fmt.Errorf("%w: checksum mismatch", ErrShardCorrupt)
	}
	return h, nil
}
