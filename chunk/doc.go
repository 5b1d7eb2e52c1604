// Package chunk splits byte streams into content-defined chunks and computes
// keyed chunk IDs. It knows nothing of repositories: the caller supplies the
// secret keys and decides what to do with the chunks.
//
// # Content-defined chunking
//
// Chunk boundaries are chosen by the content, not by offsets, so inserting
// or deleting bytes in the middle of a file changes only the chunks around
// the edit; the rest keep their boundaries and IDs and deduplicate against
// the previous backup. The algorithm is FastCDC-style: a 64-bit gear rolling
// hash with normalized chunking.
//
// Given Params{Min, Avg, Max} and a gear table G (see NewGear), a stream is
// cut as follows. Let a chunk start at stream offset s and let L be the
// number of bytes from s to the end of the stream.
//
//  1. If L <= Min, the rest of the stream is the (last) chunk.
//  2. Otherwise set h = 0 and, for i = Min-64, Min-63, ... < min(L, Max),
//     update h = h<<1 + G[data[s+i]] (mod 2^64). For i < Min the hash is
//     only warmed up, so that at Min it depends on exactly the 64 bytes
//     before the candidate cut and not on where the chunk started.
//     For i >= Min, the chunk ends after byte i (its length is i+1) when
//     h & mask == 0, where mask is the strict mask MS for i < Avg and the
//     loose mask ML for i >= Avg.
//  3. If no cut point is found, the chunk has length min(L, Max).
//
// MS has the top log2(Avg)+2 bits of a uint64 set and ML the top
// log2(Avg)-2 bits (FastCDC normalization level 2): a cut before Avg is
// 4 times less likely than with a plain log2(Avg)-bit mask and a cut after
// Avg 4 times more likely, which concentrates chunk sizes around Avg and
// improves deduplication. The top bits are tested because they depend on
// all 64 bytes in the hash window. Every chunk except the last has a size
// in [Min, Max]; a stream of 0 bytes has no chunk.
//
// Boundaries depend only on the gear table, the parameters and the bytes:
// they do not depend on how the reader splits its reads.
//
// # Defaults
//
// DefaultParams is Min 512 KiB, Avg 1 MiB, Max 8 MiB. On random
// (incompressible) data the mean chunk size is 1.15 to 1.2 times Avg (about
// 1.2 MiB with the defaults): cuts before Avg are rare (about 12% of chunks
// with Min = Avg/2), and after Avg the expected distance to the next cut is
// Avg/4. Runs of a repeated byte have no cut points and are cut at Max. A Chunker buffers Max + max(Max/8, 64 KiB) bytes
// (9 MiB by default).
//
// # Keyed boundaries
//
// With a public gear table the sizes of the chunks of a known file are a
// fingerprint that the storage provider could look for. NewGear derives the
// table from a repository secret with BLAKE3 in derive-key mode, so
// boundaries differ between repositories. NewGear(nil) is the fixed default
// table, for tests and for callers that do not need this property.
//
// # Chunk IDs
//
// An ID is BLAKE3-256 in keyed mode (32-byte key) over the chunk plaintext;
// its text form is 64 lowercase hex digits. IDHasher computes IDs and may be
// shared by any number of goroutines.
//
// # Use
//
// Create one Chunker per worker goroutine and Reset it for each stream; the
// slice returned by Next is reused by the following call, so hash, compress
// or copy it before calling Next again.
package chunk
