package table

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/custodia-backup/custodia/classify"
)

// ErrMalformed means stored table bytes do not decode.
var ErrMalformed = errors.New("malformed table object")

// ErrKey means a record lacks a key field, or a key is too long.
var ErrKey = errors.New("bad record key")

// MaxKeyField is the longest value of one key field, in bytes.
const MaxKeyField = 1<<16 - 1

// EncodeKey returns the key of rec: for each key field in order, its value's
// length as a big-endian u16 and its bytes. Keys compare with bytes.Compare:
// field by field, a shorter value first, then byte-wise, so that integer
// keys without leading zeros sort numerically and fixed-width keys sort as
// text.
func EncodeKey(dst []byte, rec classify.Record, fields []string) ([]byte, error) {
	for _, name := range fields {
		f, ok := rec.Get(name)
		if !ok {
			return nil, fmt.Errorf("%w: no field %q", ErrKey, name)
		}
		if f.Kind == classify.KindNull || f.Value == "" {
			return nil, fmt.Errorf("%w: field %q is empty", ErrKey, name)
		}
		dst = appendKeyPart(dst, f.Value)
		if dst == nil {
			return nil, fmt.Errorf("%w: field %q is longer than %d bytes", ErrKey, name, MaxKeyField)
		}
	}
	return dst, nil
}

// KeyOf returns the key of the given key field values, in order.
func KeyOf(values ...string) ([]byte, error) {
	var dst []byte
	for _, v := range values {
		if dst = appendKeyPart(dst, v); dst == nil {
			return nil, fmt.Errorf("%w: a key value is longer than %d bytes", ErrKey, MaxKeyField)
		}
	}
	return dst, nil
}

func appendKeyPart(dst []byte, v string) []byte {
	if len(v) > MaxKeyField {
		return nil
	}
	if dst == nil {
		dst = make([]byte, 0, 2+len(v))
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(v)))
	return append(dst, v...)
}

// KeyValues splits a key into its field values.
func KeyValues(key []byte) ([]string, error) {
	var out []string
	for len(key) > 0 {
		if len(key) < 2 {
			return nil, fmt.Errorf("%w: truncated key", ErrMalformed)
		}
		n := int(binary.BigEndian.Uint16(key))
		if len(key) < 2+n {
			return nil, fmt.Errorf("%w: truncated key", ErrMalformed)
		}
		out = append(out, string(key[2:2+n]))
		key = key[2+n:]
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: empty key", ErrMalformed)
	}
	return out, nil
}

// KeyString shows a key as its values joined by commas.
func KeyString(key []byte) string {
	v, err := KeyValues(key)
	if err != nil {
		return fmt.Sprintf("%x", key)
	}
	return strings.Join(v, ",")
}

// CompareKeys orders keys (bytes.Compare).
func CompareKeys(a, b []byte) int { return bytes.Compare(a, b) }
