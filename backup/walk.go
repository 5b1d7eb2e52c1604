package backup

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/custodia-backup/custodia/repo"
)

// The walk lists folders in parallel. Each folder is one task: read its
// entries, lstat them, load the parent snapshot's tree of the folder, and
// start each entry (an unchanged file is settled there and then, a file to
// read goes to the file workers, a subfolder becomes a task of its own).
// At most opts.walkers tasks run at once: when all are busy, the task that
// finds a subfolder lists it itself, depth first, as a sequential walk
// would. A folder's tree is encoded and saved when its last entry is done,
// by whichever goroutine finishes it. Memory stays bounded: a task blocks
// while the file queue is full, so at most walkers folders are listed
// ahead of the files being read. The trees are the same as a sequential
// walk's: a tree holds its entries sorted by name, whatever order they were
// done in.

// dir starts backing up a folder and returns the future of its node, which
// completes when its tree is saved.
func (b *backuper) dir(path string, node repo.Node, parent *repo.Node) *future {
	f := newFuture()
	b.dirs.Add(1)
	select {
	case b.walkSem <- struct{}{}:
		go b.walkDir(path, node, parent, f, true)
	default:
		b.walkDir(path, node, parent, f, false)
	}
	return f
}

// walkDir lists the folder at path and starts its entries; slot says it
// holds a place of b.walkSem, given back once the listing is done.
func (b *backuper) walkDir(path string, node repo.Node, parent *repo.Node, f *future, slot bool) {
	node.Type = repo.NodeDir
	node.Xattrs = b.xattrs(path)
	b.nDirs.Add(1)
	children, ok := b.listDir(path, parent)
	if slot {
		<-b.walkSem
	}
	if !ok {
		f.skip = true
		close(f.done)
		b.dirs.Done()
		return
	}
	for _, c := range children {
		select {
		case <-c.done:
			continue
		default:
		}
		go b.finishDir(node, children, f)
		return
	}
	b.finishDir(node, children, f)
}

// listDir reads a folder's entries and starts each; ok is false when the
// folder could not be read at all.
func (b *backuper) listDir(path string, parent *repo.Node) (children []*future, ok bool) {
	entries, err := os.ReadDir(path)
	if err != nil {
		b.fileError(path, err)
		if entries == nil {
			return nil, false
		}
	}
	var parentTree *repo.Tree
	if parent != nil && parent.Type == repo.NodeDir && parent.Subtree != nil {
		if t, err := b.r.LoadTree(b.ctx, *parent.Subtree); err == nil {
			parentTree = t
		}
	}
	children = make([]*future, 0, len(entries))
	for _, e := range entries {
		if b.ctx.Err() != nil {
			break
		}
		p := filepath.Join(path, e.Name())
		fi, err := e.Info()
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				b.fileError(p, err)
			}
			continue
		}
		var pn *repo.Node
		if parentTree != nil {
			pn, _ = parentTree.Find(e.Name())
		}
		children = append(children, b.entry(p, fi, pn))
	}
	return children, true
}

// finishDir waits for a folder's entries, then saves its tree and
// completes its future.
func (b *backuper) finishDir(node repo.Node, children []*future, f *future) {
	defer b.dirs.Done()
	defer close(f.done)
	t := &repo.Tree{Nodes: make([]repo.Node, 0, len(children))}
	for _, c := range children {
		<-c.done
		if !c.skip {
			t.Nodes = append(t.Nodes, c.node)
		}
	}
	if b.ctx.Err() != nil {
		f.skip = true
		return
	}
	t.Sort()
	id, err := b.r.SaveTree(b.ctx, t)
	if err != nil {
		b.fail(err)
		f.skip = true
		return
	}
	node.Subtree = &id
	f.node = node
}
