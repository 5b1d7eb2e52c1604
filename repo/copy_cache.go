package repo

// DefaultCopyMemory bounds the memory CopySnapshots uses to remember the
// trees and table pages it has copied (WithCopyMemory).
const DefaultCopyMemory = 64 << 20

// copyEntryBytes is what one remembered source → destination ID costs,
// map overhead included.
const copyEntryBytes = 128

// WithCopyMemory bounds, in bytes, the memory CopySnapshots uses to
// remember which source trees and table pages it has copied and their IDs
// in the destination (default DefaultCopyMemory), so that a tree or page
// shared by many snapshots is read and stored once. Beyond the bound, half
// of what is remembered is forgotten: a tree or page met again is then
// read and stored again (deduplicated in the destination, so nothing is
// written twice), which costs time, not memory.
func WithCopyMemory(bytes int) CopyOption {
	return func(c *copier) { c.memory = bytes }
}

// idMap is a bounded map from source IDs to destination IDs: when it holds
// max entries, a put forgets about half of them (Go's map iteration order
// picks which).
type idMap struct {
	m   map[ID]ID
	max int
}

func newIDMap(limit int) *idMap { return &idMap{m: map[ID]ID{}, max: max(limit, 2)} }

func (c *idMap) get(id ID) (ID, bool) {
	v, ok := c.m[id]
	return v, ok
}

func (c *idMap) put(k, v ID) {
	if len(c.m) >= c.max {
		drop := len(c.m) - c.max/2
		for id := range c.m {
			if drop == 0 {
				break
			}
			delete(c.m, id)
			drop--
		}
	}
	c.m[k] = v
}

func (c *idMap) len() int { return len(c.m) }
