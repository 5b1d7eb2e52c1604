//go:build linux || darwin || freebsd

package backup

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"

	"github.com/custodia-backup/custodia/repo"
)

// dataExtents asks the file system where the data of the open file f of
// size bytes lies (SEEK_DATA, SEEK_HOLE). It returns nil when the file has
// no hole or the file system cannot say, and a non-nil (maybe empty) list
// for a file with holes.
func dataExtents(f *os.File, size int64) ([]repo.Extent, error) {
	fd := int(f.Fd())
	var out []repo.Extent
	for off := int64(0); off < size; {
		start, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			break // only a hole up to the end
		}
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTSUP) {
			return nil, nil // no answer from this file system
		}
		if err != nil {
			return nil, err
		}
		end, err := unix.Seek(fd, start, unix.SEEK_HOLE)
		if err != nil {
			return nil, err
		}
		end = min(end, size)
		if end > start {
			out = append(out, repo.Extent{Offset: uint64(start), Length: uint64(end - start)})
		}
		off = end
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, err
	}
	if len(out) == 1 && out[0].Offset == 0 && out[0].Length == uint64(size) {
		return nil, nil // no hole after all
	}
	if out == nil {
		out = []repo.Extent{} // all hole
	}
	return out, nil
}
