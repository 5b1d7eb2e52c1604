// Package backup saves files, folders and streams into a repository.
//
// Files runs a parallel pipeline: a walker lists directories in order,
// file workers read and chunk files (content-defined, package chunk) and
// hash each chunk with the repository's keyed hash, save workers compress
// and seal the chunks the repository does not have yet, and the repository
// gathers them into packs that it uploads in the background. Every stage
// hands work to the next through bounded queues, so memory depends on the
// number of workers and the pack size, never on the size of the data.
//
// With a parent snapshot (found automatically: the latest one of the same
// host and paths), files whose size, modification time, change time and
// inode are unchanged are not read again.
//
// Files that cannot be read are reported in Result.Errors and left out;
// the backup goes on. A failure to write to the repository stops it, and no
// snapshot is written: a snapshot only ever names durable data.
package backup
