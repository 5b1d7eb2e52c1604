package crypto

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/zeebo/blake3"
)

// Shamir secret sharing over GF(2^8) with the AES reduction polynomial
// x^8 + x^4 + x^3 + x + 1. Field arithmetic is written without table lookups
// or data-dependent branches, so timing does not depend on secret bytes.

const (
	shareVersion = 1
	// MaxSecretSize is the largest secret SplitSecret accepts (1 KiB).
	MaxSecretSize = 1024
	// MaxShares is the largest number of shares (and threshold) of one split.
	MaxShares = 255
	// ShareCheckSize is the size of the check tag appended to the secret
	// before splitting, which lets CombineShares detect a wrong combination.
	ShareCheckSize = 16
	// shareHeaderSize is version (1) | threshold (1) | index (1) | set ID (8).
	shareHeaderSize      = 3 + ShareSetIDSize
	shareCheckContext    = contextPrefix + "shamir check"
	shareChecksumContext = contextPrefix + "share checksum"
	shareChecksumSize    = 4
	// ShareTextPrefix starts the text form of every version-1 share.
	ShareTextPrefix = "custodia-share-1-"
	shareTextGroup  = 8
)

// ShareSetIDSize is the size of the random identifier of one split.
const ShareSetIDSize = 8

// ShareSetID identifies one split: every share of one SplitSecret call carries
// the same random set ID, so shares of different splits cannot be mixed.
type ShareSetID [ShareSetIDSize]byte

// String returns the set ID as 16 lowercase hexadecimal digits.
func (id ShareSetID) String() string { return hex.EncodeToString(id[:]) }

// Share is one share of a secret split by SplitSecret. It carries the format
// version, the threshold (how many shares recover the secret), its index x in
// 1..255, the split's set ID, and the share value: the evaluations at x of the
// per-byte random polynomials whose constant terms are secret || check.
//
// A Share is an immutable value; copy it freely. The zero Share is invalid.
type Share struct {
	version   uint8
	threshold uint8
	index     uint8
	setID     ShareSetID
	value     []byte
}

// Version returns the share format version (1).
func (s Share) Version() int { return int(s.version) }

// Threshold returns how many distinct shares of the split recover the secret.
func (s Share) Threshold() int { return int(s.threshold) }

// Index returns the share's x coordinate, 1..255; it is unique within a split.
func (s Share) Index() int { return int(s.index) }

// SetID returns the identifier of the split the share belongs to.
func (s Share) SetID() ShareSetID { return s.setID }

// SecretSize returns the size of the secret the share is part of.
func (s Share) SecretSize() int { return len(s.value) - ShareCheckSize }

// validate checks a single share's structure.
func (s Share) validate() error {
	switch {
	case s.version != shareVersion:
		return fmt.Errorf("%w: unsupported share version %d", ErrMalformed, s.version)
	case s.threshold < 2:
		return fmt.Errorf("%w: share threshold %d is below 2", ErrMalformed, s.threshold)
	case s.index == 0:
		return fmt.Errorf("%w: share index 0 is not allowed", ErrMalformed)
	case len(s.value) < ShareCheckSize+1 || len(s.value) > ShareCheckSize+MaxSecretSize:
		return fmt.Errorf("%w: share value is %d bytes, must be %d..%d", ErrMalformed, len(s.value), ShareCheckSize+1, ShareCheckSize+MaxSecretSize)
	}
	return nil
}

// SplitSecret splits secret (1..MaxSecretSize bytes) into n = shares shares so
// that any threshold of them recover it and fewer reveal nothing about it.
// It requires 2 <= threshold <= shares <= 255; a threshold of 1 is refused
// because every share would then be the secret itself. Errors wrap
// ErrInvalidShares. Share indexes are 1..shares in order.
func SplitSecret(secret []byte, threshold, shares int) ([]Share, error) {
	return splitSecret(rand.Reader, secret, threshold, shares)
}

