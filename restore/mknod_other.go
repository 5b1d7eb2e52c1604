//go:build unix && !freebsd

package restore

import "golang.org/x/sys/unix"

// mknod makes a device node.
func mknod(path string, mode uint32, dev uint64) error { return unix.Mknod(path, mode, int(dev)) }
