package storage

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
)

// A local site is listed by walking its folder here rather than through
// the file bucket, whose listing fails as a whole when a file vanishes
// between reading its folder and stat-ing it. Other writers of the same
// repository rename their temporary files into place and prune deletes
// shards all the time, so the walk lists only shard blobs (never a
// temporary file) and skips an entry or a folder that is gone by the time
// it is looked at.

func (st *localSite) list(ctx context.Context, prefix string, fn func(key string)) error {
	return st.walkLocal(ctx, prefix, false, func(key string, _ fs.FileInfo) { fn(key) })
}

func (st *localSite) usage(ctx context.Context, fn func(key string, size int64)) error {
	return st.walkLocal(ctx, "", true, func(key string, fi fs.FileInfo) { fn(key, fi.Size()) })
}

// walkLocal calls fn, in key order, with every regular file under the
// site's folder whose key starts with prefix and is a shard blob key; fi is
// its file info when withInfo is set (an entry gone before it is stat-ed
// is skipped).
func (st *localSite) walkLocal(ctx context.Context, prefix string, withInfo bool, fn func(key string, fi fs.FileInfo)) error {
	root := st.dir
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		root = filepath.Join(st.dir, filepath.FromSlash(prefix[:i]))
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed meanwhile, or no such folder yet
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if path == st.dir {
			return nil
		}
		rel, err := filepath.Rel(st.dir, path)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			// A folder whose keys cannot start with prefix is not entered.
			if dk := key + "/"; len(dk) > len(prefix) && !strings.HasPrefix(dk, prefix) || len(dk) <= len(prefix) && !strings.HasPrefix(prefix, dk) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(key, prefix) {
			return nil
		}
		if _, _, ok := splitShardKey(key); !ok {
			return nil // a temporary file of a write in progress, or foreign
		}
		var fi fs.FileInfo
		if withInfo {
			if fi, err = d.Info(); errors.Is(err, fs.ErrNotExist) {
				return nil // deleted meanwhile
			} else if err != nil {
				return err
			}
		}
		fn(key, fi)
		return nil
	})
	return st.wrap(err)
}
