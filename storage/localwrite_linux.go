package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/custodia-backup/custodia/internal/directio"

	"golang.org/x/sys/unix"
)

// Shard writes on local sites bypass the gocloud writer on Linux. A shard
// is fsynced before it is published anyway, so copying it through the page
// cache first only costs CPU: on the machine measured, a backup spent 2.7-
// 2.9 s of kernel time writing shards through the page cache and 1.1-1.5 s
// with direct I/O (docs/PERFORMANCE.md). Shards are therefore written with
// internal/directio, which uses O_DIRECT where the file system allows it.
// Publishing is the same as through gocloud: a temporary file next to the
// final name, fsync, rename (never replacing an existing shard for
// Create), fsync of the folder.

// shardStageSize is the direct-I/O staging buffer of one shard write. A
// pack's shards are written side by side (six at once coded 4+2, twelve
// while a writer's last two packs upload), so each holds a buffer of its
// own: 256 KiB each instead of directio's 1 MiB keeps that under 3 MiB.
const shardStageSize = 256 << 10

// errShardExists means a conditional shard write found the shard there.
var errShardExists = errors.New("shard already exists")

// writeLocalShard writes hdr and data as the shard file of key.
func (st *localSite) writeLocalShard(ctx context.Context, key string, hdr, data []byte, ifNotExist bool) (err error) {
	path := st.localShardPath(key)
	if err := os.MkdirAll(filepath.Dir(path), dirPerm); err != nil {
		return err
	}
	f, tmp, direct, err := createTempShard(path, !st.noDirect.Load())
	if err != nil {
		return err
	}
	if !direct {
		// The file system refuses O_DIRECT (tmpfs on older kernels, some
		// FUSE file systems): write through the page cache from now on.
		st.noDirect.Store(true)
	}
	defer func() {
		if err != nil { // the temporary file goes (once published, it is gone already)
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	w := directio.NewWriterSize(f, direct, shardStageSize)
	_, err = w.Write(hdr)
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = w.Flush()
	} else {
		w.Discard()
	}
	if w.Refused() {
		st.noDirect.Store(true)
	}
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := publish(tmp, path, ifNotExist); err != nil {
		return err
	}
	return st.syncDirs(key)
}

// createTempShard creates a new temporary file next to path, for direct
// I/O if asked for and possible (reported).
func createTempShard(path string, direct bool) (*os.File, string, bool, error) {
	for try := 0; ; try++ {
		tmp := fmt.Sprintf("%s.%016x.tmp", path, rand.Uint64())
		f, isDirect, err := directio.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm, direct)
		if errors.Is(err, os.ErrExist) && try < 10 { // 64 random bits: a clash is all but impossible
			continue
		}
		return f, tmp, isDirect, err
	}
}

// publish renames tmp to path; with ifNotExist it fails with
// errShardExists instead of replacing an existing file.
func publish(tmp, path string, ifNotExist bool) error {
	if !ifNotExist {
		return os.Rename(tmp, path)
	}
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST):
		return errShardExists
	case errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP):
		// No RENAME_NOREPLACE here: a hard link fails atomically when the
		// name exists.
		err := os.Link(tmp, path)
		switch {
		case err == nil:
			_ = os.Remove(tmp) // the shard is published; a stray link is harmless
			return nil
		case errors.Is(err, os.ErrExist):
			return errShardExists
		}
		// Nor hard links (some FUSE file systems): check, then rename, as
		// the gocloud file writer does. A writer racing for the same name
		// may be replaced; names written with Create have one writer.
		switch _, err := os.Lstat(path); {
		case err == nil:
			return errShardExists
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
		return os.Rename(tmp, path)
	default:
		return &os.LinkError{Op: "rename", Old: tmp, New: path, Err: err}
	}
}
