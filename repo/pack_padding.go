package repo

import (
	"fmt"
	"math/bits"

	"github.com/custodia-backup/custodia/crypto"
)

// Pack padding (FORMAT.md 12.1). A writer pads each pack so that its
// length is a Padmé length: the padding sits between the last blob and the
// trailer, and is a sealed message of zeros under the index key,
//
//	padding = Seal(index key, zeros, "CPKP" || pack ID)
//
// indistinguishable from the sealed blobs around it. Readers find blobs
// through the trailer and the index and never read it; a check opens it.
// Packs written before padding have none and stay valid.

// packPadMin is the smallest padding: a sealed empty message. Every padded
// pack has one, so the padding can always be sealed.
const packPadMin = crypto.Overhead

func packPaddingAD(packID ID) []byte {
	return append([]byte("CPKP"), packID[:]...)
}

// padme returns the Padmé length of n (Nikitin et al., "Reducing Metadata
// Leakage from Encrypted Files and Communication with PURBs", PETS 2019):
// n rounded up so that only the top ⌊log₂ ⌊log₂ n⌋⌋ + 1 bits of its
// mantissa may be set. It leaks O(log log n) bits of a length, with an
// overhead of at most 12% (3% above 1 MiB).
func padme(n int) int {
	if n < 2 {
		return n
	}
	e := bits.Len(uint(n)) - 1 // ⌊log₂ n⌋
	s := bits.Len(uint(e))     // ⌊log₂ e⌋ + 1
	mask := 1<<(e-s) - 1
	return (n + mask) &^ mask
}

// paddedPackSize returns the padded length of a pack whose blob area,
// sealed trailer and length field take unpadded bytes, the smallest
// padding included: the Padmé length, but never above the pack size
// limit unless the pack is already larger.
func paddedPackSize(unpadded int) int {
	p := padme(unpadded)
	if p > maxPackSize {
		p = max(unpadded, maxPackSize)
	}
	return p
}

// appendPadding seals padLen-crypto.Overhead zero bytes under the index
// key onto buf, in place.
func appendPadding(buf []byte, indexKey *sealKey, packID ID, padLen int) []byte {
	start := len(buf)
	n := padLen - crypto.Overhead
	if cap(buf) < start+padLen {
		grown := make([]byte, start, start+padLen)
		copy(grown, buf)
		buf = grown
	}
	plain := buf[start+crypto.NonceSize : start+crypto.NonceSize+n]
	clear(plain)
	return indexKey.aead.Seal(buf, plain, packPaddingAD(packID))
}

// checkPackPadding checks the bytes between the end of the last blob and
// the trailer's start of a pack: none (a pack written without padding),
// or a sealed message of zeros under the index key.
func checkPackPadding(indexKey *sealKey, packID ID, pack []byte, entries []PackEntry, trailerStart int) error {
	end := 0
	for _, e := range entries {
		end = max(end, int(e.Offset)+int(e.Length))
	}
	if end >= trailerStart {
		return nil
	}
	plain, err := indexKey.aead.Open(nil, pack[end:trailerStart], packPaddingAD(packID))
	if err != nil {
		return fmt.Errorf("%w: pack padding of %d bytes: %w", ErrMalformed, trailerStart-end, err)
	}
	for _, b := range plain {
		if b != 0 {
			return fmt.Errorf("%w: pack padding holds data", ErrMalformed)
		}
	}
	return nil
}
