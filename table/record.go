package table

import (
	"encoding/binary"
	"fmt"

	"github.com/custodia-backup/custodia/classify"
)

// maxKind is the highest classify.Kind a stored record may carry.
const maxKind = classify.KindEmpty

// AppendRecord appends the canonical encoding of rec to dst:
//
//	uvarint(fields) || fields × (uvarint(len(name)) || name || kind u8 || uvarint(len(value)) || value)
//
// Fields keep their order. Equal records encode to equal bytes.
func AppendRecord(dst []byte, rec classify.Record) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(rec)))
	for _, f := range rec {
		dst = binary.AppendUvarint(dst, uint64(len(f.Name)))
		dst = append(dst, f.Name...)
		dst = append(dst, byte(f.Kind))
		dst = binary.AppendUvarint(dst, uint64(len(f.Value)))
		dst = append(dst, f.Value...)
	}
	return dst
}

// DecodeRecord parses the canonical encoding of one record. It rejects
// trailing bytes, unknown kinds and lengths beyond the input.
func DecodeRecord(b []byte) (classify.Record, error) {
	n, b, err := uvarint(b)
	if err != nil {
		return nil, err
	}
	// Each field takes at least 3 bytes: this bounds the allocation.
	if n > uint64(len(b))/3 {
		return nil, fmt.Errorf("%w: record announces %d fields in %d bytes", ErrMalformed, n, len(b))
	}
	rec := make(classify.Record, n)
	for i := range rec {
		var name, value []byte
		if name, b, err = lenBytes(b); err != nil {
			return nil, err
		}
		if len(b) < 1 {
			return nil, fmt.Errorf("%w: truncated record", ErrMalformed)
		}
		k := classify.Kind(b[0])
		if k > maxKind {
			return nil, fmt.Errorf("%w: field kind %d", ErrMalformed, b[0])
		}
		if value, b, err = lenBytes(b[1:]); err != nil {
			return nil, err
		}
		rec[i] = classify.Field{Name: string(name), Value: string(value), Kind: k}
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d stray bytes after a record", ErrMalformed, len(b))
	}
	return rec, nil
}

func uvarint(b []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(b)
	// A varint must be minimal (canonical): its last byte is not zero,
	// unless it is the single byte of the value zero.
	if n <= 0 || (n > 1 && b[n-1] == 0) {
		return 0, nil, fmt.Errorf("%w: bad varint", ErrMalformed)
	}
	return v, b[n:], nil
}

// lenBytes reads uvarint(len) || bytes.
func lenBytes(b []byte) ([]byte, []byte, error) {
	n, b, err := uvarint(b)
	if err != nil {
		return nil, nil, err
	}
	if n > uint64(len(b)) {
		return nil, nil, fmt.Errorf("%w: length %d beyond %d bytes", ErrMalformed, n, len(b))
	}
	return b[:n], b[n:], nil
}
