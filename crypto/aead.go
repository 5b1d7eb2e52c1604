package crypto

import (
	"crypto/cipher"
	"crypto/rand"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// NonceSize is the size of the random XChaCha20-Poly1305 nonce that starts
// every sealed message.
const NonceSize = chacha20poly1305.NonceSizeX

// TagSize is the size of the Poly1305 authentication tag that ends every sealed
// message.
const TagSize = chacha20poly1305.Overhead

// Overhead is how many bytes Seal adds to a plaintext: nonce (24) and tag (16).
const Overhead = NonceSize + TagSize

// AEAD seals and opens byte strings with XChaCha20-Poly1305 under one key. Each
// Seal draws a fresh random 24-byte nonce, so one key can seal an unlimited
// number of messages (random 192-bit nonces do not collide in practice).
//
// Sealed layout: nonce (24 bytes) || ciphertext (len(plaintext) bytes) || tag (16 bytes).
//
// An AEAD is safe for concurrent use by multiple goroutines.
type AEAD struct {
	aead cipher.AEAD
}

// NewAEAD returns an AEAD for key k. The key is copied into the cipher; the
// caller may wipe k afterwards.
func NewAEAD(k Key) *AEAD {
	a, err := chacha20poly1305.NewX(k[:])
	if err != nil {
		// Unreachable: k always has chacha20poly1305.KeySize bytes.
		panic("crypto: NewAEAD: " + err.Error())
	}
	return &AEAD{aead: a}
}

// Seal encrypts and authenticates plaintext, authenticates additionalData, and
// appends nonce || ciphertext || tag to dst, returning the extended slice.
// additionalData is not stored; Open must be given the same bytes.
//
// As with crypto/cipher, plaintext and dst must not overlap, except that
// Seal(nil, ...) and dst with spare capacity not shared with plaintext are
// always fine.
func (a *AEAD) Seal(dst, plaintext, additionalData []byte) []byte {
	ret, out := grow(dst, NonceSize+len(plaintext)+TagSize)
	nonce := out[:NonceSize]
	// crypto/rand.Read never returns an error (it aborts the program if the
	// operating system's generator fails).
	_, _ = rand.Read(nonce)
	a.aead.Seal(out[NonceSize:NonceSize], nonce, plaintext, additionalData)
	return ret
}

// Open authenticates and decrypts sealed (as produced by Seal with the same key
// and additionalData) and appends the plaintext to dst, returning the extended
// slice. On any failure (input shorter than Overhead, tampering, another key or
// other additional data) it returns an error wrapping ErrAuthentication and no
// plaintext.
//
// dst may be sealed[:0] to decrypt in place only if it starts exactly at the
// ciphertext, i.e. sealed[NonceSize:NonceSize]; otherwise dst and sealed must
// not overlap.
func (a *AEAD) Open(dst, sealed, additionalData []byte) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, fmt.Errorf("%w: sealed input is %d bytes, shorter than the %d-byte overhead", ErrAuthentication, len(sealed), Overhead)
	}
	out, err := a.aead.Open(dst, sealed[:NonceSize], sealed[NonceSize:], additionalData)
	if err != nil {
		return nil, ErrAuthentication
	}
	return out, nil
}

// grow extends dst by n bytes and returns the whole slice and the new tail.
func grow(dst []byte, n int) (whole, tail []byte) {
	total := len(dst) + n
	if cap(dst) >= total {
		whole = dst[:total]
	} else {
		whole = make([]byte, total)
		copy(whole, dst)
	}
	return whole, whole[len(dst):]
}
