package storage

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Shard writes on local sites bypass the gocloud writer on Linux. A shard
// is fsynced before it is published anyway, so copying it through the page
// cache first only costs CPU: on the machines measured, buffered writes
// plus fsync took 4-8x the kernel CPU of direct I/O for the same bytes (see
// docs/PERFORMANCE.md). Shards are therefore written with O_DIRECT through
// a small aligned staging buffer where the file system allows it, and with
// plain writes where it does not. Publishing is the same as before: a
// temporary file next to the final name, fsync, rename (never replacing an
// existing shard for Create), fsync of the folder.

const (
	// directAlign is the alignment O_DIRECT needs of buffers, offsets and
	// lengths (the logical block size of the device; 4096 covers all
	// common ones).
	directAlign = 4096
	// stageSize is the size of one direct write.
	stageSize = 1 << 20
)

// stagePool holds aligned staging buffers of stageSize bytes.
var stagePool = sync.Pool{New: func() any {
	raw := make([]byte, stageSize+directAlign)
	off := int(-uintptr(unsafe.Pointer(&raw[0])) & (directAlign - 1))
	b := raw[off : off+stageSize : off+stageSize]
	return &b
}}

// errShardExists means a conditional shard write found the shard there.
var errShardExists = errors.New("shard already exists")

// writeLocalShard writes hdr and data as the shard file of key.
func (st *site) writeLocalShard(ctx context.Context, key string, hdr, data []byte, ifNotExist bool) (err error) {
	path := filepath.Join(st.localDir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return err
	}
	direct := !st.noDirect.Load()
	f, tmp, err := createTempShard(path, direct)
	if err != nil && direct && errors.Is(err, unix.EINVAL) {
		// The file system refuses O_DIRECT (tmpfs on older kernels, some
		// FUSE file systems): write through the page cache from now on.
		st.noDirect.Store(true)
		direct = false
		f, tmp, err = createTempShard(path, false)
	}
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if direct {
		err = st.writeDirect(f, hdr, data)
	} else {
		err = writeAll(f, hdr, data)
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
		_ = os.Remove(tmp)
		return err
	}
	if err := publish(tmp, path, ifNotExist); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return st.syncDirs(key)
}

// createTempShard creates a new temporary file next to path.
func createTempShard(path string, direct bool) (*os.File, string, error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if direct {
		flags |= unix.O_DIRECT
	}
	for {
		tmp := fmt.Sprintf("%s.%016x.tmp", path, rand.Uint64())
		f, err := os.OpenFile(tmp, flags, 0o666)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		return f, tmp, err
	}
}

// writeAll writes the parts in order.
func writeAll(f *os.File, parts ...[]byte) error {
	for _, p := range parts {
		if _, err := f.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// writeDirect writes the parts in order to f, opened with O_DIRECT, through
// an aligned staging buffer; the last block is padded and the file then
// truncated to its length. When the file system turns out to refuse the
// alignment, f is switched to buffered writes.
func (st *site) writeDirect(f *os.File, parts ...[]byte) error {
	bp := stagePool.Get().(*[]byte)
	defer stagePool.Put(bp)
	stage := *bp
	var total int64
	n, first := 0, true
	flush := func(length int) error {
		_, err := f.Write(stage[:length])
		if errors.Is(err, unix.EINVAL) && first {
			// Refused on the first write: fall back to the page cache.
			st.noDirect.Store(true)
			if err = clearDirect(f); err == nil {
				_, err = f.Write(stage[:length])
			}
		}
		first = false
		return err
	}
	for _, p := range parts {
		total += int64(len(p))
		for len(p) > 0 {
			c := copy(stage[n:], p)
			n += c
			p = p[c:]
			if n == len(stage) {
				if err := flush(n); err != nil {
					return err
				}
				n = 0
			}
		}
	}
	if n == 0 {
		return nil
	}
	padded := (n + directAlign - 1) &^ (directAlign - 1)
	clear(stage[n:padded])
	if err := flush(padded); err != nil {
		return err
	}
	if padded != n {
		return f.Truncate(total)
	}
	return nil
}

// clearDirect turns O_DIRECT off on f.
func clearDirect(f *os.File) error {
	fd := int(f.Fd())
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags&^unix.O_DIRECT)
	return err
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
	case errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS):
		// No RENAME_NOREPLACE here: a hard link fails atomically when the
		// name exists.
		if err := os.Link(tmp, path); err != nil {
			if errors.Is(err, os.ErrExist) {
				return errShardExists
			}
			return err
		}
		return os.Remove(tmp)
	default:
		return &os.LinkError{Op: "rename", Old: tmp, New: path, Err: err}
	}
}
