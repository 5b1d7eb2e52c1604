package backup

import (
	"fmt"
	"io/fs"

	"github.com/custodia-backup/custodia/repo"
)

// special records a named pipe or a device node: its type, metadata and
// (of a device) device number. They hold no data.
func (b *backuper) special(path string, fi fs.FileInfo, node repo.Node) (repo.Node, *future) {
	switch m := fi.Mode(); {
	case m&fs.ModeNamedPipe != 0:
		node.Type = repo.NodeFIFO
	case m&fs.ModeDevice != 0 && m&fs.ModeCharDevice != 0:
		node.Type = repo.NodeCharDev
	case m&fs.ModeDevice != 0:
		node.Type = repo.NodeBlockDev
	default:
		b.note(path, fmt.Errorf("%v: file type not backed up", m.Type()))
		return repo.Node{}, skipped
	}
	node.Xattrs = b.xattrs(path)
	b.mu.Lock()
	b.stats.Special++
	b.mu.Unlock()
	return node, nil
}

// xattrs reads the extended attributes of path unless told not to; a
// failure is noted and the entry kept without them.
func (b *backuper) xattrs(path string) []repo.Xattr {
	if b.opts.noXattrs {
		return nil
	}
	x, err := readXattrs(path)
	if err != nil {
		b.xattrFailed.Store(true)
		b.note(path, fmt.Errorf("extended attributes not kept: %w", err))
	}
	return x
}
