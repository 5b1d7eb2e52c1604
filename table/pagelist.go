package table

import (
	"context"
	"fmt"
	"slices"

	"github.com/custodia-backup/custodia/repo"
)

// pagesPerTree is how many record pages one tree of a snapshot's "records"
// folder lists (docs/FORMAT.md §25.6).
var pagesPerTree = 1024

// pageList names the record pages of a full snapshot for its tree. It holds
// at most pagesPerTree page IDs: each full group is saved at once as a tree
// of its own, so that what a backup keeps in memory does not grow with the
// table (one folder entry per pagesPerTree pages).
type pageList struct {
	r      *repo.Repository
	ids    []ID
	size   uint64
	groups []repo.Node
}

// add appends a page of size bytes.
func (l *pageList) add(ctx context.Context, id ID, size int) error {
	l.ids = append(l.ids, id)
	l.size += uint64(size)
	if len(l.ids) < pagesPerTree {
		return nil
	}
	return l.saveGroup(ctx)
}

func (l *pageList) saveGroup(ctx context.Context) error {
	id, err := l.r.SaveTableTree(ctx, &repo.Tree{Nodes: []repo.Node{fileNode("pages", l.ids, l.size)}})
	if err != nil {
		return err
	}
	l.groups = append(l.groups, repo.Node{Name: fmt.Sprintf("%08d", len(l.groups)), Type: repo.NodeDir, Mode: 0o700, Subtree: &id})
	l.ids, l.size = l.ids[:0], 0
	return nil
}

// node returns the tree node named name listing every page: a file node
// when they fit in one group, else a folder of the groups' trees.
func (l *pageList) node(ctx context.Context, name string, size uint64) (repo.Node, error) {
	if len(l.groups) == 0 {
		return fileNode(name, slices.Clone(l.ids), size), nil
	}
	if len(l.ids) > 0 {
		if err := l.saveGroup(ctx); err != nil {
			return repo.Node{}, err
		}
	}
	id, err := l.r.SaveTableTree(ctx, &repo.Tree{Nodes: l.groups})
	if err != nil {
		return repo.Node{}, err
	}
	return repo.Node{Name: name, Type: repo.NodeDir, Mode: 0o700, Subtree: &id}, nil
}
