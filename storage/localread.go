package storage

import (
	"container/list"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Range reads on local sites bypass the gocloud reader, which opens the
// file, looks for an attributes sidecar and closes it again for every
// read: restores read thousands of blobs, and the file handles of recently
// read shards are kept open instead. Objects are immutable, and a shard
// rewritten through this process (Put, Repair) drops its handle first.

// maxOpenShards bounds the file handles a local site keeps open.
const maxOpenShards = 64

// fdCache is a small LRU of open shard files.
type fdCache struct {
	mu sync.Mutex
	ll *list.List // of *openShard, most recent first
	m  map[string]*list.Element
}

type openShard struct {
	key  string
	f    *os.File
	size int64
	refs int  // readers using f
	gone bool // evicted or dropped: close when refs reaches 0
}

func (c *fdCache) init() {
	if c.m == nil {
		c.ll, c.m = list.New(), make(map[string]*list.Element)
	}
}

// acquire returns the open shard for key, opening path if needed.
func (c *fdCache) acquire(key, path string) (*openShard, error) {
	c.mu.Lock()
	c.init()
	if e, ok := c.m[key]; ok {
		c.ll.MoveToFront(e)
		o := e.Value.(*openShard)
		o.refs++
		c.mu.Unlock()
		return o, nil
	}
	c.mu.Unlock()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	o := &openShard{key: key, f: f, size: fi.Size(), refs: 1}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok { // opened meanwhile by another reader
		f.Close()
		c.ll.MoveToFront(e)
		o = e.Value.(*openShard)
		o.refs++
		return o, nil
	}
	c.m[key] = c.ll.PushFront(o)
	for c.ll.Len() > maxOpenShards {
		c.removeLocked(c.ll.Back())
	}
	return o, nil
}

// release ends a use of o.
func (c *fdCache) release(o *openShard) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o.refs--
	if o.gone && o.refs == 0 {
		o.f.Close()
	}
}

// drop forgets key's handle (its shard is being rewritten).
func (c *fdCache) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		c.removeLocked(e)
	}
}

// closeAll closes every idle handle.
func (c *fdCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.ll != nil && c.ll.Len() > 0 {
		c.removeLocked(c.ll.Back())
	}
}

func (c *fdCache) removeLocked(e *list.Element) {
	o := c.ll.Remove(e).(*openShard)
	delete(c.m, o.key)
	o.gone = true
	if o.refs == 0 {
		o.f.Close()
	}
}

// errNotLocal means the fast path does not apply; use the bucket.
var errNotLocal = errors.New("not a local shard file")

// localShardPath is the file of shard blob key on a local site, where the
// gocloud file bucket keeps it too: the bucket escapes only what valid
// names never hold (checkName refuses segments ending in "..", whose
// "../" it would escape).
func (st *site) localShardPath(key string) string {
	return filepath.Join(st.localDir, filepath.FromSlash(key))
}

// readLocalRange reads dst from shard blob key at off on a local site.
// It returns errNotLocal when the shard is not a plain file under the
// site's folder (the bucket then decides, e.g. that it is missing).
func (st *site) readLocalRange(key string, off int64, dst []byte, wantSize int64) error {
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

// readLocalShardInto reads the whole shard blob key of object name from a
// local site: its header first, then its data into the buffer place gives
// for shard i and that header, and checks it against the header's
// checksum. ok is false when this path does not apply (the file cannot be
// opened or read, is not of a plausible size, has no valid header, or
// place gives no buffer): the caller then reads through the bucket, which
// also classifies the failure. With ok true, err is the shard's damage.
func (st *site) readLocalShardInto(name, key string, i int, place func(i int, h ShardHeader) []byte) (h ShardHeader, data []byte, ok bool, err error) {
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
