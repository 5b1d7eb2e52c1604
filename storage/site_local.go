package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
)

// localSite is a local folder: a file bucket with a fast path. Shards are
// written with direct I/O where possible (localwrite_linux.go), fsynced,
// renamed into place and their folders fsynced; range reads keep recently
// read shard files open; whole-shard reads can go straight into the
// caller's buffer.
type localSite struct {
	*bucketSite
	dir string // absolute folder
	// durableDirs holds the folders whose entries (and their parents')
	// have been fsynced by this process.
	durableDirs sync.Map
	fds         fdCache     // open shard files, for range reads
	noDirect    atomic.Bool // the file system refuses O_DIRECT
}

func (st *localSite) close() error {
	st.fds.closeAll()
	return st.bucketSite.close()
}

// writeShard writes one shard blob atomically: the file is fsynced before
// it is renamed into place and its folders after; on Linux it is written
// by writeLocalShard (direct I/O), elsewhere through the file bucket.
func (st *localSite) writeShard(ctx context.Context, key string, hdr, data []byte, ifNotExist bool) error {
	st.fds.drop(key)
	if err := st.writeLocalShard(ctx, key, hdr, data, ifNotExist); !errors.Is(err, errNotLocal) {
		return st.wrap(err)
	}
	if err := st.writeBlob(ctx, key, hdr, data, ifNotExist, true); err != nil {
		return st.wrap(err)
	}
	return st.wrap(st.syncDirs(key))
}

func (st *localSite) readRange(ctx context.Context, key string, off int64, dst []byte, wantSize int64) error {
	if err := st.readLocalRange(key, off, dst, wantSize); err != errNotLocal {
		return err
	}
	return st.bucketSite.readRange(ctx, key, off, dst, wantSize)
}

func (st *localSite) delete(ctx context.Context, key string) error {
	st.fds.drop(key)
	return st.bucketSite.delete(ctx, key)
}

// syncDirs fsyncs the folder holding key, so that the rename that
// published a shard survives a power loss, and the first time a folder is
// seen also its parents up to the site's root, so that the folder's own
// entry is durable.
func (st *localSite) syncDirs(key string) (err error) {
	if runtime.GOOS == "windows" {
		return nil
	}
	dir := filepath.Dir(filepath.Join(st.dir, filepath.FromSlash(key)))
	if _, known := st.durableDirs.Load(dir); known {
		f, err := os.Open(dir)
		if err != nil {
			return err
		}
		err = f.Sync()
		_ = f.Close()
		return err
	}
	defer func(dir string) {
		if err == nil {
			st.durableDirs.Store(dir, true)
		}
	}(dir)
	for {
		f, err := os.Open(dir)
		if err != nil {
			return err
		}
		err = f.Sync()
		_ = f.Close()
		if err != nil {
			return err
		}
		if dir == st.dir || len(dir) <= len(st.dir) {
			return nil
		}
		dir = filepath.Dir(dir)
	}
}

// errNotLocal means the fast path does not apply; use the bucket.
var errNotLocal = errors.New("not a local shard file")

// localShardPath is the file of shard blob key on a local site, where the
// gocloud file bucket keeps it too: the bucket escapes only what valid
// names never hold (checkName refuses segments ending in "..", whose
// "../" it would escape).
func (st *localSite) localShardPath(key string) string {
	return filepath.Join(st.dir, filepath.FromSlash(key))
}

// readLocalRange reads dst from shard blob key at off on a local site.
// It returns errNotLocal when the shard is not a plain file under the
// site's folder (the bucket then decides, e.g. that it is missing).
func (st *localSite) readLocalRange(key string, off int64, dst []byte, wantSize int64) error {
	o, err := st.fds.acquire(key, st.localShardPath(key))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return errNotLocal
		}
		return err
	}
	defer st.fds.release(o)
	if o.size != wantSize {
		return fmt.Errorf("%w: blob is %d bytes, want %d", ErrShardCorrupt, o.size, wantSize)
	}
	n, err := o.f.ReadAt(dst, off)
	if n == len(dst) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// readShardInto reads the whole shard blob key of object name from a
// local site: its header first, then its data into the buffer place gives
// for shard i and that header, and checks it against the header's
// checksum. ok is false when this path does not apply (the file cannot be
// opened or read, is not of a plausible size, has no valid header, or
// place gives no buffer): the caller then reads through the bucket, which
// also classifies the failure. With ok true, err is the shard's damage.
func (st *localSite) readShardInto(name, key string, i int, place placeFunc) (h ShardHeader, data []byte, ok bool, err error) {
	f, err := os.Open(st.localShardPath(key))
	if err != nil {
		return h, nil, false, nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() < HeaderSize || fi.Size() > HeaderSize+MaxObjectSize {
		return h, nil, false, nil
	}
	var hdr [HeaderSize]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return h, nil, false, nil
	}
	h, err = parseShardHeader(hdr[:])
	if err != nil || h.ShardLen != uint64(fi.Size()-HeaderSize) || h.ObjectLen > MaxObjectSize {
		return h, nil, false, nil
	}
	data = place(i, h)
	if data == nil {
		return h, nil, false, nil
	}
	if _, err := f.ReadAt(data, HeaderSize); err != nil {
		return h, nil, false, nil
	}
	h, err = decodeShardParts(name, hdr[:], data)
	if err != nil {
		return h, nil, true, err
	}
	return h, data, true, nil
}