// splitSecret is SplitSecret with the randomness drawn from r: first the
// 8-byte set ID, then the (threshold-1) * (len(secret)+16) polynomial
// coefficients, degree 1 first, byte position fastest.
func splitSecret(r io.Reader, secret []byte, threshold, shares int) ([]Share, error) {
	if threshold < 2 || threshold > shares || shares > MaxShares {
		return nil, fmt.Errorf("%w: need 2 <= threshold <= shares <= %d, got threshold %d of %d shares", ErrInvalidShares, MaxShares, threshold, shares)
	}
	if len(secret) == 0 || len(secret) > MaxSecretSize {
		return nil, fmt.Errorf("%w: secret is %d bytes, must be 1..%d", ErrInvalidShares, len(secret), MaxSecretSize)
	}
	var setID ShareSetID
	if _, err := io.ReadFull(r, setID[:]); err != nil {
		return nil, fmt.Errorf("crypto: reading randomness: %w", err)
	}

	// The constant terms: secret || check(setID, threshold, secret).
	constant := make([]byte, len(secret)+ShareCheckSize)
	defer clear(constant)
	copy(constant, secret)
	shareCheck(constant[len(secret):], setID, uint8(threshold), secret)

	// coeffs[d*L + b] is the degree-d coefficient (d >= 1) of byte b's polynomial.
	l := len(constant)
	coeffs := make([]byte, (threshold-1)*l)
	defer clear(coeffs)
	if _, err := io.ReadFull(r, coeffs); err != nil {
		return nil, fmt.Errorf("crypto: reading randomness: %w", err)
	}

	out := make([]Share, shares)
	for i := range out {
		x := uint8(i + 1)
		v := make([]byte, l)
		for b := 0; b < l; b++ {
			// Horner: ((a_{t-1} x + a_{t-2}) x + ...) x + a_0.
			var y byte
			for d := threshold - 1; d >= 1; d-- {
				y = gfMul(y, x) ^ coeffs[(d-1)*l+b]
			}
			v[b] = gfMul(y, x) ^ constant[b]
		}
		out[i] = Share{version: shareVersion, threshold: uint8(threshold), index: x, setID: setID, value: v}
	}
	return out, nil
}

// CombineShares recovers the secret from at least threshold distinct shares of
// one split. All given shares are used, so every one of them must be genuine.
// Errors wrap ErrInvalidShares together with a more precise sentinel:
// ErrNotEnoughShares, ErrMixedShares (different splits), ErrDuplicateShare
// (same index twice), ErrMalformed (an invalid share value) or
// ErrShareMismatch (the combination fails its check: a share is corrupted or
// forged). If more than threshold shares fail with ErrShareMismatch, combining
// threshold-sized subsets can tell which one is bad.
func CombineShares(shares []Share) ([]byte, error) {
	if len(shares) == 0 {
		return nil, fmt.Errorf("%w: %w: no shares given", ErrInvalidShares, ErrNotEnoughShares)
	}
	first := shares[0]
	var seen [256]bool
	for i, s := range shares {
		if err := s.validate(); err != nil {
			return nil, fmt.Errorf("%w: share %d: %w", ErrInvalidShares, i+1, err)
		}
		if s.setID != first.setID || s.threshold != first.threshold || s.version != first.version || len(s.value) != len(first.value) {
			return nil, fmt.Errorf("%w: %w: share %d (set %s) does not belong with share 1 (set %s)", ErrInvalidShares, ErrMixedShares, i+1, s.setID, first.setID)
		}
		if seen[s.index] {
			return nil, fmt.Errorf("%w: %w: index %d given twice", ErrInvalidShares, ErrDuplicateShare, s.index)
		}
		seen[s.index] = true
	}
	if len(shares) < int(first.threshold) {
		return nil, fmt.Errorf("%w: %w: have %d of the %d shares needed", ErrInvalidShares, ErrNotEnoughShares, len(shares), first.threshold)
	}

	// Lagrange basis at 0: c_i = prod_{j != i} x_j / (x_i - x_j); in GF(2^8)
	// subtraction is XOR. The x coordinates are public.
	coef := make([]byte, len(shares))
	for i, si := range shares {
		num, den := byte(1), byte(1)
		for j, sj := range shares {
			if i == j {
				continue
			}
			num = gfMul(num, sj.index)
			den = gfMul(den, si.index^sj.index)
		}
		coef[i] = gfMul(num, gfInv(den))
	}
	l := len(first.value)
	out := make([]byte, l)
	for i, s := range shares {
		c := coef[i]
		for b, y := range s.value {
			out[b] ^= gfMul(c, y)
		}
	}
	n := l - ShareCheckSize
	secret, check := out[:n], out[n:]
	var want [ShareCheckSize]byte
	shareCheck(want[:], first.setID, first.threshold, secret)
	ok := subtle.ConstantTimeCompare(want[:], check) == 1
	clear(check)
	if !ok {
		clear(secret)
		return nil, fmt.Errorf("%w: %w", ErrInvalidShares, ErrShareMismatch)
	}
	return secret[:n:n], nil
}

// shareCheck writes the check tag of secret into dst (ShareCheckSize bytes):
// BLAKE3 derive-key "custodia v1 shamir check" over setID || threshold || secret.
func shareCheck(dst []byte, setID ShareSetID, threshold uint8, secret []byte) {
	h := blake3.NewDeriveKey(shareCheckContext)
	_, _ = h.Write(setID[:])
	_, _ = h.Write([]byte{threshold})
	_, _ = h.Write(secret)
	d := h.Digest()
	_, _ = d.Read(dst[:ShareCheckSize])
}

