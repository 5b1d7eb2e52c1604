package storage

import (
	"errors"
	"fmt"
	"strings"
)

// Errors returned by the package. Callers test them with errors.Is; the
// returned errors wrap them with detail (object name, site, reason).
var (
	// ErrNotFound means no shard of the object exists on any site.
	ErrNotFound = errors.New("storage: object not found")
	// ErrUnrecoverable means fewer than k intact shards of the object
	// could be read, so it cannot be reconstructed.
	ErrUnrecoverable = errors.New("storage: object unrecoverable (fewer than k intact shards)")
	// ErrExists is returned by Create when the object already exists.
	ErrExists = errors.New("storage: object already exists")
	// ErrSiteUnreachable means a site URL cannot be opened or its bucket
	// or folder is not accessible.
	ErrSiteUnreachable = errors.New("storage: site unreachable")
	// ErrInvalidSiteURL means a site argument is not a usable location.
	ErrInvalidSiteURL = errors.New("storage: invalid site")
	// ErrInvalidShards means a shard configuration is out of range
	// (need 1 <= k, 0 <= m, k+m <= 255).
	ErrInvalidShards = errors.New("storage: invalid shard counts")
	// ErrInvalidName means an object name is not acceptable (see Put).
	ErrInvalidName = errors.New("storage: invalid object name")
	// ErrInvalidRange means a GetRange request lies outside the object.
	ErrInvalidRange = errors.New("storage: range outside object")
	// ErrTooLarge means an object exceeds MaxObjectSize.
	ErrTooLarge = errors.New("storage: object too large")
	// ErrClosed means the Store has been closed.
	ErrClosed = errors.New("storage: store closed")

	// ErrShardMissing means a shard blob does not exist.
	ErrShardMissing = errors.New("shard missing")
	// ErrShardCorrupt means a shard blob exists but its header, length or
	// checksum is wrong, or it belongs to a different write of the object.
	ErrShardCorrupt = errors.New("shard corrupt")
	// ErrShardUnreadable means a shard could not be read for a reason
	// other than its absence (I/O or network error, site offline).
	ErrShardUnreadable = errors.New("shard unreadable")
)

// Health describes the state of the shards of one object as seen by Get,
// Check or Repair.
type Health struct {
	Object     string         // object name
	Shards     int            // k+m as recorded in the shard headers (the configured k+m when none was readable)
	DataShards int            // k as recorded in the shard headers (the configured k when none was readable)
	Bad        []ShardProblem // problems found, sorted by shard index; empty when all examined shards are intact
}

// OK reports whether no shard problem was found.
func (h Health) OK() bool { return len(h.Bad) == 0 }

// Recoverable reports whether enough shards remain intact to reconstruct
// the object, counting every shard not listed in Bad as intact.
func (h Health) Recoverable() bool { return h.Shards-len(h.Bad) >= h.DataShards }

// String summarises the health on one line.
func (h Health) String() string {
	if h.OK() {
		return fmt.Sprintf("%s: %d shards intact", h.Object, h.Shards)
	}
	return fmt.Sprintf("%s: %d of %d shards bad", h.Object, len(h.Bad), h.Shards)
}

// ShardProblem describes one missing, corrupt or unreadable shard.
type ShardProblem struct {
	Index int    // shard index 0..k+m-1
	Site  string // redacted site URL
	Key   string // blob key on that site
	Err   error  // wraps ErrShardMissing, ErrShardCorrupt or ErrShardUnreadable
}

// String describes the problem on one line, for example
// "packs/ab/ab12: shard 3 on file:///x: shard corrupt: checksum mismatch".
func (p ShardProblem) String() string {
	return fmt.Sprintf("%s: shard %d on %s: %v", objectOfKey(p.Key), p.Index, p.Site, p.Err)
}

// objectOfKey returns the object name of a shard key, or the key itself.
func objectOfKey(key string) string {
	if name, _, ok := splitShardKey(key); ok {
		return name
	}
	return key
}

// multiError is several errors reported on one line.
type multiError []error

func (e multiError) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e multiError) Unwrap() []error { return e }

// joinErrors is errors.Join with a one-line message: nil when all errs are
// nil, the error itself when there is one.
func joinErrors(errs ...error) error {
	var out multiError
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}
