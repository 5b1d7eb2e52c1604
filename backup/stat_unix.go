//go:build unix

package backup

import (
	"io/fs"
	"syscall"

	"github.com/custodia-backup/custodia/repo"
)

// fillStat records the owner, inode, device and change time of fi.
func fillStat(n *repo.Node, fi fs.FileInfo) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		n.UID, n.GID = st.Uid, st.Gid
		n.Inode, n.Device = uint64(st.Ino), uint64(st.Dev)
		n.ChangeTime = changeTime(st).UTC()
	}
}