// MarshalBinary encodes the share as version (1) | threshold (1) | index (1) |
// set ID (8) | value (secret size + 16).
func (s Share) MarshalBinary() ([]byte, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, shareHeaderSize+len(s.value))
	b = append(b, s.version, s.threshold, s.index)
	b = append(b, s.setID[:]...)
	return append(b, s.value...), nil
}

// UnmarshalBinary decodes a share encoded by MarshalBinary. Invalid input
// fails with an error wrapping ErrMalformed and leaves s unchanged.
func (s *Share) UnmarshalBinary(b []byte) error {
	if len(b) < shareHeaderSize {
		return fmt.Errorf("%w: share is %d bytes, shorter than its %d-byte header", ErrMalformed, len(b), shareHeaderSize)
	}
	n := Share{version: b[0], threshold: b[1], index: b[2], value: append([]byte(nil), b[shareHeaderSize:]...)}
	copy(n.setID[:], b[3:shareHeaderSize])
	if err := n.validate(); err != nil {
		return err
	}
	*s = n
	return nil
}

var shareBase32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// MarshalText encodes the share for printing or writing on paper:
// "custodia-share-1-" followed by the unpadded base32 (RFC 4648 alphabet,
// lowercase) of binary || checksum, in groups of 8 characters joined by "-".
// checksum is the first 4 bytes of BLAKE3 derive-key "custodia v1 share
// checksum" over the binary form, so UnmarshalText catches typos.
func (s Share) MarshalText() ([]byte, error) {
	bin, err := s.MarshalBinary()
	if err != nil {
		return nil, err
	}
	bin = append(bin, shareChecksum(bin)...)
	enc := strings.ToLower(shareBase32.EncodeToString(bin))
	var sb strings.Builder
	sb.WriteString(ShareTextPrefix)
	for i := 0; i < len(enc); i += shareTextGroup {
		if i > 0 {
			sb.WriteByte('-')
		}
		sb.WriteString(enc[i:min(i+shareTextGroup, len(enc))])
	}
	return []byte(sb.String()), nil
}

// UnmarshalText decodes the text form of a share. It accepts either letter
// case and ignores spaces, tabs, newlines and "-" after the prefix, so a share
// typed back from paper in any grouping decodes. A wrong prefix, bad base32,
// a checksum mismatch (a typo) or an invalid share fail with ErrMalformed; s
// is left unchanged.
func (s *Share) UnmarshalText(b []byte) error {
	text := strings.TrimSpace(string(b))
	if len(text) < len(ShareTextPrefix) || !strings.EqualFold(text[:len(ShareTextPrefix)], ShareTextPrefix) {
		return fmt.Errorf("%w: share text must start with %q", ErrMalformed, ShareTextPrefix)
	}
	body := strings.Map(func(r rune) rune {
		switch r {
		case '-', ' ', '\t', '\n', '\r':
			return -1
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, text[len(ShareTextPrefix):])
	bin, err := shareBase32.DecodeString(body)
	if err != nil || shareBase32.EncodeToString(bin) != body {
		// The second test rejects non-zero unused bits in the last character,
		// so every share has exactly one text form (up to case and grouping).
		return fmt.Errorf("%w: share text is not valid base32 (typo?)", ErrMalformed)
	}
	if len(bin) < shareChecksumSize {
		return fmt.Errorf("%w: share text too short", ErrMalformed)
	}
	payload, sum := bin[:len(bin)-shareChecksumSize], bin[len(bin)-shareChecksumSize:]
	if subtle.ConstantTimeCompare(sum, shareChecksum(payload)) != 1 {
		return fmt.Errorf("%w: share checksum mismatch (typo?)", ErrMalformed)
	}
	return s.UnmarshalBinary(payload)
}

// shareChecksum returns the 4-byte text checksum of a binary share.
func shareChecksum(bin []byte) []byte {
	sum := make([]byte, shareChecksumSize)
	blake3.DeriveKey(shareChecksumContext, bin, sum)
	return sum
}

// gfMul multiplies a and b in GF(2^8) modulo x^8+x^4+x^3+x+1 in constant time:
// eight rounds of shift-and-add with masks instead of branches or tables.
func gfMul(a, b byte) byte {
	var p byte
	for range 8 {
		p ^= a & -(b & 1)
		b >>= 1
		carry := -(a >> 7)
		a = (a << 1) ^ (0x1b & carry)
	}
	return p
}

// gfInv returns the multiplicative inverse of a (a^254) in constant time; the
// inverse of 0 is 0.
func gfInv(a byte) byte {
	// 254 = 0b11111110: square-and-multiply with a fixed, public exponent.
	r, sq := byte(1), a
	for bit := range 8 {
		if (254>>bit)&1 == 1 {
			r = gfMul(r, sq)
		}
		sq = gfMul(sq, sq)
	}
	return r
}
