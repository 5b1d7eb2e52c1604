//go:build unix

package backup

import (
	"io/fs"
	"syscall"

	"github.com/custodia-backup/custodia/repo"
)

// fillStat records the owner, inode, device, link count, device number
// and change time of fi.
func fillStat(n *repo.Node, fi fs.FileInfo) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		n.UID, n.GID = st.Uid, st.Gid
		n.Inode, n.Device = uint64(st.Ino), uint64(st.Dev)
		n.ChangeTime = changeTime(st).UTC()
		if fi.Mode().IsRegular() && st.Nlink > 1 {
			n.Links = uint64(st.Nlink)
		}
		if fi.Mode()&fs.ModeDevice != 0 {
			n.Rdev = uint64(st.Rdev)
		}
	}
}

// allocated returns the bytes fi has on disk, when the system says.
func allocated(fi fs.FileInfo) (int64, bool) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512, true
	}
	return 0, false
}
