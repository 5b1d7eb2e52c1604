package restore

import (
	"os"

	"github.com/custodia-backup/custodia/repo"
)

// linkKey is what identifies a hard-linked file of a snapshot.
func linkKey(n repo.Node) ([2]uint64, bool) {
	return [2]uint64{n.Device, n.Inode}, n.Links > 1 && n.Inode != 0
}

// link restores another name of a hard-linked file whose first name was
// restored already as a link to it, and reports whether it did. A name
// whose other names are not restored (not selected) becomes a plain file.
func (rs *restorer) link(dst string, n repo.Node) (bool, error) {
	key, ok := linkKey(n)
	if !ok {
		return false, nil
	}
	first, ok := rs.links[key]
	if !ok {
		return false, nil
	}
	if err := rs.clear(dst); err != nil {
		return false, err
	}
	if err := os.Link(first, dst); err != nil {
		return false, err
	}
	rs.files.Add(1)
	rs.mu.Lock()
	rs.res.Hardlinks++
	rs.mu.Unlock()
	return true, nil
}

// firstName records where the first name of a hard-linked file is
// restored.
func (rs *restorer) firstName(dst string, n repo.Node) {
	if key, ok := linkKey(n); ok {
		if rs.links == nil {
			rs.links = make(map[[2]uint64]string)
		}
		rs.links[key] = dst
	}
}
