package crypto

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/hkdf"
)

// PrivateKey is an X25519 private key (a 32-byte scalar, clamped by X25519
// itself when used). In a repository it is the read key: derived from the
// master key with PurposeX25519 and never stored.
type PrivateKey [32]byte

// PublicKey is an X25519 public key (a Montgomery u-coordinate). Writers hold
// it to seal data keys they cannot unseal themselves.
type PublicKey [32]byte

// NewX25519FromSeed returns the key pair whose private key is seed itself
// (X25519 clamps the scalar when it is used). seed must be uniformly random
// secret bytes, typically MasterKey.Derive(PurposeX25519).
func NewX25519FromSeed(seed Key) (PrivateKey, PublicKey) {
	priv := PrivateKey(seed)
	return priv, priv.Public()
}

// GenerateX25519 returns a fresh random key pair.
func GenerateX25519() (PrivateKey, PublicKey, error) {
	seed, err := RandomKey()
	if err != nil {
		return PrivateKey{}, PublicKey{}, err
	}
	defer seed.Wipe()
	priv, pub := NewX25519FromSeed(seed)
	return priv, pub, nil
}

// Public returns the public key of p: X25519(p, 9).
func (p PrivateKey) Public() PublicKey {
	var pub PublicKey
	curve25519.ScalarBaseMult((*[32]byte)(&pub), (*[32]byte)(&p))
	return pub
}

// Wipe overwrites the private key with zeros.
func (p *PrivateKey) Wipe() {
	clear(p[:])
}

// ID returns the public identifier of the public key: the KeyID computed over
// its 32 bytes (see Key.ID). Wrapped keys name their recipient with it.
func (p PublicKey) ID() KeyID {
	return Key(p).ID()
}

// String returns the public key as 64 lowercase hexadecimal digits.
func (p PublicKey) String() string {
	return hex.EncodeToString(p[:])
}

const (
	wrapVersion = 1
	// WrappedKeySize is the exact size of a key wrapped by WrapKey:
	// version (1) | recipient KeyID (16) | ephemeral public key (32) |
	// encrypted key (32) | tag (16).
	WrappedKeySize = 1 + KeyIDSize + 32 + KeySize + chacha20poly1305.Overhead // 97
	wrapHeaderSize = 1 + KeyIDSize
	wrapInfo       = "custodia v1 x25519 wrap"
)

// WrapKey seals k to the holder of the private key of to, in the style of
// age's X25519 recipient: a fresh ephemeral key pair (e, E), shared secret
// X25519(e, to), wrapping key HKDF-SHA256(shared, salt = E || to,
// info = "custodia v1 x25519 wrap"), and ChaCha20-Poly1305 with an all-zero
// nonce (the wrapping key is used once). The result has WrappedKeySize bytes;
// the layout is in docs/FORMAT.md.
//
// Whoever calls WrapKey cannot unwrap the result: only the recipient's private
// key can. A low-order (invalid) public key fails with ErrMalformed.
func WrapKey(to PublicKey, k Key) ([]byte, error) {
	var eph [32]byte
	_, _ = rand.Read(eph[:])
	defer clear(eph[:])
	return wrapKey(&eph, to, k)
}

// wrapKey is WrapKey with the ephemeral private key given.
func wrapKey(eph *[32]byte, to PublicKey, k Key) ([]byte, error) {
	ephPub, err := curve25519.X25519(eph[:], curve25519.Basepoint)
	if err != nil {
		return nil, fmt.Errorf("crypto: wrapping key: %w", err)
	}
	shared, err := curve25519.X25519(eph[:], to[:])
	if err != nil {
		return nil, fmt.Errorf("%w: recipient public key is a low-order point", ErrMalformed)
	}
	defer clear(shared)

	out := make([]byte, 0, WrappedKeySize)
	out = append(out, wrapVersion)
	id := to.ID()
	out = append(out, id[:]...)
	out = append(out, ephPub...)

	aead, err := wrapAEAD(shared, ephPub, to[:])
	if err != nil {
		return nil, err
	}
	var nonce [chacha20poly1305.NonceSize]byte
	out = aead.Seal(out, nonce[:], k[:], out[:wrapHeaderSize])
	return out, nil
}

// UnwrapKey recovers a key wrapped by WrapKey for the public key of with.
// Input of the wrong size or version, or with a low-order ephemeral key, fails
// with ErrMalformed; a key wrapped for another recipient, or any tampering,
// fails with ErrAuthentication.
func UnwrapKey(with PrivateKey, wrapped []byte) (Key, error) {
	if len(wrapped) != WrappedKeySize {
		return Key{}, fmt.Errorf("%w: wrapped key is %d bytes, want %d", ErrMalformed, len(wrapped), WrappedKeySize)
	}
	if wrapped[0] != wrapVersion {
		return Key{}, fmt.Errorf("%w: unsupported wrapped key version %d", ErrMalformed, wrapped[0])
	}
	pub := with.Public()
	var recipient KeyID
	copy(recipient[:], wrapped[1:wrapHeaderSize])
	if recipient != pub.ID() {
		return Key{}, fmt.Errorf("%w: key is wrapped for public key %s, not %s", ErrAuthentication, recipient, pub.ID())
	}
	ephPub := wrapped[wrapHeaderSize : wrapHeaderSize+32]
	shared, err := curve25519.X25519(with[:], ephPub)
	if err != nil {
		return Key{}, fmt.Errorf("%w: ephemeral public key is a low-order point", ErrMalformed)
	}
	defer clear(shared)
	aead, err := wrapAEAD(shared, ephPub, pub[:])
	if err != nil {
		return Key{}, err
	}
	var nonce [chacha20poly1305.NonceSize]byte
	var k Key
	plain, err := aead.Open(k[:0], nonce[:], wrapped[wrapHeaderSize+32:], wrapped[:wrapHeaderSize])
	if err != nil || len(plain) != KeySize {
		k.Wipe()
		return Key{}, ErrAuthentication
	}
	return k, nil
}

// WrappedKeyRecipient returns the KeyID of the public key a wrapped key was
// sealed to, without unwrapping it, so a reader holding several private keys
// can pick the right one. It checks only size and version (ErrMalformed).
func WrappedKeyRecipient(wrapped []byte) (KeyID, error) {
	if len(wrapped) != WrappedKeySize || wrapped[0] != wrapVersion {
		return KeyID{}, fmt.Errorf("%w: not a version-%d wrapped key of %d bytes", ErrMalformed, wrapVersion, WrappedKeySize)
	}
	var id KeyID
	copy(id[:], wrapped[1:wrapHeaderSize])
	return id, nil
}

// wrapAEAD derives the single-use wrapping key and returns its
// ChaCha20-Poly1305 instance.
func wrapAEAD(shared, ephPub, recipientPub []byte) (cipher.AEAD, error) {
	salt := make([]byte, 0, 64)
	salt = append(salt, ephPub...)
	salt = append(salt, recipientPub...)
	var wk [chacha20poly1305.KeySize]byte
	defer clear(wk[:])
	if _, err := io.ReadFull(hkdf.New(sha256.New, shared, salt, []byte(wrapInfo)), wk[:]); err != nil {
		return nil, fmt.Errorf("crypto: deriving wrapping key: %w", err)
	}
	a, err := chacha20poly1305.New(wk[:])
	if err != nil {
		return nil, fmt.Errorf("crypto: wrapping cipher: %w", err)
	}
	return a, nil
}
