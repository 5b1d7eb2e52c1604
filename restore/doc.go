// Package restore writes a snapshot, or the part of it selected by glob
// patterns, back to a folder: file contents byte for byte, folders,
// symbolic links, permission bits, modification times and, when run as
// root, ownership.
//
// Files are restored by parallel workers that read each blob from the
// storage shards holding it; a blob that fails to authenticate is read again
// through the erasure code, so a restore succeeds as long as every pack
// keeps enough intact shards.
//
// On Windows, named pipes and device nodes are not restored (each is
// reported in Result.Errors with an error wrapping errors.ErrUnsupported),
// nor are ownership and extended attributes; permission bits come down to
// the read-only attribute. Symbolic links are restored where the process
// may make them (an administrator, or Developer Mode); elsewhere each is
// reported in Result.Errors and the rest of the snapshot is restored.
package restore
