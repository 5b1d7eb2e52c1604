package storage

import (
	"context"
	"fmt"
	"sync"
)

// SiteUsage is what one site holds: its shard blobs and their bytes.
type SiteUsage struct {
	Site    string `json:"site"`    // redacted URL
	Objects int64  `json:"objects"` // shard blobs (one per object placed there, or more)
	Bytes   int64  `json:"bytes"`   // their size, headers included
	Online  bool   `json:"online"`  // false: the site could not be reached
}

// Usage lists every online site and returns, per site in placement order,
// the shard blobs it holds and their bytes. An offline site is reported
// with Online false and no counts.
func (s *Store) Usage(ctx context.Context) ([]SiteUsage, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	out := make([]SiteUsage, len(s.list))
	errs := make([]error, len(s.list))
	var wg sync.WaitGroup
	for si, st := range s.list {
		out[si].Site = st.String()
		if st.offline() != nil {
			continue
		}
		out[si].Online = true
		wg.Go(func() {
			errs[si] = st.usage(ctx, func(key string, size int64) {
				if _, _, ok := splitShardKey(key); ok {
					out[si].Objects++
					out[si].Bytes += size
				}
			})
			if errs[si] != nil {
				errs[si] = fmt.Errorf("storage: usage of %s: %w", st, errs[si])
			}
		})
	}
	wg.Wait()
	return out, joinErrors(errs...)
}
