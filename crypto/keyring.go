package crypto

import (
	"encoding/binary"
	"fmt"
)

// A keyring keeps the older master keys of a repository after a master-key
// rotation, sealed under the newest master key, so data sealed under older
// keys stays readable to whoever holds the newest one.
//
// Plaintext layout (docs/FORMAT.md):
//
//	magic "CSTDKRNG" (8) | version 0x01 (1) | count u16be (2) | count × master key (32), oldest first
//
// It is sealed with AEAD under newest.Derive(PurposeKeyring) with additional
// data "custodia v1 keyring" || KeyID(newest).

const (
	keyringMagic   = "CSTDKRNG"
	keyringVersion = 1
	keyringHeader  = len(keyringMagic) + 1 + 2
	keyringAD      = contextPrefix + "keyring"
	// MaxKeyringKeys is the most older master keys one keyring holds.
	MaxKeyringKeys = 1<<16 - 1
)

// MarshalKeyring encodes older master keys (oldest first) in the keyring
// plaintext layout, for callers that seal it inside their own envelope. The
// keys must be distinct and non-zero (otherwise the error wraps ErrMalformed).
// The result holds key material: wipe it after sealing.
func MarshalKeyring(older []MasterKey) ([]byte, error) {
	return marshalKeyring(nil, older)
}

func marshalKeyring(newest *MasterKey, older []MasterKey) ([]byte, error) {
	if len(older) > MaxKeyringKeys {
		return nil, fmt.Errorf("%w: keyring holds at most %d keys, got %d", ErrMalformed, MaxKeyringKeys, len(older))
	}
	seen := make(map[KeyID]bool, len(older)+1)
	if newest != nil {
		seen[newest.ID()] = true
	}
	plain := make([]byte, 0, keyringHeader+len(older)*KeySize)
	plain = append(plain, keyringMagic...)
	plain = append(plain, keyringVersion)
	plain = binary.BigEndian.AppendUint16(plain, uint16(len(older)))
	for i, m := range older {
		if Key(m).IsZero() {
			clear(plain[:cap(plain)])
			return nil, fmt.Errorf("%w: keyring key %d is all zero", ErrMalformed, i)
		}
		id := m.ID()
		if seen[id] {
			clear(plain[:cap(plain)])
			return nil, fmt.Errorf("%w: keyring key %d (%s) is the newest key or given twice", ErrMalformed, i, id)
		}
		seen[id] = true
		plain = append(plain, m[:]...)
	}
	return plain, nil
}

// UnmarshalKeyring decodes the keyring plaintext layout. Input without the
// documented layout fails with ErrMalformed.
func UnmarshalKeyring(plain []byte) ([]MasterKey, error) {
	if len(plain) < keyringHeader || string(plain[:len(keyringMagic)]) != keyringMagic {
		return nil, fmt.Errorf("%w: not a keyring", ErrMalformed)
	}
	if v := plain[len(keyringMagic)]; v != keyringVersion {
		return nil, fmt.Errorf("%w: unsupported keyring version %d", ErrMalformed, v)
	}
	n := int(binary.BigEndian.Uint16(plain[len(keyringMagic)+1:]))
	body := plain[keyringHeader:]
	if len(body) != n*KeySize {
		return nil, fmt.Errorf("%w: keyring announces %d keys but holds %d bytes", ErrMalformed, n, len(body))
	}
	out := make([]MasterKey, n)
	for i := range out {
		copy(out[i][:], body[i*KeySize:])
	}
	return out, nil
}

// SealKeyring seals the older master keys (oldest first) under newest. The
// older keys must be distinct, non-zero and different from newest; otherwise
// the error wraps ErrMalformed.
func SealKeyring(newest MasterKey, older []MasterKey) ([]byte, error) {
	plain, err := marshalKeyring(&newest, older)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	k := newest.Derive(PurposeKeyring)
	defer k.Wipe()
	return NewAEAD(k).Seal(nil, plain, keyringAdditionalData(newest)), nil
}

// OpenKeyring opens a keyring sealed by SealKeyring under newest and returns
// the older master keys, oldest first. A keyring sealed under another key or
// altered fails with ErrAuthentication; a keyring that authenticates but does
// not have the documented layout fails with ErrMalformed.
func OpenKeyring(newest MasterKey, sealed []byte) ([]MasterKey, error) {
	k := newest.Derive(PurposeKeyring)
	defer k.Wipe()
	plain, err := NewAEAD(k).Open(nil, sealed, keyringAdditionalData(newest))
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	defer clear(plain)
	return UnmarshalKeyring(plain)
}

func keyringAdditionalData(newest MasterKey) []byte {
	id := newest.ID()
	return append([]byte(keyringAD), id[:]...)
}
