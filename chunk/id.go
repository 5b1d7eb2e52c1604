package chunk

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/zeebo/blake3"
)

// IDSize is the size of an ID in bytes.
const IDSize = 32

// KeySize is the size of an IDHasher key in bytes.
const KeySize = 32

// ErrInvalidID is returned (wrapped) when a text form of an ID is malformed.
var ErrInvalidID = errors.New("chunk: invalid chunk ID")

// ErrInvalidKey is returned (wrapped) by NewIDHasher when the key does not
// have KeySize bytes.
var ErrInvalidKey = errors.New("chunk: invalid ID key")

// ID identifies a chunk: the 32-byte keyed BLAKE3 hash of its plaintext
// (BLAKE3 keyed_hash mode, 256-bit output). Because the hash is keyed, the
// same plaintext has different IDs in repositories with different keys and
// the storage provider cannot confirm that it holds a known chunk.
//
// The text form is 64 lowercase hexadecimal digits.
type ID [IDSize]byte

// String returns the ID as 64 lowercase hexadecimal digits.
func (id ID) String() string {
	return hex.EncodeToString(id[:])
}

// IsZero reports whether id is the all-zero ID, used as "no ID".
func (id ID) IsZero() bool {
	return id == ID{}
}

// MarshalText implements encoding.TextMarshaler with the String form.
func (id ID) MarshalText() ([]byte, error) {
	b := make([]byte, 2*IDSize)
	hex.Encode(b, id[:])
	return b, nil
}

// UnmarshalText implements encoding.TextUnmarshaler; it accepts exactly
// what ParseID accepts.
func (id *ID) UnmarshalText(text []byte) error {
	v, err := parseID(text)
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ParseID parses the text form of an ID: exactly 64 lowercase hexadecimal
// digits. Any other input fails with an error wrapping ErrInvalidID; upper
// case is rejected so that every ID has a single text form.
func ParseID(s string) (ID, error) {
	return parseID([]byte(s))
}

func parseID(s []byte) (ID, error) {
	var id ID
	if len(s) != 2*IDSize {
		return id, fmt.Errorf("%w: length %d, want %d hex digits", ErrInvalidID, len(s), 2*IDSize)
	}
	for i, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return id, fmt.Errorf("%w: byte %d is not a lowercase hex digit", ErrInvalidID, i)
		}
	}
	if _, err := hex.Decode(id[:], s); err != nil {
		return ID{}, fmt.Errorf("%w: %w", ErrInvalidID, err)
	}
	return id, nil
}

// IDHasher computes keyed chunk IDs. It is safe for concurrent use by many
// goroutines: each Sum borrows a keyed hasher from a pool. Create it with
// NewIDHasher; the zero value is not usable.
type IDHasher struct {
	pool sync.Pool // of *blake3.Hasher, all keyed with the same key
}

// NewIDHasher returns an IDHasher for the given secret key, which must be
// KeySize (32) bytes; otherwise the error wraps ErrInvalidKey. The key is
// copied into the hasher state; the caller may wipe its slice afterwards.
func NewIDHasher(key []byte) (*IDHasher, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: got %d bytes, want %d", ErrInvalidKey, len(key), KeySize)
	}
	proto, err := blake3.NewKeyed(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	h := &IDHasher{}
	h.pool.New = func() any { return proto.Clone() }
	return h, nil
}

// Sum returns the ID of data: BLAKE3-256 in keyed mode over data.
func (h *IDHasher) Sum(data []byte) ID {
	bh := h.pool.Get().(*blake3.Hasher)
	bh.Reset()
	_, _ = bh.Write(data)
	var id ID
	bh.Sum(id[:0])
	h.pool.Put(bh)
	return id
}
