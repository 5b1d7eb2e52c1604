package repo

import (
	"encoding/binary"
	"fmt"

	"github.com/custodia-backup/custodia/crypto"
)

// A pack is one storage object holding many sealed blobs:
//
//	blob_0 || blob_1 || ... || blob_n-1 || padding || trailer || trailerLen (uint32 BE)
//
// Each blob_i is crypto.AEAD.Seal under the data key named in the trailer, of
// plaintext encoding byte || payload, with additional data type || blob ID.
// The trailer is sealed under the index key with additional data
// "CPKT" || pack ID, and holds:
//
//	magic   "CPK1"
//	keyID   [16]byte   data key of the blobs
//	count   uint32 BE
//	count × entry: type uint8 | id [32]byte | offset uint32 | length uint32 | rawLength uint32
//
// The trailer makes every pack self-describing, so a lost index can be
// rebuilt from the packs alone. The padding (pack_padding.go) makes the
// pack's length a Padmé length; packs written before it have none.
const (
	packTrailerMagic = "CPK1"
	packEntrySize    = 1 + 32 + 4 + 4 + 4
	maxPackSize      = 1 << 30
)

// PackEntry locates one blob inside a pack.
type PackEntry struct {
	Handle BlobHandle
	// Offset and Length give the sealed blob's place in the pack.
	Offset, Length uint32
	// RawLength is the plaintext (uncompressed) length of the blob.
	RawLength uint32
}

func packTrailerAD(packID ID) []byte {
	return append([]byte("CPKT"), packID[:]...)
}

// appendPackEntries appends the binary form of entries to dst.
func appendPackEntries(dst []byte, entries []PackEntry) []byte {
	for _, e := range entries {
		dst = append(dst, byte(e.Handle.Type))
		dst = append(dst, e.Handle.ID[:]...)
		dst = binary.BigEndian.AppendUint32(dst, e.Offset)
		dst = binary.BigEndian.AppendUint32(dst, e.Length)
		dst = binary.BigEndian.AppendUint32(dst, e.RawLength)
	}
	return dst
}

// decodePackEntries decodes n entries from b, checking each against the
// limit of the blob area.
func decodePackEntries(b []byte, n int, limit uint64) ([]PackEntry, []byte, error) {
	if n < 0 || len(b)/packEntrySize < n {
		return nil, nil, fmt.Errorf("%w: %d entries announced, %d bytes left", ErrMalformed, n, len(b))
	}
	entries := make([]PackEntry, n)
	for i := range entries {
		e := &entries[i]
		e.Handle.Type = BlobType(b[0])
		if !e.Handle.Type.valid() {
			return nil, nil, fmt.Errorf("%w: blob type %d", ErrMalformed, b[0])
		}
		copy(e.Handle.ID[:], b[1:33])
		e.Offset = binary.BigEndian.Uint32(b[33:])
		e.Length = binary.BigEndian.Uint32(b[37:])
		e.RawLength = binary.BigEndian.Uint32(b[41:])
		if e.Length < crypto.Overhead+1 || uint64(e.Offset)+uint64(e.Length) > limit {
			return nil, nil, fmt.Errorf("%w: blob %d at %d+%d outside the pack", ErrMalformed, i, e.Offset, e.Length)
		}
		b = b[packEntrySize:]
	}
	return entries, b, nil
}

// encodePackTrailer returns the trailer plaintext.
func encodePackTrailer(keyID crypto.KeyID, entries []PackEntry) []byte {
	b := make([]byte, 0, 4+16+4+len(entries)*packEntrySize)
	b = append(b, packTrailerMagic...)
	b = append(b, keyID[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(entries)))
	return appendPackEntries(b, entries)
}

// decodePackTrailer parses a trailer plaintext; limit is the length of the
// blob area.
func decodePackTrailer(b []byte, limit uint64) (crypto.KeyID, []PackEntry, error) {
	var keyID crypto.KeyID
	if len(b) < 24 || string(b[:4]) != packTrailerMagic {
		return keyID, nil, fmt.Errorf("%w: bad pack trailer header", ErrMalformed)
	}
	copy(keyID[:], b[4:20])
	n := binary.BigEndian.Uint32(b[20:24])
	entries, rest, err := decodePackEntries(b[24:], int(min(n, 1<<30)), limit)
	if err != nil {
		return keyID, nil, err
	}
	if len(rest) != 0 {
		return keyID, nil, fmt.Errorf("%w: %d stray bytes after pack trailer", ErrMalformed, len(rest))
	}
	return keyID, entries, nil
}

// ParsePack authenticates a whole pack's trailer and padding with the
// index key and returns the data key ID and the blob entries. It does not
// open the blobs.
func parsePack(indexKey *sealKey, packID ID, pack []byte) (crypto.KeyID, []PackEntry, error) {
	var zero crypto.KeyID
	if len(pack) < 4 {
		return zero, nil, fmt.Errorf("%w: pack of %d bytes", ErrMalformed, len(pack))
	}
	tl := binary.BigEndian.Uint32(pack[len(pack)-4:])
	if uint64(tl) > uint64(len(pack)-4) {
		return zero, nil, fmt.Errorf("%w: pack trailer length %d exceeds pack", ErrMalformed, tl)
	}
	start := len(pack) - 4 - int(tl)
	plain, err := indexKey.aead.Open(nil, pack[start:len(pack)-4], packTrailerAD(packID))
	if err != nil {
		return zero, nil, fmt.Errorf("%w: pack trailer: %w", ErrMalformed, err)
	}
	keyID, entries, err := decodePackTrailer(plain, uint64(start))
	if err != nil {
		return keyID, nil, err
	}
	if err := checkPackPadding(indexKey, packID, pack, entries, start); err != nil {
		return keyID, nil, err
	}
	return keyID, entries, nil
}

// packBuilder gathers sealed blobs into one pack.
type packBuilder struct {
	id      ID
	buf     []byte
	entries []PackEntry
	// staging is set while buf is a small staging buffer rather than a
	// pack buffer (pack_buffers.go).
	staging bool
	// unstaging is closed once the writer waiting for a pack buffer for
	// this staged pack has it; nil when none waits.
	unstaging chan struct{}
}

// add appends a sealed blob.
func (p *packBuilder) add(h BlobHandle, sealed []byte, rawLen int) {
	p.entries = append(p.entries, PackEntry{
		Handle:    h,
		Offset:    uint32(len(p.buf)),
		Length:    uint32(len(sealed)),
		RawLength: uint32(rawLen),
	})
	p.buf = append(p.buf, sealed...)
}

// finish appends the padding, the sealed trailer and its length.
func (p *packBuilder) finish(indexKey *sealKey, dataKeyID crypto.KeyID) {
	trailer := encodePackTrailer(dataKeyID, p.entries)
	rest := crypto.Overhead + len(trailer) + 4
	padded := paddedPackSize(len(p.buf) + packPadMin + rest)
	p.buf = appendPadding(p.buf, indexKey, p.id, padded-len(p.buf)-rest)
	n := len(p.buf)
	p.buf = indexKey.aead.Seal(p.buf, trailer, packTrailerAD(p.id))
	p.buf = binary.BigEndian.AppendUint32(p.buf, uint32(len(p.buf)-n))
}

func packName(id ID) string {
	s := id.String()
	return "packs/" + s[:2] + "/" + s
}
