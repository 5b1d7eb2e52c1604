package backup

import (
	"bytes"
	"slices"

	"github.com/custodia-backup/custodia/repo"
)

// sameNodes reports whether a and b hold the same nodes in the same order,
// every field alike, so that their trees encode to the same bytes. Times
// are compared with ==, which also requires the same location: a false
// "different" only costs encoding the tree again.
func sameNodes(a, b []repo.Node) bool {
	return slices.EqualFunc(a, b, sameNode)
}

func sameNode(a, b repo.Node) bool {
	return a.Name == b.Name && a.Type == b.Type && a.Mode == b.Mode &&
		a.ModTime == b.ModTime && a.ChangeTime == b.ChangeTime &&
		a.UID == b.UID && a.GID == b.GID && a.Inode == b.Inode && a.Device == b.Device &&
		a.Links == b.Links && a.Rdev == b.Rdev && a.Size == b.Size &&
		slices.Equal(a.Content, b.Content) && a.Sparse == b.Sparse && slices.Equal(a.Extents, b.Extents) &&
		slices.EqualFunc(a.Xattrs, b.Xattrs, func(x, y repo.Xattr) bool {
			return x.Name == y.Name && bytes.Equal(x.Value, y.Value) && (x.Value == nil) == (y.Value == nil) // null or ""
		}) &&
		(a.Subtree == nil) == (b.Subtree == nil) && (a.Subtree == nil || *a.Subtree == *b.Subtree) &&
		a.LinkTarget == b.LinkTarget
}
