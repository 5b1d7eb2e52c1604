//go:build linux || darwin || freebsd || netbsd

package restore

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/custodia-backup/custodia/repo"
)

// setXattrs restores the extended attributes of the entry at p (not of a
// symbolic link, which most systems refuse) unless told not to. It
// returns the failures. Only root restores the security.* and trusted.*
// namespaces (SELinux labels, file capabilities): others may not set them,
// and they are left out without a warning for every file.
func (rs *restorer) setXattrs(p string, n repo.Node) []error {
	if rs.opts.noXattrs || n.Type == repo.NodeSymlink {
		return nil
	}
	var errs []error
	for _, x := range n.Xattrs {
		if !rs.root && (strings.HasPrefix(x.Name, "security.") || strings.HasPrefix(x.Name, "trusted.")) {
			continue
		}
		if err := unix.Lsetxattr(p, x.Name, x.Value, 0); err != nil {
			errs = append(errs, fmt.Errorf("set extended attribute %q of %s: %w", x.Name, p, err))
		}
	}
	return errs
}
