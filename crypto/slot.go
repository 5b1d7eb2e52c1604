package crypto

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the Argon2id cost parameters of a password slot.
type Argon2Params struct {
	// Time is the number of passes over memory (Argon2 "t"), 1..MaxArgon2Time.
	Time uint32
	// MemoryKiB is the memory cost in KiB (Argon2 "m"), 8*Threads..MaxArgon2MemoryKiB.
	MemoryKiB uint32
	// Threads is the degree of parallelism (Argon2 "p"), at least 1.
	Threads uint8
}

// Limits on Argon2id parameters. Slots outside them are refused, both when
// created and when decoded, so a hostile repository cannot make a client spend
// unbounded time or memory on a password guess.
const (
	MaxArgon2Time      = 100
	MaxArgon2MemoryKiB = 4 * 1024 * 1024 // 4 GiB
)

// MaxSlotPayload is the largest payload a password slot may wrap (64 KiB); key
// bundles are a few hundred bytes at most.
const MaxSlotPayload = 64 << 10

// DefaultArgon2Params returns the parameters new slots should use: t=3,
// m=64 MiB, p=4 (the second recommended option of RFC 9106 section 4). One
// password check costs a few tenths of a second and 64 MiB of memory.
func DefaultArgon2Params() Argon2Params {
	return Argon2Params{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}
}

// Validate returns an error wrapping ErrInvalidParams if p is outside the
// accepted range: Time in 1..100, Threads at least 1, MemoryKiB in
// 8*Threads..4 GiB (Argon2 requires at least 8 KiB per lane).
func (p Argon2Params) Validate() error {
	switch {
	case p.Time < 1 || p.Time > MaxArgon2Time:
		return fmt.Errorf("%w: time %d not in 1..%d", ErrInvalidParams, p.Time, MaxArgon2Time)
	case p.Threads < 1:
		return fmt.Errorf("%w: threads must be at least 1", ErrInvalidParams)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > MaxArgon2MemoryKiB:
		return fmt.Errorf("%w: memory %d KiB not in %d..%d KiB", ErrInvalidParams, p.MemoryKiB, 8*uint32(p.Threads), MaxArgon2MemoryKiB)
	}
	return nil
}

// PasswordSlot wraps a secret payload (for example a master key, or a
// write-only key bundle; the caller decides) under a key derived from a
// password with Argon2id. All fields are public information; the payload is
// only recoverable with the password.
//
// Binary layout (MarshalBinary), see docs/FORMAT.md:
//
//	magic "CSTDSLOT" (8) | version 0x01 (1) | kdf 0x01 = Argon2id (1) |
//	time u32be (4) | memory KiB u32be (4) | threads (1) | salt (32) | sealed (rest)
//
// sealed is an AEAD message (nonce || ciphertext || tag) under the 32-byte
// Argon2id output, with the 51 header bytes before it as additional data.
type PasswordSlot struct {
	// Params are the Argon2id cost parameters.
	Params Argon2Params
	// Salt is the random Argon2id salt.
	Salt [32]byte
	// Sealed is the payload sealed as described above (NonceSize + payload + TagSize bytes).
	Sealed []byte
}

const (
	slotMagic       = "CSTDSLOT"
	slotVersion     = 1
	slotKDFArgon2id = 1
	slotHeaderSize  = len(slotMagic) + 1 + 1 + 4 + 4 + 1 + 32 // 51
)

// NewPasswordSlot seals payload under a key derived from password with
// Argon2id and parameters p and a fresh random salt. It fails with
// ErrInvalidParams if p is out of range and with ErrMalformed if payload is
// empty or longer than MaxSlotPayload.
func NewPasswordSlot(password, payload []byte, p Argon2Params) (*PasswordSlot, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if len(payload) == 0 || len(payload) > MaxSlotPayload {
		return nil, fmt.Errorf("%w: slot payload is %d bytes, must be 1..%d", ErrMalformed, len(payload), MaxSlotPayload)
	}
	s := &PasswordSlot{Params: p}
	_, _ = rand.Read(s.Salt[:])
	a := s.aead(password)
	s.Sealed = a.Seal(make([]byte, 0, Overhead+len(payload)), payload, s.header())
	return s, nil
}

