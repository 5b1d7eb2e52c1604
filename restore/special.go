package restore

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/custodia-backup/custodia/repo"
)

// special restores a named pipe or (as root) a device node, with its
// metadata. A failure is recorded, not fatal: such entries hold no data.
func (rs *restorer) special(dst string, n repo.Node) {
	perm := uint32(n.Mode.Perm())
	var err error
	switch n.Type {
	case repo.NodeFIFO:
		err = unix.Mkfifo(dst, perm)
	case repo.NodeCharDev:
		err = mknod(dst, unix.S_IFCHR|perm, n.Rdev)
	case repo.NodeBlockDev:
		err = mknod(dst, unix.S_IFBLK|perm, n.Rdev)
	}
	if err != nil {
		if !rs.root && n.Type != repo.NodeFIFO {
			err = fmt.Errorf("%w (device nodes are restored only by root)", err)
		}
		rs.metaFailed([]error{fmt.Errorf("restore %s %s: %w", n.Type, dst, err)})
		return
	}
	rs.mu.Lock()
	rs.res.Special++
	rs.mu.Unlock()
	rs.setMeta(dst, n)
}
