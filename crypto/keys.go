package crypto

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"

	"github.com/zeebo/blake3"
)

// KeySize is the size in bytes of every symmetric key in this package.
const KeySize = 32

// Key is a 256-bit symmetric key.
type Key [KeySize]byte

// RandomKey returns a fresh key read from crypto/rand.
func RandomKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return Key{}, fmt.Errorf("crypto: reading random key: %w", err)
	}
	return k, nil
}

// KeyFromBytes returns the key held in b, which must be exactly KeySize bytes
// long (otherwise the error wraps ErrMalformed). The bytes are copied.
func KeyFromBytes(b []byte) (Key, error) {
	if len(b) != KeySize {
		return Key{}, fmt.Errorf("%w: key is %d bytes, want %d", ErrMalformed, len(b), KeySize)
	}
	return Key(b), nil
}

// Equal reports whether k and o are the same key, in constant time.
func (k Key) Equal(o Key) bool {
	return subtle.ConstantTimeCompare(k[:], o[:]) == 1
}

// IsZero reports whether k is the all-zero key, which is never a valid key;
// it is what a zeroized or unset key looks like.
func (k Key) IsZero() bool {
	var zero Key
	return k.Equal(zero)
}

// Wipe overwrites the key with zeros. Call it (deferred) on transient keys once
// they are no longer needed.
func (k *Key) Wipe() {
	clear(k[:])
}

// contextPrefix is the prefix of every BLAKE3 derive-key context string used by
// custodia's version-1 key model.
const contextPrefix = "custodia v1 "

// keyIDContext is the derive-key context of KeyIDs. Its suffix "key-id" is
// therefore a reserved purpose that Derive refuses.
const keyIDContext = contextPrefix + "key-id"

// ReservedPurposeKeyID is the one purpose string Derive refuses: a subkey derived
// for it would begin with the public KeyID of the master key.
const ReservedPurposeKeyID = "key-id"

// MasterKey is a repository's read capability: every other key of a repository
// is derived from it (see Derive) or sealed under a key derived from it.
type MasterKey Key

// NewMasterKey returns a fresh random master key.
func NewMasterKey() (MasterKey, error) {
	k, err := RandomKey()
	return MasterKey(k), err
}

// Subkey purposes for MasterKey.Derive. The string values are part of the
// on-disk format (docs/FORMAT.md) and must never change.
const (
	// PurposeChunkID keys the BLAKE3 hash of chunk plaintexts (chunk IDs).
	PurposeChunkID = "chunk-id"
	// PurposeChunker seeds the content-defined chunker's gear table.
	PurposeChunker = "chunker"
	// PurposeIndex seals the index, pack trailers and the repository config:
	// material the write-only role must read too.
	PurposeIndex = "index"
	// PurposeData seals blobs (file content, trees) and snapshots written by a
	// full-access session.
	PurposeData = "data"
	// PurposeX25519 is the seed of the repository's X25519 private read key
	// (see NewX25519FromSeed).
	PurposeX25519 = "x25519"
	// PurposeKeyring seals the keyring of older master keys kept after a
	// master-key rotation (see SealKeyring).
	PurposeKeyring = "keyring"
)

// Derive returns the subkey of m for purpose: the 32-byte output of BLAKE3 in
// derive-key mode with context string "custodia v1 " + purpose and key
// material m. Distinct purposes give independent keys; the same purpose always
// gives the same key.
//
// Purposes are fixed strings chosen by the program, never user input. Derive
// panics if purpose is ReservedPurposeKeyID ("key-id"), because that subkey
// would share its first 16 bytes with the public KeyID of m.
func (m MasterKey) Derive(purpose string) Key {
	if purpose == ReservedPurposeKeyID {
		panic("crypto: MasterKey.Derive: purpose \"key-id\" is reserved for KeyIDs")
	}
	var out Key
	blake3.DeriveKey(contextPrefix+purpose, m[:], out[:])
	return out
}

// ID returns the public identifier of the master key (the KeyID of Key(m)).
func (m MasterKey) ID() KeyID {
	return Key(m).ID()
}

// Equal reports whether m and o are the same master key, in constant time.
func (m MasterKey) Equal(o MasterKey) bool {
	return Key(m).Equal(Key(o))
}

// Wipe overwrites the master key with zeros.
func (m *MasterKey) Wipe() {
	clear(m[:])
}

// KeyIDSize is the size in bytes of a KeyID.
const KeyIDSize = 16

// KeyID is a short public identifier of a key: the first 16 bytes of BLAKE3 in
// derive-key mode with context "custodia v1 key-id" over the key. It names a
// key without revealing it, so sealed objects can say which key opens them.
type KeyID [KeyIDSize]byte

// ID returns the KeyID of k.
func (k Key) ID() KeyID {
	var id KeyID
	blake3.DeriveKey(keyIDContext, k[:], id[:])
	return id
}

// String returns the KeyID as 32 lowercase hexadecimal digits.
func (id KeyID) String() string {
	return hex.EncodeToString(id[:])
}

// MarshalText encodes the KeyID as 32 lowercase hexadecimal digits.
func (id KeyID) MarshalText() ([]byte, error) {
	return []byte(id.String()), nil
}

// UnmarshalText decodes 32 hexadecimal digits (either case); anything else
// fails with ErrMalformed.
func (id *KeyID) UnmarshalText(b []byte) error {
	parsed, err := ParseKeyID(string(b))
	if err != nil {
		return err
	}
	*id = parsed
	return nil
}

// ParseKeyID parses the String form of a KeyID. Errors wrap ErrMalformed.
func ParseKeyID(s string) (KeyID, error) {
	var id KeyID
	if len(s) != 2*KeyIDSize {
		return KeyID{}, fmt.Errorf("%w: key ID must be %d hex digits, got %d characters", ErrMalformed, 2*KeyIDSize, len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return KeyID{}, fmt.Errorf("%w: key ID is not hexadecimal", ErrMalformed)
	}
	return id, nil
}