// Open derives the key from password and returns the payload. A wrong
// password, or a slot whose bytes were altered, gives an error wrapping
// ErrWrongPassword. Out-of-range parameters give ErrInvalidParams (Argon2id is
// never run with them) and a structurally impossible slot gives ErrMalformed.
func (s *PasswordSlot) Open(password []byte) ([]byte, error) {
	if err := s.Params.Validate(); err != nil {
		return nil, err
	}
	if len(s.Sealed) < Overhead+1 || len(s.Sealed) > Overhead+MaxSlotPayload {
		return nil, fmt.Errorf("%w: sealed slot payload is %d bytes", ErrMalformed, len(s.Sealed))
	}
	a := s.aead(password)
	payload, err := a.Open(nil, s.Sealed, s.header())
	if err != nil {
		return nil, ErrWrongPassword
	}
	return payload, nil
}

// aead derives the slot key from password and returns the AEAD for it. The
// derived key bytes are wiped before returning.
func (s *PasswordSlot) aead(password []byte) *AEAD {
	raw := argon2.IDKey(password, s.Salt[:], s.Params.Time, s.Params.MemoryKiB, s.Params.Threads, KeySize)
	var k Key
	copy(k[:], raw)
	clear(raw)
	defer k.Wipe()
	return NewAEAD(k)
}

// header returns the 51 header bytes, which are also the additional data of
// the sealed payload.
func (s *PasswordSlot) header() []byte {
	h := make([]byte, 0, slotHeaderSize)
	h = append(h, slotMagic...)
	h = append(h, slotVersion, slotKDFArgon2id)
	h = binary.BigEndian.AppendUint32(h, s.Params.Time)
	h = binary.BigEndian.AppendUint32(h, s.Params.MemoryKiB)
	h = append(h, s.Params.Threads)
	h = append(h, s.Salt[:]...)
	return h
}

// MarshalBinary encodes the slot in the layout described on PasswordSlot.
func (s *PasswordSlot) MarshalBinary() ([]byte, error) {
	if err := s.Params.Validate(); err != nil {
		return nil, err
	}
	if len(s.Sealed) < Overhead+1 || len(s.Sealed) > Overhead+MaxSlotPayload {
		return nil, fmt.Errorf("%w: sealed slot payload is %d bytes", ErrMalformed, len(s.Sealed))
	}
	return append(s.header(), s.Sealed...), nil
}

// UnmarshalBinary decodes a slot encoded by MarshalBinary. Wrong magic, an
// unknown version or KDF, a truncated or oversized slot, or absurd Argon2id
// parameters (see Argon2Params.Validate) fail with an error wrapping
// ErrMalformed (and, for parameters, also ErrInvalidParams). On error s is
// left unchanged.
func (s *PasswordSlot) UnmarshalBinary(b []byte) error {
	if len(b) < slotHeaderSize {
		return fmt.Errorf("%w: password slot is %d bytes, shorter than its %d-byte header", ErrMalformed, len(b), slotHeaderSize)
	}
	if string(b[:len(slotMagic)]) != slotMagic {
		return fmt.Errorf("%w: not a password slot (bad magic)", ErrMalformed)
	}
	rest := b[len(slotMagic):]
	if rest[0] != slotVersion {
		return fmt.Errorf("%w: %w: password slot version %d", ErrMalformed, ErrUnsupported, rest[0])
	}
	if rest[1] != slotKDFArgon2id {
		return fmt.Errorf("%w: %w: password slot KDF %d", ErrMalformed, ErrUnsupported, rest[1])
	}
	var n PasswordSlot
	n.Params.Time = binary.BigEndian.Uint32(rest[2:6])
	n.Params.MemoryKiB = binary.BigEndian.Uint32(rest[6:10])
	n.Params.Threads = rest[10]
	if err := n.Params.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	copy(n.Salt[:], rest[11:43])
	sealed := b[slotHeaderSize:]
	if len(sealed) < Overhead+1 || len(sealed) > Overhead+MaxSlotPayload {
		return fmt.Errorf("%w: sealed slot payload is %d bytes, must be %d..%d", ErrMalformed, len(sealed), Overhead+1, Overhead+MaxSlotPayload)
	}
	n.Sealed = append([]byte(nil), sealed...)
	*s = n
	return nil
}
