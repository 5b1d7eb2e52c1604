package restore

import (
	"errors"
	"fmt"

	"github.com/custodia-backup/custodia/repo"
)

// errNoSpecialFiles means this system cannot make named pipes or device
// nodes (Windows); such an entry is reported in Result.Errors and not
// restored. It wraps errors.ErrUnsupported.
var errNoSpecialFiles = fmt.Errorf("named pipes and device nodes cannot be made on this system: %w", errors.ErrUnsupported)

// special restores a named pipe or (as root) a device node, with its
// metadata. A failure is recorded, not fatal: such entries hold no data.
func (rs *restorer) special(dst string, n repo.Node) {
	if err := makeSpecial(dst, n); err != nil {
		if !rs.root && n.Type != repo.NodeFIFO && !errors.Is(err, errNoSpecialFiles) {
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
