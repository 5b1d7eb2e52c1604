package backup

import (
	"io/fs"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/custodia-backup/custodia/repo"
)

// TestSameNodeComparesEveryField changes each field of a node in turn:
// every change makes the node differ, so a folder whose tree is kept from
// the parent snapshot is one that would encode to the same bytes. A new
// field of repo.Node fails here until sameNode compares it.
func TestSameNodeComparesEveryField(t *testing.T) {
	sub := repo.ID{7}
	mtime := time.Date(2026, 11, 30, 12, 0, 0, 5, time.UTC)
	n := repo.Node{
		Name: "invoice.xml", Type: repo.NodeFile, Mode: 0o644, ModTime: mtime, ChangeTime: mtime.Add(time.Second),
		UID: 1000, GID: 1000, Inode: 42, Device: 3, Links: 2, Rdev: 9, Size: 4096,
		Content: []repo.ID{{1}, {2}}, Sparse: true, Extents: []repo.Extent{{Offset: 0, Length: 4096}},
		Xattrs:  []repo.Xattr{{Name: "user.origin", Value: []byte("scanner-3")}},
		Subtree: &sub, LinkTarget: "target",
	}
	clone := func() repo.Node {
		c := n
		c.Content = append([]repo.ID(nil), n.Content...)
		c.Extents = append([]repo.Extent(nil), n.Extents...)
		c.Xattrs = []repo.Xattr{{Name: "user.origin", Value: []byte("scanner-3")}}
		s := *n.Subtree
		c.Subtree = &s
		return c
	}
	assert.True(t, sameNode(n, clone()))
	change := map[string]func(*repo.Node){
		"Name":       func(c *repo.Node) { c.Name = "other.xml" },
		"Type":       func(c *repo.Node) { c.Type = repo.NodeSymlink },
		"Mode":       func(c *repo.Node) { c.Mode |= fs.ModeSetuid },
		"ModTime":    func(c *repo.Node) { c.ModTime = c.ModTime.Add(time.Nanosecond) },
		"ChangeTime": func(c *repo.Node) { c.ChangeTime = c.ChangeTime.In(time.FixedZone("CET", 3600)) },
		"UID":        func(c *repo.Node) { c.UID++ },
		"GID":        func(c *repo.Node) { c.GID++ },
		"Inode":      func(c *repo.Node) { c.Inode++ },
		"Device":     func(c *repo.Node) { c.Device++ },
		"Links":      func(c *repo.Node) { c.Links++ },
		"Rdev":       func(c *repo.Node) { c.Rdev++ },
		"Size":       func(c *repo.Node) { c.Size++ },
		"Content":    func(c *repo.Node) { c.Content[1] = repo.ID{3} },
		"Sparse":     func(c *repo.Node) { c.Sparse = false },
		"Extents":    func(c *repo.Node) { c.Extents = append(c.Extents, repo.Extent{Offset: 8192, Length: 1}) },
		"Xattrs":     func(c *repo.Node) { c.Xattrs[0].Value = []byte{} },
		"Subtree":    func(c *repo.Node) { c.Subtree = nil },
		"LinkTarget": func(c *repo.Node) { c.LinkTarget = "elsewhere" },
	}
	typ := reflect.TypeFor[repo.Node]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		f, ok := change[name]
		if !ok {
			t.Errorf("repo.Node has a field %s that sameNode may not compare: compare it, and change it here", name)
			continue
		}
		c := clone()
		f(&c)
		assert.False(t, sameNode(n, c), "a change of %s went unnoticed", name)
		assert.False(t, sameNodes([]repo.Node{n}, []repo.Node{c}))
	}
	assert.False(t, sameNodes([]repo.Node{n}, []repo.Node{n, n}))
}
