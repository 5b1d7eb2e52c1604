// Package restore writes a snapshot, or the part of it selected by glob
// patterns, back to a folder: file contents byte for byte, folders,
// symbolic links, permission bits, modification times and, when run as
// root, ownership.
//
// Files are restored by parallel workers that read each blob from the
// storage shards holding it; a blob that fails to authenticate is read again
// through the erasure code, so a restore succeeds as long as every pack
// keeps enough intact shards.
package restore
