//go:build unix

package restore

import (
	"golang.org/x/sys/unix"

	"github.com/custodia-backup/custodia/repo"
)

// makeSpecial makes the named pipe or device node n at dst, with n's
// permission bits (less the umask).
func makeSpecial(dst string, n repo.Node) error {
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
	return err
}
