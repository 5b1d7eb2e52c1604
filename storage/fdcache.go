package storage

import (
	"container/list"
	"os"
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
