//go:build !linux

package storage

import (
	"context"
	"errors"
)

// errShardExists means a conditional shard write found the shard there.
var errShardExists = errors.New("shard already exists")

// writeLocalShard is the Linux direct-I/O writer; elsewhere local shards
// are written through the gocloud file bucket.
func (st *localSite) writeLocalShard(context.Context, string, []byte, []byte, bool) error {
	return errNotLocal
}
