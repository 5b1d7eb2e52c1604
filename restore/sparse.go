package restore

import (
	"errors"
	"os"

	"github.com/custodia-backup/custodia/repo"
)

// errExtents reports a sparse file whose content is longer than its
// extents.
var errExtents = errors.New("content longer than the file's data extents")

// extentWriter writes the content of a sparse file into its data extents,
// leaving the holes between them unwritten (they stay holes).
type extentWriter struct {
	f   *os.File
	ext []repo.Extent
	off uint64 // bytes written into ext[0]
}

func (w *extentWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if len(w.ext) == 0 {
			return n, errExtents
		}
		e := w.ext[0]
		k := min(uint64(len(p)), e.Length-w.off)
		if _, err := w.f.WriteAt(p[:k], int64(e.Offset+w.off)); err != nil {
			return n, err
		}
		n += int(k)
		p = p[k:]
		if w.off += k; w.off == e.Length {
			w.ext, w.off = w.ext[1:], 0
		}
	}
	return n, nil
}
