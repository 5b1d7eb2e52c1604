// Package repo is the custodia repository: its on-storage format (config,
// key slots, packs, index files, snapshots, trees) and the operations that
// backup and restore share.
//
// A Repository stores two kinds of blobs, file content chunks and trees
// (directory listings), compressed with zstd when that helps and sealed with
// XChaCha20-Poly1305 under keys derived from the repository's master key.
// Many blobs are gathered into a pack; each pack is one storage object,
// erasure coded by package storage across the configured sites. An index maps
// every blob to its pack and offset, and a snapshot names the root tree of one
// backup. docs/FORMAT.md describes every byte.
//
// Ordering invariants (see docs/FORMAT.md, "Write ordering"):
//
//   - a pack is uploaded completely (all shards) before any index file names it;
//   - an index file is written before any snapshot that references its blobs;
//   - a snapshot is written last, so a snapshot that can be listed references
//     only durable data; a crash at any point leaves at worst unreferenced
//     packs, which a later prune may delete.
package repo
