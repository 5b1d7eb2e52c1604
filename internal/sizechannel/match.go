package sizechannel

import (
	"fmt"
	"slices"
	"strings"
)

// SealedOverhead is what sealing adds to a stored-raw chunk: the encoding
// byte, the nonce and the tag (FORMAT.md 7, 11).
const SealedOverhead = 1 + 24 + 16

// maxSubsetPacks bounds the packs whose subsets SubsetMatches tries.
const maxSubsetPacks = 16

// SubsetMatches reports whether the blob areas of some non-empty set of
// packs add up to exactly target: what a provider who knows a file (and so
// the sealed sizes of its chunks) tests to see whether the file fills
// those packs — a file boundary on pack boundaries. With more than 16
// packs only single packs and pairs are tried.
func SubsetMatches(packs []Object, target int64) bool {
	areas := make([]int64, 0, len(packs))
	for _, p := range packs {
		if a := p.BlobArea(); a >= 0 {
			areas = append(areas, a)
		}
	}
	if len(areas) > maxSubsetPacks {
		for i, a := range areas {
			if a == target {
				return true
			}
			for _, b := range areas[i+1:] {
				if a+b == target {
					return true
				}
			}
		}
		return false
	}
	for set := 1; set < 1<<len(areas); set++ {
		var sum int64
		for i, a := range areas {
			if set&(1<<i) != 0 {
				sum += a
			}
		}
		if sum == target {
			return true
		}
	}
	return false
}

// VisibleChunks counts the sealed chunk lengths that equal the blob area
// of a pack holding exactly one blob: chunk lengths a provider reads off
// directly.
func VisibleChunks(packs []Object, sealed []int64) int {
	single := map[int64]bool{}
	for _, p := range packs {
		if p.Entries() == 1 {
			single[p.BlobArea()] = true
		}
	}
	n := 0
	for _, s := range sealed {
		if single[s] {
			n++
		}
	}
	return n
}

// Signature is the provider's view of a set of packs: their sizes,
// sorted. Two backups with equal signatures cannot be told apart by size.
func Signature(packs []Object) string {
	sizes := make([]int64, len(packs))
	for i, p := range packs {
		sizes[i] = p.Size
	}
	slices.Sort(sizes)
	var b strings.Builder
	for _, s := range sizes {
		fmt.Fprintf(&b, "%d,", s)
	}
	return b.String()
}

// Quantiles returns the minimum, the 10th, 50th and 90th percentiles and
// the maximum of v (nearest rank), or zeros when v is empty.
func Quantiles(v []int64) [5]int64 {
	if len(v) == 0 {
		return [5]int64{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	at := func(q float64) int64 { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return [5]int64{s[0], at(0.1), at(0.5), at(0.9), s[len(s)-1]}
}

// AreaSums returns the blob areas of single packs and of every pair of
// packs: the totals a provider compares with a known file's sealed size
// when there are too many packs to try every subset.
func AreaSums(packs []Object) map[int64]bool {
	sums := map[int64]bool{}
	for i, p := range packs {
		a := p.BlobArea()
		if a < 0 {
			continue
		}
		sums[a] = true
		for _, q := range packs[i+1:] {
			if b := q.BlobArea(); b >= 0 {
				sums[a+b] = true
			}
		}
	}
	return sums
}
