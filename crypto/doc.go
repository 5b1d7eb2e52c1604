// Package crypto holds the cryptographic primitives of custodia's key model.
// It knows nothing of repositories, object names or snapshots: it deals in
// keys, sealed byte strings, password slots, wrapped keys and secret shares.
// The byte-level formats are specified in docs/FORMAT.md (section "Crypto").
//
// # Keys
//
// A MasterKey is a repository's read capability. Subkeys for each purpose are
// derived from it with BLAKE3 in derive-key mode (MasterKey.Derive, contexts
// "custodia v1 <purpose>"). Every key has a short public KeyID so sealed data
// can name the key that opens it without revealing it.
//
// # Sealing
//
// AEAD seals byte strings with XChaCha20-Poly1305 and a fresh random 24-byte
// nonce per message: nonce || ciphertext || tag. Opening fails with
// ErrAuthentication on any tampering, truncation, wrong key or wrong
// additional data.
//
// # Password slots
//
// A PasswordSlot wraps a payload (a master key, or a write-only key bundle)
// under a key derived from a password with Argon2id. Decoding refuses absurd
// cost parameters so a hostile file cannot exhaust the client.
//
// # Write-only role
//
// WrapKey seals a key to an X25519 public key in the style of age's X25519
// recipient: a writer holding only the repository's public key seals each
// session's fresh data key and cannot unwrap it afterwards; readers unwrap with
// the private key derived from the master key (PurposeX25519).
//
// # Two-person control
//
// SplitSecret and CombineShares implement Shamir secret sharing over GF(2^8)
// in constant time, with a check tag inside the shared value so that a wrong
// or corrupted combination is detected instead of yielding garbage. Shares
// have a printable, checksummed text form for paper custody.
//
// # Conventions
//
// Every error wraps one of the package's sentinel errors (ErrAuthentication,
// ErrMalformed, ErrWrongPassword, ErrInvalidParams, ErrInvalidShares and its
// refinements) and never contains secret material. Decoders of stored bytes
// never panic. Transient key material is wiped where practical; keys handed
// to x/crypto cipher constructors live inside those ciphers until they are
// garbage collected.
package crypto
