//go:build !(linux || darwin || freebsd || netbsd)

package restore

import (
	"fmt"

	"github.com/custodia-backup/custodia/repo"
)

// setXattrs cannot restore extended attributes on this system: it reports
// the ones it leaves out.
func (rs *restorer) setXattrs(p string, n repo.Node) []error {
	if rs.opts.noXattrs || len(n.Xattrs) == 0 || n.Type == repo.NodeSymlink {
		return nil
	}
	return []error{fmt.Errorf("%s: %d extended attributes not restored on this system", p, len(n.Xattrs))}
}
