package table

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/custodia-backup/custodia/classify"
)

// maxKind is the highest classify.Kind a record may carry.
const maxKind = classify.KindEmpty

// kindSealed is the stored kind of an encrypted value kept as raw bytes
// (nonce || ciphertext): it stands for the string EncryptedPrefix +
// base64url(raw). It never appears in a classify.Record.
const kindSealed = 5

// minSealed is the shortest raw encrypted value: a 24-byte nonce, the
// kind byte of the plaintext and a 16-byte tag.
const minSealed = 24 + 1 + 16

var b64 = base64.RawURLEncoding.Strict()

// sealedRaw returns the raw bytes of a string value in the text form of an
// encrypted value ("enc:v2:" and canonical base64url of at least minSealed
// bytes), or false: such a value is stored with kindSealed.
func sealedRaw(dst []byte, v string) ([]byte, bool) {
	if !strings.HasPrefix(v, classify.EncryptedPrefix) {
		return dst, false
	}
	t := v[len(classify.EncryptedPrefix):]
	n := b64.DecodedLen(len(t))
	if n < minSealed || b64.EncodedLen(n) != len(t) {
		return dst, false
	}
	start := len(dst)
	dst = slices.Grow(dst, n)[:start+n]
	if m, err := b64.Decode(dst[start:], []byte(t)); err != nil || m != n {
		return dst[:start], false
	}
	return dst, true
}

// AppendRecord appends the canonical encoding of rec to dst:
//
//	uvarint(fields) || fields × (uvarint(len(name)) || name || kind u8 || uvarint(len(value)) || value)
//
// Fields keep their order. A string value in the text form of an encrypted
// value is stored raw, with kind 5 (docs/FORMAT.md §25.3). Equal records
// encode to equal bytes.
func AppendRecord(dst []byte, rec classify.Record) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(rec)))
	for _, f := range rec {
		dst = appendField(dst, f, nil)
	}
	return dst
}

// appendField appends one field of a record: raw, if not nil, is the raw
// form of its encrypted value; a string value in the text form of an
// encrypted value is stored raw too.
func appendField(dst []byte, f classify.Field, raw []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(f.Name)))
	dst = append(dst, f.Name...)
	if raw == nil && f.Kind == classify.KindString && strings.HasPrefix(f.Value, classify.EncryptedPrefix) {
		raw, _ = sealedRaw(nil, f.Value)
	}
	if raw != nil {
		dst = append(dst, kindSealed)
		dst = binary.AppendUvarint(dst, uint64(len(raw)))
		return append(dst, raw...)
	}
	dst = append(dst, byte(f.Kind))
	dst = binary.AppendUvarint(dst, uint64(len(f.Value)))
	return append(dst, f.Value...)
}

// checkValue checks one stored value of the given kind.
func checkValue(kind byte, value []byte) error {
	switch {
	case kind == kindSealed:
		if len(value) < minSealed {
			return fmt.Errorf("%w: encrypted value of %d bytes", ErrMalformed, len(value))
		}
	case kind > byte(maxKind):
		return fmt.Errorf("%w: field kind %d", ErrMalformed, kind)
	case kind == byte(classify.KindString) && bytes.HasPrefix(value, []byte(classify.EncryptedPrefix)):
		if _, ok := sealedRaw(nil, string(value)); ok {
			return fmt.Errorf("%w: an encrypted value stored as text", ErrMalformed)
		}
	}
	return nil
}

// DecodeRecord parses the canonical encoding of one record. It rejects
// trailing bytes, unknown kinds, lengths beyond the input and non-canonical
// encodings. Encrypted values come back in their text form.
func DecodeRecord(b []byte) (classify.Record, error) { return decodeRecord(b, false) }

// decodeRecord parses a record; v1 reads a record of a version-1 page:
// kinds 0 to 4, encrypted values as text.
func decodeRecord(b []byte, v1 bool) (classify.Record, error) {
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
		k := b[0]
		if value, b, err = lenBytes(b[1:]); err != nil {
			return nil, err
		}
		switch {
		case v1 && k > byte(maxKind):
			return nil, fmt.Errorf("%w: field kind %d", ErrMalformed, k)
		case v1:
		default:
			if err := checkValue(k, value); err != nil {
				return nil, err
			}
		}
		if k == kindSealed {
			rec[i] = classify.Field{Name: string(name), Value: classify.EncryptedPrefix + b64.EncodeToString(value), Kind: classify.KindString}
			continue
		}
		rec[i] = classify.Field{Name: string(name), Value: string(value), Kind: classify.Kind(k)}
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
