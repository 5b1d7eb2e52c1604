//go:build linux || darwin || freebsd || netbsd

package backup

import (
	"bytes"
	"errors"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/custodia-backup/custodia/repo"
)

// readXattrs returns the extended attributes of the entry at path (POSIX
// ACLs among them, as system.posix_acl_*), sorted by name, without
// following a symbolic link. A file system without them has none.
func readXattrs(path string) ([]repo.Xattr, error) {
	names, err := listXattrs(path)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	out := make([]repo.Xattr, 0, len(names))
	for _, name := range names {
		v, err := getXattr(path, name)
		if errors.Is(err, errNoAttr) {
			continue // removed since listed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, repo.Xattr{Name: name, Value: v})
	}
	slices.SortFunc(out, func(a, b repo.Xattr) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// listXattrs returns the names of the extended attributes of path. Most
// files have none: one call with no buffer says so, without allocating.
func listXattrs(path string) ([]string, error) {
	size, err := unix.Llistxattr(path, nil)
	for {
		if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) {
			return nil, nil
		}
		if err != nil || size == 0 {
			return nil, err
		}
		buf := make([]byte, size)
		var n int
		n, err = unix.Llistxattr(path, buf)
		if errors.Is(err, unix.ERANGE) && size < 1<<24 {
			size, err = 4*size, nil // attributes were added since the size was asked
			continue
		}
		if err != nil {
			continue
		}
		var names []string
		for _, name := range bytes.Split(buf[:n], []byte{0}) {
			if len(name) > 0 {
				names = append(names, string(name))
			}
		}
		return names, nil
	}
}

func getXattr(path, name string) ([]byte, error) {
	for size := 256; ; size *= 4 {
		buf := make([]byte, size)
		n, err := unix.Lgetxattr(path, name, buf)
		if errors.Is(err, unix.ERANGE) && size < 1<<24 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n:n], nil
	}
}
