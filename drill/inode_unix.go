//go:build unix

package drill

import (
	"io/fs"
	"syscall"
)

type inodeKey struct{ dev, ino uint64 }

func inodeOf(fi fs.FileInfo) (inodeKey, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return inodeKey{}, false
	}
	return inodeKey{uint64(st.Dev), uint64(st.Ino)}, true //nolint:unconvert // Dev's type differs per OS
}
