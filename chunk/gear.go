package chunk

import (
	"encoding/binary"
	"sync"

	"github.com/zeebo/blake3"
)

// gearContext is the BLAKE3 derive-key context string used to expand a
// chunking key into a gear table. It is part of the repository format and
// must never change for a given format version.
const gearContext = "custodia 2025-01-01 chunk gear table v1"

// Gear is the 256-entry table of the rolling gear hash: for every input byte
// b the hash is updated as h = h<<1 + g[b] (mod 2^64).
//
// A Gear is read-only once built and may be shared by any number of
// Chunkers and goroutines.
type Gear [256]uint64

var (
	defaultGearOnce sync.Once
	defaultGear     *Gear
)

// NewGear derives a gear table from a secret key so that chunk boundaries
// are specific to a repository and do not fingerprint content: without the
// key an observer of chunk sizes cannot tell whether a known file is stored.
//
// The table is the first 2048 bytes of the BLAKE3 derive-key output
// (context "custodia 2025-01-01 chunk gear table v1", key material = key),
// read as 256 little-endian uint64 values: g[i] = LE64(out[8i : 8i+8]).
//
// A nil or empty key yields the documented default table, which is exactly
// the table derived from empty key material. Keys of any length are
// accepted; a repository should use a 32-byte random secret. The returned
// table is freshly allocated and owned by the caller.
func NewGear(key []byte) *Gear {
	if len(key) == 0 {
		g := *defaultTable()
		return &g
	}
	return deriveGear(key)
}

// defaultTable returns the shared default table; callers must not modify it.
func defaultTable() *Gear {
	defaultGearOnce.Do(func() { defaultGear = deriveGear(nil) })
	return defaultGear
}

func deriveGear(key []byte) *Gear {
	var out [256 * 8]byte
	blake3.DeriveKey(gearContext, key, out[:])
	g := new(Gear)
	for i := range g {
		g[i] = binary.LittleEndian.Uint64(out[8*i:])
	}
	return g
}
