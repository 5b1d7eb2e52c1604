package restore

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/custodia-backup/custodia/repo"
)

// ErrNotStream means a snapshot holds files and folders, not one stream
// (see backup.Stream): restore it with Snapshot.
var ErrNotStream = errors.New("not a stream snapshot")

// Stream writes the content of a stream snapshot (one made by
// backup.Stream) to w and returns the number of bytes written. Chunks are
// read, authenticated and checked against their IDs one at a time, in
// order, so memory stays at one chunk whatever the stream's size. When a
// chunk cannot be read Stream stops with the error; what was written
// before it is correct but incomplete.
func Stream(ctx context.Context, r *repo.Repository, snap *repo.Snapshot, w io.Writer) (int64, error) {
	if snap.Kind != repo.KindStream {
		return 0, fmt.Errorf("snapshot %s: %w", snap.ID.String()[:8], ErrNotStream)
	}
	root, err := r.LoadTree(ctx, snap.Tree)
	if err != nil {
		return 0, err
	}
	if len(root.Nodes) != 1 || root.Nodes[0].Type != repo.NodeFile {
		return 0, fmt.Errorf("%w: stream snapshot %s does not hold exactly one file", repo.ErrMalformed, snap.ID.String()[:8])
	}
	node := root.Nodes[0]
	var (
		n   int64
		buf []byte
	)
	for _, id := range node.Content {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if buf, err = r.LoadBlob(ctx, repo.BlobHandle{Type: repo.DataBlob, ID: id}, buf); err != nil {
			return n, fmt.Errorf("%s: %w", node.Name, err)
		}
		m, err := w.Write(buf)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	if uint64(n) != node.Size {
		return n, fmt.Errorf("%w: stream %s has %d bytes, its snapshot says %d", repo.ErrMalformed, node.Name, n, node.Size)
	}
	return n, nil
}
